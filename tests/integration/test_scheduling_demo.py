"""The demo data: seeded through the API, and a second run creates nothing new."""

from __future__ import annotations

import uuid

import grpc

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID
from shutterbook_scheduling.demo import seed_demo
from tests.scheduling_support import SchedulingService, make_known_client, scheduling_service

META = company_metadata(DEMO_COMPANY_ID)


async def _counts(svc: SchedulingService) -> dict[str, int]:
    s = svc.stub
    return {
        "locations": len((await s.ListLocations(pb.ListLocationsRequest(), metadata=META)).locations),
        "schedules": len((await s.ListSchedules(pb.ListSchedulesRequest(), metadata=META)).schedules),
        "types": len((await s.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=META)).session_types),
        "sessions": len((await s.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=META)).sessions),
        "appointments": len(
            (await s.ListAppointments(pb.ListAppointmentsRequest(page_size=1000), metadata=META)).appointments
        ),
    }


async def test_demo_seed_is_idempotent(sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(sqlite_databases, nats_server.url) as svc:
        clients = [(await make_known_client(svc, DEMO_COMPANY_ID, name)).name for name in ("Ann", "Ben", "Cat")]
        items = {"SESSION-FEE-FAMILY": f"priceListItems/{uuid.uuid4()}", "PRINT-8X10": f"priceListItems/{uuid.uuid4()}"}
        async with grpc.aio.insecure_channel(f"127.0.0.1:{svc.host.port}") as channel:
            await seed_demo(channel, DEMO_COMPANY_ID, clients, items)
            first = await _counts(svc)
            await seed_demo(channel, DEMO_COMPANY_ID, clients, items)
        assert await _counts(svc) == first
        assert first["locations"] == 2
        assert first["schedules"] == 14
        assert first["types"] == 4
        assert first["sessions"] >= 60
        assert first["appointments"] > 0
        zones = {
            x.time_zone for x in (await svc.stub.ListLocations(pb.ListLocationsRequest(), metadata=META)).locations
        }
        assert zones == {"America/New_York", "America/Los_Angeles"}
        types = (await svc.stub.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=META)).session_types
        family = next(t for t in types if t.display_name == "Family Portrait")
        assert list(family.price_list_items) == [items["SESSION-FEE-FAMILY"]]
        assert family.color == "#4A90D9"
