"""Publishable keys (`pbk_...`) for booking pages, and CORS for them.

A publishable key is in a page's HTML, so anyone holds it: it may call only the routes marked
`opt={"publishable": True}` (the catalog and the booking routes, where a booking is reached
through its manage token), and only from the origins the studio listed for it (plus the
gateway's own origin, where the booking page is served: its public address, or the address the
request was sent to, which a browser's Origin cannot fake for a page elsewhere). A browser request says where it
comes from in `Origin` (or, for a same-origin GET, `Referer`); a request with neither is not a
browser's cross-site call and is let through, since any server can send any Origin anyway.

CORS: a preflight to /v1 is answered for any origin (it carries no key to judge by); the
actual response carries `Access-Control-Allow-Origin` only for a publishable key's listed
origins, so a page elsewhere can neither use the key nor read the answer. Secret keys get no
CORS headers: they belong on partner servers, never in a browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send

from shutterbook_gateway.api.callers import verified_partner
from shutterbook_gateway.api.problems import PROBLEM_BASE
from shutterbook_kit.db import Database

ALLOWED_HEADERS = "X-Api-Key, Content-Type, Idempotency-Key, X-Booking-Token"
EXPOSED_HEADERS = "Retry-After, Idempotent-Replayed, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"


def origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def request_origin(headers: Headers) -> str:
    """Where a browser says the request comes from: Origin, else the Referer's origin."""
    origin = headers.get("origin", "")
    if origin and origin != "null":
        return origin.strip().rstrip("/").lower()
    if origin == "null":
        return "null"
    return origin_of(headers.get("referer", ""))


async def _forbidden(send: Send, code: str, detail: str) -> None:
    body = {"status": 403, "type": PROBLEM_BASE + code.lower().replace("_", "-"), "title": "Forbidden"}
    body |= {"detail": detail, "code": code}
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 403,
        "headers": [(b"content-type", b"application/problem+json")],
    }
    chunk: HTTPResponseBodyEvent = {"type": "http.response.body", "body": json.dumps(body).encode(), "more_body": False}
    await send(start)
    await send(chunk)


def cors_preflight_middleware(app: ASGIApp) -> ASGIApp:
    """Answer CORS preflights to the API before anything counts them as keyless calls."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "OPTIONS" and scope["path"].startswith("/v1/"):
            headers = Headers.from_scope(scope)
            origin = headers.get("origin", "")
            if origin and headers.get("access-control-request-method"):
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-allow-methods", b"GET, POST"),
                        (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                        (b"access-control-max-age", b"600"),
                        (b"vary", b"Origin"),
                    ],
                }
                end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
                await send(start)
                await send(end)
                return
        await app(scope, receive, send)

    return middleware


def publishable_key_middleware(own_origin: str) -> Callable[[ASGIApp], ASGIApp]:
    own = origin_of(own_origin)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or not scope["path"].startswith("/v1/"):
                await app(scope, receive, send)
                return
            db: Database = scope["litestar_app"].state.db
            partner = await verified_partner(scope, db)
            if partner is None or not partner.publishable:
                await app(scope, receive, send)
                return
            handler = scope.get("route_handler")
            if handler is None or not handler.opt.get("publishable"):
                await _forbidden(
                    send, "SECRET_KEY_REQUIRED", "this route needs a secret key; publishable keys only book"
                )
                return
            headers = Headers.from_scope(scope)
            origin = request_origin(headers)
            # the page the gateway serves, reached by its public address or the one in use (a
            # browser sets Origin itself: a page elsewhere cannot claim this request's host)
            here = origin_of(f"{scope.get('scheme', 'http')}://{headers.get('host', '')}")
            allowed = {origin_of(o) for o in partner.allowed_origins} | {own, here}
            if origin and origin not in allowed:
                await _forbidden(send, "ORIGIN_NOT_ALLOWED", "this key may not be used from this site")
                return
            if not origin or origin in (own, here):
                await app(scope, receive, send)
                return

            async def with_cors(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableScopeHeaders.from_message(message)
                    headers["Access-Control-Allow-Origin"] = origin
                    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
                    headers.add("Vary", "Origin")
                await send(message)

            await app(scope, receive, with_cors)

        return middleware

    return factory
