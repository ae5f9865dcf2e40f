"""ASGI middleware giving every POST `Idempotency-Key` semantics (see
application/idempotency_keys.py). It sits outside the handlers, so every POST route gets
the same behaviour without each handler repeating it."""

from __future__ import annotations

import json
from typing import Any, cast

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPDisconnectEvent,
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from shutterbook_gateway.api.callers import verified_partner
from shutterbook_gateway.api.problems import PROBLEM_BASE
from shutterbook_gateway.application import idempotency_keys as keys
from shutterbook_kit.db import Database

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200
# the scope entry naming the key a request claimed (`keys.Claimed`), for a handler that keeps
# its answer in its own last commit (`keys.keep`)
CLAIMED = "shutterbook.idempotency_key"


def claimed_key(scope: Scope) -> keys.Claimed | None:
    """The Idempotency-Key this request runs under, when it claimed one."""
    claimed = cast("dict[str, Any]", scope).get(CLAIMED)
    return claimed if isinstance(claimed, keys.Claimed) else None


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    chunk: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(chunk)


async def _problem(send: Send, status: int, title: str, code: str, detail: str, *, retry_after: int = 0) -> None:
    body = {
        "status": status,
        "type": PROBLEM_BASE + code.lower().replace("_", "-"),
        "title": title,
        "detail": detail,
        "code": code,
        "errors": [{"field": "Idempotency-Key", "detail": detail}],
    }
    headers = [(b"content-type", b"application/problem+json")]
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    await _respond(send, status, headers, json.dumps(body).encode())


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        key = headers.get(HEADER)
        if key is None:
            await app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
            await _problem(
                send,
                400,
                "Bad Request",
                "INVALID_IDEMPOTENCY_KEY",
                f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            )
            return
        db: Database = scope["litestar_app"].state.db
        partner = await verified_partner(scope, db)
        if partner is None:  # the handler answers 401; nothing to remember for an unknown caller
            await app(scope, receive, send)
            return
        body = await _read_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        decision = await keys.begin(db, partner.key_id, key, keys.fingerprint("POST", scope["path"], query, body))
        if decision.outcome is keys.Outcome.MISMATCH:
            await _problem(
                send,
                422,
                "Unprocessable Content",
                "IDEMPOTENCY_KEY_REUSED",
                "this key was used with a different request",
            )
        elif decision.outcome is keys.Outcome.IN_PROGRESS:
            await _problem(
                send,
                409,
                "Conflict",
                "IDEMPOTENCY_KEY_IN_USE",
                "a request with this key is still being processed",
                retry_after=1,
            )
        elif decision.outcome is keys.Outcome.REPLAY:
            replay_headers = [(b"content-type", decision.content_type.encode()), (b"idempotent-replayed", b"true")]
            await _respond(send, decision.status_code, replay_headers, decision.body)
        else:
            claimed = keys.Claimed(partner.key_id, key, first=decision.first)
            await _run_and_remember(app, scope, send, db, claimed, body)

    return middleware


async def _run_and_remember(
    app: ASGIApp, scope: Scope, send: Send, db: Database, claimed: keys.Claimed, body: bytes
) -> None:
    """Run the request with its buffered body, keep its response, then pass it on.

    The response is kept before the caller sees it: a caller that retries the moment it
    has the first answer gets that answer again, never a 409 for a request already done."""
    delivered = False

    async def replay_body() -> ReceiveMessage:
        nonlocal delivered
        if delivered:
            gone: HTTPDisconnectEvent = {"type": "http.disconnect"}
            return gone
        delivered = True
        request: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
        return request

    status = 500
    content_type = ""
    held: list[Message] = []

    async def capture(message: Message) -> None:
        nonlocal status, content_type
        if message["type"] == "http.response.start":
            status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    content_type = value.decode("latin-1")
        held.append(message)

    cast("dict[str, Any]", scope)[CLAIMED] = claimed
    try:
        await app(scope, replay_body, capture)
    finally:
        chunks = [m.get("body", b"") for m in held if m["type"] == "http.response.body"]
        answer = keys.Answer(status, content_type, b"".join(chunks))
        if claimed.kept != answer:  # kept already, in the handler's last commit: nothing to write
            await keys.finish(db, claimed.owner, claimed.key, answer.status_code, answer.content_type, answer.body)
    for message in held:
        await send(message)
