"""The clients demo data: created through the API, and a second run creates nothing new."""

from __future__ import annotations

import grpc

from shutterbook.clients.v1 import clients_pb2
from shutterbook_clients.demo import CLIENT_COUNT, seed_demo
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID
from tests.clients_support import clients_service


async def test_demo_seed_is_idempotent(sqlite_databases: DatabaseFactory) -> None:
    async with clients_service(sqlite_databases, "nats://127.0.0.1:1") as svc:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{svc.port}") as channel:
            first = await seed_demo(channel, DEMO_COMPANY_ID)
            events = len(await svc.outbox())
            second = await seed_demo(channel, DEMO_COMPANY_ID)
        assert second == first
        assert len(set(first)) == CLIENT_COUNT
        assert len(await svc.outbox()) == events  # nothing new, no new events
        meta = company_metadata(DEMO_COMPANY_ID)
        orgs = await svc.stub.ListOrganizations(clients_pb2.ListOrganizationsRequest(), metadata=meta)
        assert [o.display_name for o in orgs.organizations] == ["Lincoln High", "Riverside Elementary"]
        for org in orgs.organizations:
            for year in (2025, 2026):
                page = await svc.stub.ListClients(
                    clients_pb2.ListClientsRequest(organization=org.name, year=year), metadata=meta
                )
                assert page.clients
        filters = await svc.stub.ListSavedFilters(clients_pb2.ListSavedFiltersRequest(), metadata=meta)
        (saved,) = filters.saved_filters
        selected = await svc.stub.ListClients(clients_pb2.ListClientsRequest(saved_filter=saved.name), metadata=meta)
        assert len(selected.clients) == CLIENT_COUNT // 8
        groups = await svc.stub.ListClientGroups(clients_pb2.ListClientGroupsRequest(), metadata=meta)
        assert groups.client_groups[0].member_count > 0
