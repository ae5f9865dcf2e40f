"""Partner mechanics of the gateway over real HTTP: Idempotency-Key semantics (replay, 422
on another body, 409 while the first runs, 20 concurrent retries), the per-key rate limit,
and key administration from the command line."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from shutterbook_clients.storage.models import ClientRow
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A, clients_and_scheduling, gateway


async def _client_count(url: str) -> int:
    db = Database(url)
    try:
        async with db.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(ClientRow)) or 0)
    finally:
        await db.dispose()


async def _new_key(url: str) -> str:
    db = Database(url)
    try:
        return await issue_key(db, COMPANY_A, "partner test")
    finally:
        await db.dispose()


async def test_idempotency_key_semantics(sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    gateway_db = await sqlite_databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    key = await _new_key(gateway_db)
    other_partner = await _new_key(gateway_db)
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as s:
        upstreams = {
            "clients": f"127.0.0.1:{s.clients_port}",
            "scheduling": f"127.0.0.1:{s.scheduling_port}",
            "billing": "127.0.0.1:1",
        }
        async with gateway(gateway_db, upstreams) as base_url, httpx.AsyncClient(base_url=base_url) as http:
            auth = {"X-Api-Key": key, "Idempotency-Key": "order-1"}
            first = await http.post("/v1/clients", headers=auth, json={"given_name": "Idem"})
            replay = await http.post("/v1/clients", headers=auth, json={"given_name": "Idem"})
            assert first.status_code == replay.status_code == 201
            assert replay.json() == first.json()
            assert replay.headers["idempotent-replayed"] == "true"
            assert await _client_count(s.clients_db) == 1

            other = await http.post("/v1/clients", headers=auth, json={"given_name": "Different"})
            assert other.status_code == 422
            assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"

            # the same key string of another partner is another key
            theirs = await http.post(
                "/v1/clients",
                headers={"X-Api-Key": other_partner, "Idempotency-Key": "order-1"},
                json={"given_name": "Idem"},
            )
            assert theirs.status_code == 201
            assert theirs.json()["id"] != first.json()["id"]
            assert await _client_count(s.clients_db) == 2

            # 20 concurrent retries of one new key: one runs, the rest wait it out (409) or replay it
            burst = {"X-Api-Key": key, "Idempotency-Key": "order-2"}
            responses = await asyncio.gather(
                *(http.post("/v1/clients", headers=burst, json={"given_name": "Burst"}) for _ in range(20))
            )
            statuses = Counter(r.status_code for r in responses)
            assert set(statuses) <= {201, 409}, statuses
            created = {r.json()["id"] for r in responses if r.status_code == 201}
            assert len(created) == 1
            assert all(r.json()["code"] == "IDEMPOTENCY_KEY_IN_USE" for r in responses if r.status_code == 409)
            assert all(r.headers["retry-after"] == "1" for r in responses if r.status_code == 409)
            assert await _client_count(s.clients_db) == 3
            settled = await http.post("/v1/clients", headers=burst, json={"given_name": "Burst"})
            assert settled.status_code == 201
            assert settled.json()["id"] in created


async def test_a_key_in_use_answers_409_until_the_first_request_ends(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    gateway_db = await sqlite_databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    key = await _new_key(gateway_db)
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as s:
        upstreams = {
            "clients": f"127.0.0.1:{s.clients_port}",
            "scheduling": f"127.0.0.1:{s.scheduling_port}",
            "billing": "127.0.0.1:1",
        }
        async with gateway(gateway_db, upstreams) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            lock = sqlite3.connect(str(make_url(s.clients_db).database), isolation_level=None, timeout=30)
            lock.execute("BEGIN IMMEDIATE")  # the clients service's writes now wait: the first request hangs
            headers = {"X-Api-Key": key, "Idempotency-Key": "slow-1"}
            first = asyncio.create_task(http.post("/v1/clients", headers=headers, json={"given_name": "Slow"}))
            await asyncio.sleep(1.0)
            assert not first.done()
            second = await http.post("/v1/clients", headers=headers, json={"given_name": "Slow"})
            assert second.status_code == 409
            lock.execute("ROLLBACK")
            lock.close()
            done = await first
            assert done.status_code == 201
            third = await http.post("/v1/clients", headers=headers, json={"given_name": "Slow"})
            assert third.json() == done.json()


async def test_rate_limit_per_key_answers_429_with_retry_after(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE", "5")
    gateway_db = await sqlite_databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    key, other = await _new_key(gateway_db), await _new_key(gateway_db)
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as s:
        upstreams = {
            "clients": f"127.0.0.1:{s.clients_port}",
            "scheduling": f"127.0.0.1:{s.scheduling_port}",
            "billing": "127.0.0.1:1",
        }
        async with gateway(gateway_db, upstreams) as base_url, httpx.AsyncClient(base_url=base_url) as http:
            statuses = [
                (await http.post("/v1/clients", headers={"X-Api-Key": key}, json={"given_name": f"R{i}"})).status_code
                for i in range(5)
            ]
            assert statuses == [201] * 5
            limited = await http.post("/v1/clients", headers={"X-Api-Key": key}, json={"given_name": "Over"})
            assert limited.status_code == 429
            assert limited.headers["content-type"].startswith("application/problem+json")
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            # another partner's key has its own budget; health checks are never limited
            assert (
                await http.post("/v1/clients", headers={"X-Api-Key": other}, json={"given_name": "Fresh"})
            ).status_code == 201
            assert (await http.get("/healthz")).status_code == 200
            assert await _client_count(s.clients_db) == 6


def test_keys_are_issued_listed_and_revoked_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'gateway.db'}"
    env = {**os.environ, "SHUTTERBOOK_GATEWAY_DATABASE_URL": database}
    command = str(Path(sys.executable).parent / "shutterbook-booking-gateway")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        """The installed command, in a process of its own."""
        return subprocess.run([command, *args], env=env, capture_output=True, text=True, timeout=60)

    def cli(*args: str) -> tuple[int, str]:
        """What the command runs (its `cli()`, with these arguments), in this process: each
        process would spend seconds importing the gateway; (exit code, what it printed)."""
        monkeypatch.setenv("SHUTTERBOOK_GATEWAY_DATABASE_URL", database)
        monkeypatch.setattr(sys, "argv", [command, *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            gateway_main.cli()
        return int(exited.value.code or 0), capsys.readouterr().out

    assert run("migrate").returncode == 0
    code, key = cli("keys", "issue", "--company", COMPANY_A, "--label", "acme")
    assert code == 0
    key = key.strip()
    key_id = key.split("_")[1]
    code, listed = cli("keys", "list")
    assert code == 0
    assert key_id in listed
    assert "active" in listed
    assert key.split("_", 2)[2] not in listed  # the secret is never shown again
    assert cli("keys", "issue", "--company", "not-a-uuid", "--label", "x")[0] == 2
    assert cli("keys", "revoke", key_id)[0] == 0
    assert cli("keys", "revoke", key_id)[0] == 1
    listed_by_the_command = run("keys", "list")
    assert listed_by_the_command.returncode == 0, listed_by_the_command.stderr
    assert f"{key_id}\t" in listed_by_the_command.stdout
    assert "revoked" in listed_by_the_command.stdout
