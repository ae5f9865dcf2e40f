"""Schemathesis against the console's API (real HTTP on loopback), logged in as an owner with
the CSRF header: no 5xx, bodies as documented, every error an RFC 9457 problem. Logging out is
left out of the generated calls (it would end the session the rest run in). A real
notifications service answers the communication log's calls, real scheduling and clients
services the calendar's and the bulk wizard's."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from shutterbook_console import main as console_main
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.bulk_support import bulk_slice
from tests.console_support import console, csrf, log_in
from tests.integration.test_gateway_schemathesis import AnyOperation, Pinned, fuzz
from tests.notifications_support import notifications_service


async def test_console_api_has_no_server_error_and_matches_its_document(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    url = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with (
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, scheduling_port=1) as n,
        bulk_slice(sqlite_databases, nats_server.url) as s,
        console(
            url,
            notifications_addr=f"127.0.0.1:{n.port}",
            scheduling=f"127.0.0.1:{s.scheduling.host.port}",
            clients=s.clients_target,
        ) as c,
        c.client() as http,
    ):
        await c.staff("owner@example.com", ["owner"])
        desk = await c.staff("desk@example.com", ["front_desk"])
        assert (await log_in(http, "owner@example.com")).status_code == 200
        headers = await csrf(http)
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
        auth = {**headers, "Cookie": cookie}
        document: dict[str, Any] = (await http.get("/docs/openapi.json")).json()
        document["paths"]["/api/v1/session"].pop("delete")
        schema = schemathesis.openapi.from_dict(document)

        def pinned_for(operation: AnyOperation) -> Pinned | None:
            return Pinned(path_parameters={"staff_id": desk.id}) if "{staff_id}" in operation.path else None

        checks: list[CheckFunction] = [not_a_server_error, response_schema_conformance]
        findings = await asyncio.to_thread(fuzz, schema, c.url, auth, pinned_for, checks)
        assert (await http.get("/api/v1/me")).status_code == 200  # the session lived through it

    assert findings.calls > 200
    assert 200 in findings.statuses["GET /api/v1/staff/{staff_id}"]
    assert 200 in findings.statuses["GET /api/v1/staff"]
    assert 200 in findings.statuses["GET /api/v1/clients/{client_id}/messages"]
    # the wizard's routes call clients, scheduling and billing, which this console cannot reach:
    # their 503 is the right answer here (they run against the real stack, bad input included,
    # in test_console_wizard_api.py); any other server error still counts
    for key in [
        k for k in findings.seen if k[0].startswith(("GET /api/v1/wizard/", "POST /api/v1/wizard/")) and k[2] == 503
    ]:
        findings.seen.pop(key)
    assert not findings.seen, findings.report()
