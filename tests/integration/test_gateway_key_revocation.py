"""A revoked partner key stops working at a running gateway within the documented bound
(README, "API keys": `REVOCATION_SECONDS`), although the gateway keeps key rows in memory:
the revocation's `gateway.api_key.revoked` event reaches every gateway process through real
NATS. The key cache's TTL is set to an hour here, so only the event can make it happen."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway.application.api_keys import REVOCATION_SECONDS, issue_key, revoke_key, split_key
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A
from tests.stack_support import booking_stack


@pytest.mark.postgres
async def test_a_revoked_key_is_refused_within_the_documented_bound(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_KEY_CACHE_SECONDS", "3600")
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        db = Database(stack.gateway_db)
        try:
            key = await issue_key(db, COMPANY_A, "soon revoked")
            other = stack.keys[COMPANY_A]
            assert (await http.get("/v1/locations", headers={"X-Api-Key": key})).status_code == 200  # now cached
            parsed = split_key(key)
            assert parsed is not None
            assert await revoke_key(db, parsed[0])  # as `keys revoke` does: the database, not the gateway
        finally:
            await db.dispose()

        deadline = time.monotonic() + REVOCATION_SECONDS
        statuses: list[int] = []
        while time.monotonic() < deadline:
            statuses.append((await http.get("/v1/locations", headers={"X-Api-Key": key})).status_code)
            if statuses[-1] == 401:
                break
            await asyncio.sleep(0.05)
        assert statuses[-1] == 401, f"still accepted after {REVOCATION_SECONDS}s: {statuses}"
        assert set(statuses) <= {200, 401}
        # it stays refused, and other keys are untouched
        assert (await http.get("/v1/locations", headers={"X-Api-Key": key})).status_code == 401
        assert (await http.get("/v1/locations", headers={"X-Api-Key": other})).status_code == 200
