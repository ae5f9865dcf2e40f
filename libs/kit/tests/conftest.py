"""Fixtures of the kit's tests (the workspace's shared ones come from the root conftest)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shutterbook_devstack.testing import POSTGRES_ENV


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the PostgreSQL server of SHUTTERBOOK_TEST_POSTGRES_URL, to
    look at the tests' connections as the server sees them (see `uow_support.transaction_state`)."""
    if not os.environ.get(POSTGRES_ENV):  # (the tests using it skip SQLite themselves)
        pytest.skip(f"needs PostgreSQL: {POSTGRES_ENV} is not set")
    url = make_url(os.environ[POSTGRES_ENV]).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        yield conn
    finally:
        await conn.close()
