"""The gateway's Request: a body that is not JSON, nested too deep, or not UTF-8 is a 400
problem naming the body (the JSON decoder raises RecursionError and UnicodeDecodeError for
those, which would otherwise be 500s)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from shutterbook_gateway.api.problems import problem


class GatewayRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            detail = "is nested too deeply"
        except UnicodeDecodeError:
            detail = "is not valid UTF-8"
        except SerializationException:
            detail = "is not valid JSON"
        raise problem(
            400,
            "the request is not valid",
            code="INVALID_REQUEST",
            detail="the request body is not a valid JSON document",
            errors=[{"field": "body", "detail": detail}],
        )
