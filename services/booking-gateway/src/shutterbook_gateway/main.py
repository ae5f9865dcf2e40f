"""The gateway's CLI: serve (uvicorn), migrate, seed."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from shutterbook_gateway.app import create_app
from shutterbook_gateway.http_server import header_timeout_protocol
from shutterbook_gateway.keys_cli import keys_cli
from shutterbook_gateway.settings import GatewaySettings
from shutterbook_kit.cli import service_cli
from shutterbook_kit.settings import ServiceSettings

SERVICE = "gateway"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"


def server(settings: ServiceSettings, gateway: GatewaySettings | None = None) -> uvicorn.Server:
    """The gateway's HTTP server; its own settings are read once from the environment unless given."""
    gateway = gateway if gateway is not None else GatewaySettings.from_env(settings)
    config = uvicorn.Config(
        create_app(settings, gateway),
        host=settings.host,
        port=settings.port,
        log_config=None,
        http=header_timeout_protocol(gateway.header_timeout_seconds),
        timeout_keep_alive=gateway.keep_alive_seconds,
        limit_concurrency=gateway.max_connections,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        lifespan="on",
    )
    return uvicorn.Server(config)


async def serve(settings: ServiceSettings) -> None:
    await server(settings).serve()  # uvicorn stops taking requests on SIGTERM and finishes in-flight ones


async def seed(settings: ServiceSettings) -> None:
    from shutterbook_gateway.seed import seed_demo

    await seed_demo(settings)


_service_cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS, seed=seed)


def cli() -> None:
    """`serve`, `migrate`, `seed`, and `keys issue|list|revoke`."""
    if sys.argv[1:2] == ["keys"]:
        raise SystemExit(keys_cli(sys.argv[2:], ServiceSettings.from_env(SERVICE)))
    _service_cli()
