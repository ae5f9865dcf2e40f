"""One trace crosses gateway -> clients -> NATS -> scheduling (in-memory span exporter)."""

from __future__ import annotations

import httpx

from shutterbook.clients.v1 import clients_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import SPANS, DatabaseFactory, eventually
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A, clients_and_scheduling, gateway, known_client


async def test_one_trace_from_gateway_to_scheduling(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    gateway_db = await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    db = Database(gateway_db)
    key = await issue_key(db, COMPANY_A, "trace test")
    await db.dispose()
    async with clients_and_scheduling(databases, nats_server.url) as s:
        upstreams = {
            "clients": f"127.0.0.1:{s.clients_port}",
            "scheduling": f"127.0.0.1:{s.scheduling_port}",
            "billing": "127.0.0.1:1",
        }
        async with gateway(gateway_db, upstreams) as base_url:
            SPANS.clear()
            async with httpx.AsyncClient(base_url=base_url) as http:
                response = await http.post(
                    "/v1/clients",
                    headers={"X-Api-Key": key},
                    json={"given_name": "Trace", "emails": ["trace@example.com"]},
                )
            assert response.status_code == 201, response.text
            client = clients_pb2.Client(name=f"clients/{response.json()['id']}")
            await eventually(lambda: known_client(s.scheduling, COMPANY_A, client), what="client in scheduling")

    spans = SPANS.get_finished_spans()
    http_spans = [sp for sp in spans if sp.name.startswith("POST /v1/clients") and sp.parent is None]
    assert len(http_spans) == 1, [sp.name for sp in spans]
    trace_id = http_spans[0].context.trace_id
    in_trace = {sp.name for sp in spans if sp.context.trace_id == trace_id}
    assert "/shutterbook.clients.v1.ClientsService/CreateClient" in in_trace
    assert "clients.client.created publish" in in_trace
    assert "clients.client.created process" in in_trace
    # the consumer's span descends from the publish span, which descends from the gRPC call
    by_id = {sp.context.span_id: sp for sp in spans if sp.context.trace_id == trace_id}
    process = next(sp for sp in by_id.values() if sp.name == "clients.client.created process")
    ancestors = []
    parent = process.parent
    while parent is not None and parent.span_id in by_id:
        ancestors.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    assert "clients.client.created publish" in ancestors
    assert "/shutterbook.clients.v1.ClientsService/CreateClient" in ancestors
