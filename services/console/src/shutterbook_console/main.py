"""The console's CLI: serve (uvicorn), migrate, seed."""

from __future__ import annotations

from pathlib import Path

import uvicorn
from sqlalchemy.exc import IntegrityError

from shutterbook_console.app import create_app
from shutterbook_console.application.mailer import Mailer
from shutterbook_console.application.secrets import new_token
from shutterbook_console.settings import SERVICE, ConsoleSettings
from shutterbook_console.storage.repository import add_secret, get_secret
from shutterbook_kit.cli import service_cli
from shutterbook_kit.db import Database
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.uow import UnitOfWork

MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
CSRF_SECRET = "csrf"


async def signing_secret(settings: ConsoleSettings) -> str:
    """SHUTTERBOOK_CONSOLE_SECRET_KEY, or else one generated at first start and kept in the
    console's database, so every replica and every restart signs alike."""
    if settings.secret_key:
        return settings.secret_key
    db = Database(settings.database_url)
    try:
        for _ in range(3):
            async with UnitOfWork(db) as uow:
                value = await get_secret(uow.session, CSRF_SECRET)
                if value is not None:
                    return value
                add_secret(uow.session, CSRF_SECRET, new_token())
                try:
                    await uow.commit()
                except IntegrityError:  # another replica made it first: read theirs
                    continue
        raise RuntimeError("could not read or create the console's signing secret")
    finally:
        await db.dispose()


KEEP_ALIVE_SECONDS = 65


async def server(settings: ConsoleSettings, *, mailer: Mailer | None = None) -> uvicorn.Server:
    app = create_app(settings, secret_key=await signing_secret(settings), mailer=mailer)
    config = uvicorn.Config(
        app,
        host=settings.service.host,
        port=settings.service.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.service.shutdown_grace_seconds),
        lifespan="on",
        # idle connections kept longer than a browser's, an ingress's (60 s) or httpx's (5 s)
        # own idle timeout: closing one just as a client reuses it fails that request
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # the client address behind the ingress, for the per-address login throttle
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return uvicorn.Server(config)


async def serve(service: ServiceSettings) -> None:
    await (await server(ConsoleSettings.from_env(service))).serve()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
