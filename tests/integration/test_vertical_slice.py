"""The foundation's slice: CreateClient -> clients.client.created through the outbox and
JetStream -> scheduling's client directory, readable over gRPC. On SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually, rpc_violations
from tests.helpers import COMPANY_A, COMPANY_B, clients_and_scheduling, create_client, known_client


async def test_created_client_reaches_scheduling(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with clients_and_scheduling(databases, nats_server.url) as s:
        created = await create_client(s.clients, COMPANY_A, "Ada", "Ada.Lovelace@Example.com")
        assert created.name.startswith("clients/")
        assert list(created.emails) == ["Ada.Lovelace@example.com"]  # domain part normalized

        fetched = await s.clients.GetClient(
            clients_pb2.GetClientRequest(name=created.name), metadata=company_metadata(COMPANY_A)
        )
        assert fetched == created

        known = await eventually(lambda: known_client(s.scheduling, COMPANY_A, created), what="client in scheduling")
        assert known.client == created.name
        assert known.display_name == "Ada Tester"
        assert known.primary_email == "Ada.Lovelace@example.com"

        listed = await s.scheduling.ListKnownClients(
            scheduling_pb2.ListKnownClientsRequest(), metadata=company_metadata(COMPANY_A)
        )
        assert [k.client for k in listed.known_clients] == [created.name]
        # scheduling's directory is per company too
        assert await known_client(s.scheduling, COMPANY_B, created) is None


async def test_bad_input_names_each_bad_field(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with clients_and_scheduling(databases, nats_server.url) as s:
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await s.clients.CreateClient(
                clients_pb2.CreateClientRequest(client=clients_pb2.Client(emails=["ok@example.com", "not-an-email"])),
                metadata=company_metadata(COMPANY_A),
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(rpc_violations(bad.value)) == {"client.given_name", "client.emails[1]"}

        with pytest.raises(grpc.aio.AioRpcError) as one:
            await s.clients.CreateClient(
                clients_pb2.CreateClientRequest(client=clients_pb2.Client(given_name="Bo", emails=["bo@"])),
                metadata=company_metadata(COMPANY_A),
            )
        assert one.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(one.value)) == ["client.emails[0]"]

        with pytest.raises(grpc.aio.AioRpcError) as unnamed:
            await s.clients.GetClient(
                clients_pb2.GetClientRequest(name="people/1"), metadata=company_metadata(COMPANY_A)
            )
        assert unnamed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(unnamed.value)) == ["name"]


async def test_other_company_sees_not_found(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with clients_and_scheduling(databases, nats_server.url) as s:
        created = await create_client(s.clients, COMPANY_A, "Cy")
        with pytest.raises(grpc.aio.AioRpcError) as other:
            await s.clients.GetClient(
                clients_pb2.GetClientRequest(name=created.name), metadata=company_metadata(COMPANY_B)
            )
        assert other.value.code() == grpc.StatusCode.NOT_FOUND

        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await s.clients.GetClient(clients_pb2.GetClientRequest(name=created.name))
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_request_id_makes_create_idempotent(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with clients_and_scheduling(databases, nats_server.url) as s:
        request = clients_pb2.CreateClientRequest(
            client=clients_pb2.Client(given_name="Di"), request_id="4f1d2c8e-retry-key"
        )
        first = await s.clients.CreateClient(request, metadata=company_metadata(COMPANY_A))
        again = await s.clients.CreateClient(request, metadata=company_metadata(COMPANY_A))
        assert again == first

        changed = clients_pb2.CreateClientRequest(
            client=clients_pb2.Client(given_name="Ed"), request_id="4f1d2c8e-retry-key"
        )
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await s.clients.CreateClient(changed, metadata=company_metadata(COMPANY_A))
        assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        # one client, one event: scheduling learns it exactly once
        known = await eventually(lambda: known_client(s.scheduling, COMPANY_A, first), what="client in scheduling")
        listed = await s.scheduling.ListKnownClients(
            scheduling_pb2.ListKnownClientsRequest(), metadata=company_metadata(COMPANY_A)
        )
        assert [k.name for k in listed.known_clients] == [known.name]
