"""The demo slots: both locations, both online types, some overlapping, open to sell; a
second run creates nothing new."""

from __future__ import annotations

import grpc

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID
from shutterbook_scheduling.demo import seed_demo
from shutterbook_scheduling.online_demo import seed_demo_slots
from tests.scheduling_support import scheduling_service

META = company_metadata(DEMO_COMPANY_ID)


async def test_demo_slots(sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with (
        scheduling_service(sqlite_databases, nats_server.url) as svc,
        grpc.aio.insecure_channel(f"127.0.0.1:{svc.host.port}") as channel,
    ):
        await seed_demo(channel, DEMO_COMPANY_ID, [], {})
        count = await seed_demo_slots(channel, DEMO_COMPANY_ID)
        assert count > 100
        assert await seed_demo_slots(channel, DEMO_COMPANY_ID) == count
        online = online_pb2_grpc.OnlineBookingServiceStub(channel)
        slots = (await online.ListTimeSlots(opb.ListTimeSlotsRequest(page_size=1000), metadata=META)).time_slots
        assert {s.location for s in slots} == {
            loc.name for loc in (await svc.stub.ListLocations(pb.ListLocationsRequest(), metadata=META)).locations
        }
        types = {
            t.name: t.display_name
            for t in (await svc.stub.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=META)).session_types
        }
        assert {types[s.session_type] for s in slots} == {"Family Portrait", "Mini Session"}
        overlapping = [
            (a.name, b.name)
            for a in slots
            for b in slots
            if a.name < b.name
            and a.location == b.location
            and set(a.schedules) & set(b.schedules)
            and a.start_time.ToDatetime() < b.end_time.ToDatetime()
            and b.start_time.ToDatetime() < a.end_time.ToDatetime()
        ]
        assert overlapping
        first = min(slots, key=lambda s: (s.date.year, s.date.month, s.date.day))
        last = max(slots, key=lambda s: (s.date.year, s.date.month, s.date.day))
        mini = next(name for name, label in types.items() if label == "Mini Session")
        open_now = await online.ListOpenSlots(
            opb.ListOpenSlotsRequest(
                session_type=mini, location=first.location, start_date=first.date, end_date=last.date
            ),
            metadata=META,
        )
        assert open_now.time_slots
