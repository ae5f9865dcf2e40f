"""Readiness means ready to serve what it says: with a readiness gate file configured (as
`make run` does until its demo data is in), /readyz is 503 while every upstream already
answers, and 200 once the file exists; without one, upstreams alone decide."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.stack_support import booking_stack


async def test_readyz_waits_for_the_gate_file(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = tmp_path / "run" / "demo-seeded"
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_READY_FILE", str(gate))
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url) as http,
    ):
        waiting = await http.get("/readyz")
        assert waiting.status_code == 503
        body = waiting.json()
        assert body["status"] == "not ready"
        assert body["demo_data"] == "seeding"
        assert set(body["upstreams"].values()) == {"SERVING"}  # only the gate holds it back

        gate.parent.mkdir(parents=True)
        gate.write_text("seeded\n")
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["demo_data"] == "seeded"


async def test_readyz_without_a_gate_asks_the_upstreams_only(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHUTTERBOOK_GATEWAY_READY_FILE", raising=False)
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url) as http,
    ):
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert "demo_data" not in ready.json()
