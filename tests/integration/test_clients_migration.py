"""Migration 0002 gives clients written by the foundation slice their search keys."""

from __future__ import annotations

import asyncio

import grpc
import sqlalchemy as sa

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_clients import main as clients_main
from shutterbook_devstack.testing import DatabaseFactory, running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.schema import utcnow
from tests.clients_support import COMPANY_A, A, rpc_error

OLD = "0b7e6f3a-1111-4a4a-8a8a-000000000001"


async def test_upgrade_backfills_search_keys(databases: DatabaseFactory) -> None:
    url = await databases.new("clients")
    await asyncio.to_thread(upgrade, clients_main.MIGRATIONS, url, "0001")
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO clients (id, company_id, given_name, family_name, household_name, emails, phones,"
                    " created_at, updated_at) VALUES (:id, :c, 'José', 'Old', '', :e, :p, :t, :t)"
                ),
                {
                    "id": OLD,
                    "c": COMPANY_A,
                    "e": '["Jose@Example.com"]',
                    "p": '["+12125550123"]',
                    "t": utcnow().replace(tzinfo=None),
                },
            )
    finally:
        await db.dispose()
    await asyncio.to_thread(upgrade, clients_main.MIGRATIONS, url)
    host = clients_main.build(service_settings("clients", url, "nats://127.0.0.1:1"))
    async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        stub: clients_pb2_grpc.ClientsServiceAsyncStub = clients_pb2_grpc.ClientsServiceStub(channel)
        found = await stub.SearchClients(clients_pb2.SearchClientsRequest(query="jose old"), metadata=A)
        assert [r.client.name for r in found.results] == [f"clients/{OLD}"]
        by_phone = await stub.SearchClients(clients_pb2.SearchClientsRequest(query="555-0123"), metadata=A)
        assert [r.client.name for r in by_phone.results] == [f"clients/{OLD}"]
        dup = await rpc_error(
            stub.CreateClient(
                clients_pb2.CreateClientRequest(client=clients_pb2.Client(given_name="J", emails=["jose@example.com"])),
                metadata=A,
            )
        )
        assert dup.code() == grpc.StatusCode.ALREADY_EXISTS
