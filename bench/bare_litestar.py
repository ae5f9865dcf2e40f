"""The ceiling of `bench_gateway`: a bare Litestar JSON endpoint, `GET /bare`, served exactly
the way the gateway serves itself (`uvicorn.Server(...).serve()` under `asyncio.run`, one
worker, `log_config=None` with the kit's JSON logging at SHUTTERBOOK_LOG_LEVEL). It answers
with a JSON document read from a file at start (the bench captures a real open-slots
response of the gateway), decoded once and encoded by Litestar on every request, as the
gateway encodes its response structs.

    python -m bench.bare_litestar --port 8123 --body response.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar, get

from shutterbook_kit.logs import configure_logging

PATH = "/bare"


def create_app(body: dict[str, Any]) -> Litestar:
    @get(PATH)
    async def bare() -> dict[str, Any]:
        return body

    return Litestar(route_handlers=[bare], logging_config=None, openapi_config=None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_litestar")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="a JSON object to answer with")
    args = parser.parse_args(argv)
    body = json.loads(args.body.read_bytes())
    if not isinstance(body, dict):
        raise SystemExit("--body must hold a JSON object")
    configure_logging("bench-bare", os.environ.get("SHUTTERBOOK_LOG_LEVEL", "INFO"))
    # the same uvicorn settings as shutterbook_gateway.main.server
    config = uvicorn.Config(
        create_app(body), host=args.host, port=args.port, log_config=None, timeout_graceful_shutdown=5, lifespan="on"
    )
    asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
