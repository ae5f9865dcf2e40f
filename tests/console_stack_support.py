"""The console in front of the real clients, scheduling and billing services, seeded with the
`make run` demo studio (clients with families and memberships, two locations, sessions,
appointments, invoices and payments) and its demo staff. For the record and hub tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_devstack.demo import seed_demo
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID
from tests.billing_support import Billing, billing_service
from tests.console_support import Console, console
from tests.helpers import Slice, clients_and_scheduling

DEMO_META = company_metadata(DEMO_COMPANY_ID)


@dataclass
class ConsoleStack:
    console: Console
    services: Slice
    billing: Billing


@asynccontextmanager
async def console_stack(
    databases: DatabaseFactory, nats_url: str, *, booking_page_url: str = "", booking_page_key: str = ""
) -> AsyncIterator[ConsoleStack]:
    """`booking_page_*`: where the type editor's "Copy Online Booking URL" points."""
    async with (
        clients_and_scheduling(databases, nats_url) as services,
        billing_service(databases, nats_url, slow_seconds=0.0) as billing,
    ):
        console_db = await databases.new("console", migrate_with=console_main.MIGRATIONS)
        await seed_demo(
            {"clients": services.clients_port, "scheduling": services.scheduling_port, "billing": billing.port},
            console_database_url=console_db,
        )
        async with console(
            console_db,
            scheduling=f"127.0.0.1:{services.scheduling_port}",
            clients=f"127.0.0.1:{services.clients_port}",
            billing=f"127.0.0.1:{billing.port}",
            booking_page_url=booking_page_url,
            booking_page_key=booking_page_key,
        ) as c:
            yield ConsoleStack(c, services, billing)


@pytest.fixture(name="stack", scope="module")
async def module_console_stack(
    module_sqlite_databases: DatabaseFactory, module_nats_server: EmbeddedNats
) -> AsyncIterator[ConsoleStack]:
    """`stack`: one demo console stack for all the tests of the module that imports this (seeding
    the demo takes long); each test works on records of its own or asserts only what it did."""
    async with console_stack(module_sqlite_databases, module_nats_server.url) as s:
        yield s


def weekday(n: int) -> date_pb2.Date:
    """The `n`-th weekday after today (weekdays: inside the demo studio's hours). Distinct `n`
    give distinct days, in order: `n` calendar days moved off a weekend made 53 and 54 the
    same Monday when today was a Tuesday, and two tests' bookings met there."""
    d, left = date.today(), n
    while left > 0:
        d += timedelta(days=1)
        left -= d.weekday() < 5
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def date_text(d: date_pb2.Date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


class EditStudio:
    """The demo studio's first location, John's schedule there (his console account is linked
    to it), the other staff, a room, a type and a client: to book sessions for record tests."""

    def __init__(self, stack: ConsoleStack) -> None:
        self.s = stack.services.scheduling

    @classmethod
    async def of(cls, stack: ConsoleStack) -> EditStudio:
        studio = cls(stack)
        await studio.load()
        return studio

    async def load(self) -> None:
        locations = await self.s.ListLocations(pb.ListLocationsRequest(page_size=10), metadata=DEMO_META)
        self.location = locations.locations[0]  # where the demo links John's account to his schedule
        schedules = await self.s.ListSchedules(
            pb.ListSchedulesRequest(page_size=100, location=self.location.name), metadata=DEMO_META
        )
        staff = [x for x in schedules.schedules if x.kind == pb.SCHEDULE_KIND_STAFF]
        self.john = next(x for x in staff if x.display_name.startswith("John Doe"))
        self.others = [x for x in staff if x.name != self.john.name]
        self.room = next(x for x in schedules.schedules if x.kind == pb.SCHEDULE_KIND_RESOURCE)
        types = await self.s.ListSessionTypes(pb.ListSessionTypesRequest(page_size=100), metadata=DEMO_META)
        self.session_type = types.session_types[0]
        known = await self.s.ListKnownClients(pb.ListKnownClientsRequest(page_size=10), metadata=DEMO_META)
        self.client = known.known_clients[0].client

    async def book(self, when: date_pb2.Date, hour: int, photographer: pb.Schedule, **fields: object) -> pb.Session:
        session = pb.Session(
            client=self.client,
            session_type=self.session_type.name,
            location=self.location.name,
            session_date=when,
            start=pb.TimeOfDay(hours=hour),
            end=pb.TimeOfDay(hours=hour + 1),
            photographer=photographer.name,
            description="Edit test",
            **fields,  # type: ignore[arg-type]
        )
        return await self.s.CreateSession(pb.CreateSessionRequest(session=session), metadata=DEMO_META)

    async def book_wedding(self, *blocks: tuple[date_pb2.Date, int, int, pb.Schedule]) -> pb.Session:
        """An advanced session ("Wedding") with a block per (date, start hour, end hour, schedule)."""
        session = pb.Session(
            client=self.client,
            session_type=self.session_type.name,
            location=self.location.name,
            description="Wedding",
            use_advanced_calendar=True,
            time_blocks=[
                pb.TimeBlock(date=d, start=pb.TimeOfDay(hours=a), end=pb.TimeOfDay(hours=b), schedules=[x.name])
                for d, a, b, x in blocks
            ],
        )
        return await self.s.CreateSession(pb.CreateSessionRequest(session=session), metadata=DEMO_META)

    async def get(self, name: str) -> pb.Session:
        return await self.s.GetSession(pb.GetSessionRequest(name=name), metadata=DEMO_META)
