"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State


class HealthController(Controller):
    path = ""
    tags = ["health"]
    include_in_schema = True

    @get("/healthz", operation_id="getLiveness", summary="The process is up")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/readyz",
        operation_id="getReadiness",
        summary="Every upstream gRPC service answers SERVING (and, under make run, the demo data is seeded)",
    )
    async def readyz(self, request: Request[Any, Any, State]) -> Response[dict[str, Any]]:
        upstreams = await request.app.state.upstreams.health()
        db_ok = await request.app.state.db.ping()
        ready = db_ok and all(s == "SERVING" for s in upstreams.values())
        body: dict[str, Any] = {
            "upstreams": upstreams,
            "database": "ok" if db_ok else "unreachable",
        }
        gate: Path | None = request.app.state.ready_file
        if gate is not None:  # SHUTTERBOOK_GATEWAY_READY_FILE: the demo data of `make run`
            seeded = await asyncio.to_thread(gate.exists)
            ready = ready and seeded
            body["demo_data"] = "seeded" if seeded else "seeding"
        return Response({"status": "ready" if ready else "not ready", **body}, status_code=200 if ready else 503)
