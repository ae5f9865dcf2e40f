"""Alembic, per service: each service keeps its migrations in its own package and runs
them with `shutterbook-<service> migrate`. The kit supplies the env.py logic once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shutterbook_kit.db import async_url
from shutterbook_kit.schema import KitBase


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "heads") -> None:
    """Apply migrations (blocking; from async code call it with `asyncio.to_thread`).

    Up to every head: work on separate branches may each add a revision after the same
    parent until a merge revision joins them."""
    url = async_url(database_url)
    database_url = url.render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(script_location, database_url), revision)


def run_env(service_metadata: MetaData) -> None:
    """The body of a service's `env.py`: migrate its tables and the kit's."""
    targets = [service_metadata, KitBase.metadata]
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    is_sqlite = make_url(url).get_backend_name() == "sqlite"

    def run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=targets, render_as_batch=is_sqlite, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=targets, literal_binds=True, render_as_batch=is_sqlite)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(online())
