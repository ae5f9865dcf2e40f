"""The request body size limit, applied before anything reads the body.

Outermost ASGI middleware: a declared Content-Length above the limit is refused at once, and
a chunked body is counted as it arrives and refused at the first chunk past the limit, so no
layer (the idempotency middleware included) ever holds more than the limit in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

TOO_LARGE = 413


class BodyTooLarge(HTTPException):
    status_code = TOO_LARGE
    detail = "the request body is too large"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def body_limit_middleware(max_bytes: int) -> Callable[[ASGIApp], ASGIApp]:
    """A Litestar middleware factory (`middleware=[body_limit_middleware(n)]`)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            declared = _declared_length(scope)
            if declared is not None and declared > max_bytes:
                raise BodyTooLarge(detail=f"the request body is larger than {max_bytes} bytes")
            received = 0

            async def limited() -> ReceiveMessage:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > max_bytes:
                        raise BodyTooLarge(detail=f"the request body is larger than {max_bytes} bytes")
                return message

            await app(scope, limited, send)

        return middleware

    return factory
