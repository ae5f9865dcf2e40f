"""The gateway's public API over real HTTP against real services: problem bodies that name
the field, API keys, readiness."""

from __future__ import annotations

import httpx

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key, revoke_key, split_key
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A, clients_and_scheduling, gateway

PROBLEM = "application/problem+json"


async def test_gateway_errors_are_problems_naming_the_field(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    gateway_db = await sqlite_databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    db = Database(gateway_db)
    key = await issue_key(db, COMPANY_A, "api test")
    revoked = await issue_key(db, COMPANY_A, "revoked")
    parsed = split_key(revoked)
    assert parsed is not None
    assert await revoke_key(db, parsed[0])
    await db.dispose()
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as s:
        upstreams = {
            "clients": f"127.0.0.1:{s.clients_port}",
            "scheduling": f"127.0.0.1:{s.scheduling_port}",
            "billing": "127.0.0.1:1",
        }
        async with gateway(gateway_db, upstreams) as base_url, httpx.AsyncClient(base_url=base_url) as http:
            for headers in ({}, {"X-Api-Key": "sbk_nope_nope"}, {"X-Api-Key": revoked}):
                anonymous = await http.post("/v1/clients", headers=headers, json={"given_name": "A"})
                assert anonymous.status_code == 401
                assert anonymous.headers["content-type"].startswith(PROBLEM)
                assert anonymous.json()["code"] == "UNAUTHENTICATED"

            auth = {"X-Api-Key": key}
            domain = await http.post("/v1/clients", headers=auth, json={"given_name": "A", "emails": ["a@", "ok@x.io"]})
            assert domain.status_code == 422
            assert domain.headers["content-type"].startswith(PROBLEM)
            assert domain.json()["errors"] == [
                {"field": "client.emails[0]", "detail": domain.json()["errors"][0]["detail"]}
            ]

            extra = await http.post("/v1/clients", headers=auth, json={"given_name": "A", "company_id": "other"})
            assert extra.status_code == 400
            assert "company_id" in extra.text  # refused, never applied

            wrong_type = await http.post("/v1/clients", headers=auth, json={"given_name": 7})
            assert wrong_type.status_code == 400
            assert wrong_type.json()["errors"][0]["field"] == "given_name"

            ok = await http.post("/v1/clients", headers={**auth, "Idempotency-Key": "k-1"}, json={"given_name": "A"})
            again = await http.post("/v1/clients", headers={**auth, "Idempotency-Key": "k-1"}, json={"given_name": "A"})
            assert ok.status_code == again.status_code == 201
            assert ok.json() == again.json()
            other_body = await http.post(
                "/v1/clients", headers={**auth, "Idempotency-Key": "k-1"}, json={"given_name": "B"}
            )
            assert other_body.status_code == 422

            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
            assert ready.status_code == 503  # billing is not running
            assert ready.json()["upstreams"] == {
                "clients": "SERVING",
                "scheduling": "SERVING",
                "billing": "UNREACHABLE",
            }
