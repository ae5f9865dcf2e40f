"""The gateway's CLI: serve (uvicorn), migrate, seed."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from shutterbook_gateway.app import create_app
from shutterbook_kit.cli import service_cli
from shutterbook_kit.settings import ServiceSettings

SERVICE = "gateway"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"


def server(settings: ServiceSettings) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        lifespan="on",
    )
    return uvicorn.Server(config)


async def serve(settings: ServiceSettings) -> None:
    await server(settings).serve()  # uvicorn stops taking requests on SIGTERM and finishes in-flight ones


async def seed(settings: ServiceSettings) -> None:
    from shutterbook_gateway.seed import seed_demo

    await seed_demo(settings)


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS, seed=seed)
