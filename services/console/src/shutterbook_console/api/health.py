"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State


class HealthController(Controller):
    path = ""
    tags = ["health"]

    @get("/healthz", operation_id="getLiveness", summary="The process is up")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", operation_id="getReadiness", summary="The console's database answers")
    async def readyz(self, request: Request[Any, Any, State]) -> Response[dict[str, Any]]:
        db_ok = await request.app.state.db.ping()
        body = {"status": "ready" if db_ok else "not ready", "database": "ok" if db_ok else "unreachable"}
        return Response(body, status_code=200 if db_ok else 503)
