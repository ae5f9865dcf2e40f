"""Scheduling's reference cache on the online booking paths (application/reference_cache.py),
real gRPC on SQLite and PostgreSQL: a booking after the first reads its slot's type, location,
schedules and status without a statement; a type or status changed in this process is booked
as changed at once; one changed by another replica is booked as changed once its event is
heard."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from google.protobuf import field_mask_pb2
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit import tenancy
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.tenancy import CallContext
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import reference_cache, setup
from shutterbook_scheduling.application.reference_cache import ReferenceCache
from tests.online_support import OnlineService, create_slot, future_day, make_online_studio, online_service, slot
from tests.scheduling_support import COMPANY_A, A, Studio, make_known_client

READS = ("SELECT booking_types.", "SELECT locations.", "SELECT schedules.", "SELECT session_statuses.")


def rid() -> str:
    return str(uuid.uuid4())


def cache_of(o: OnlineService) -> ReferenceCache:
    cache = reference_cache.cache_of(o.svc.host.parts.db)
    assert cache is not None
    return cache


async def hearing(cache: ReferenceCache) -> bool:
    return cache.hearing


async def bumped(cache: ReferenceCache, before: int) -> bool:
    return cache.generation(COMPANY_A) > before


async def settled(o: OnlineService, cache: ReferenceCache) -> None:
    """Every event scheduling wrote so far published (marked) and the cache's generation still
    for a moment: no setup change's event comes later to end what the test then keeps."""

    async def published() -> bool:
        async with o.svc.host.parts.db.engine.connect() as conn:
            unmarked = await conn.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None))
            )
        return unmarked == 0

    await eventually(published, what="scheduling's events published")
    while True:
        generation = cache.generation(COMPANY_A)
        await asyncio.sleep(0.2)
        if cache.generation(COMPANY_A) == generation:
            return


@contextmanager
def reference_reads() -> Iterator[list[str]]:
    seen: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(READS):
            seen.append(statement.split()[1].split(".", 1)[0])  # the table read

    event.listen(Engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)


async def booking_studio(o: OnlineService) -> tuple[Studio, clients_pb2.Client, ReferenceCache]:
    """A studio selling its type online, a client to book, and the cache, hearing change events."""
    studio = await make_online_studio(o.svc)
    bob = await make_known_client(o.svc, COMPANY_A, "Bob")
    cache = cache_of(o)
    await eventually(lambda: hearing(cache), what="the reference cache hearing change events")
    return studio, bob, cache


async def new_slot(o: OnlineService, studio: Studio, hour: int) -> str:
    return (await create_slot(o, slot(studio, future_day(studio, 5), (hour, 0), (hour + 1, 0)))).name


async def book(o: OnlineService, time_slot: str, client: str) -> pb.Session:
    return await o.online.BookOnline(
        opb.BookOnlineRequest(time_slot=time_slot, client=client, request_id=rid()), metadata=A
    )


async def booked_online_as(o: OnlineService, studio: Studio, label: str) -> str:
    """The type's booked-online status changed to a new one; its name."""
    status = await o.svc.stub.CreateSessionStatus(
        pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name=label)), metadata=A
    )
    online = pb.OnlineBookingSettings()
    online.CopyFrom(studio.session_type.online)
    online.booked_online_status = status.name
    studio.session_type = await o.svc.stub.UpdateSessionType(
        pb.UpdateSessionTypeRequest(
            session_type=pb.SessionType(name=studio.session_type.name, online=online),
            update_mask=field_mask_pb2.FieldMask(paths=["online"]),
        ),
        metadata=A,
    )
    return status.name


async def test_a_booking_reads_its_reference_data_once_and_a_change_here_at_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio, bob, cache = await booking_studio(o)
        slots = [await new_slot(o, studio, hour) for hour in (9, 11, 13)]
        with reference_reads() as first:
            await book(o, slots[0], bob.name)
        assert sorted(set(first)) == ["booking_types", "locations", "schedules", "session_statuses"]
        with reference_reads() as second:
            session = await book(o, slots[1], bob.name)
        assert second == []  # the type, the location, the schedules and the status kept
        assert session.status == studio.session_type.online.booked_online_status

        # a change made here ends what was kept when it commits (before it answers: its event
        # comes back later, after the relay's linger): the next booking has it
        before = cache.generation(COMPANY_A)
        changed = await booked_online_as(o, studio, "Booked - Web")
        assert cache.generation(COMPANY_A) > before
        with reference_reads() as third:
            session = await book(o, slots[2], bob.name)
        assert session.status == changed
        assert "booking_types" in third  # read again


async def test_another_replicas_change_is_booked_once_its_event_is_heard(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio, bob, cache = await booking_studio(o)
        slots = [await new_slot(o, studio, hour) for hour in (9, 11)]
        await book(o, slots[0], bob.name)  # the type kept here
        async with online_service(databases, nats_server.url, database_url=o.svc.database_url) as replica:
            before = cache.generation(COMPANY_A)
            changed = await booked_online_as(replica, studio, "Booked - Partner")
            await eventually(lambda: bumped(cache, before), what="the replica's change event heard")
            await settled(o, cache)  # both of its changes' events (the new status's, the type's)
        session = await book(o, slots[1], bob.name)
        assert session.status == changed


async def due_in(o: OnlineService, status: str, days: int) -> None:
    """The status's due days changed (what a session booked with it is due by)."""
    await o.svc.stub.UpdateSessionStatus(
        pb.UpdateSessionStatusRequest(
            session_status=pb.SessionStatus(name=status, due_in_days=days),
            update_mask=field_mask_pb2.FieldMask(paths=["due_in_days"]),
        ),
        metadata=A,
    )


def due_days(session: pb.Session) -> int:
    """How many days after the session's day its status is due."""
    due = date(session.status_due_date.year, session.status_due_date.month, session.status_due_date.day)
    day = date(session.time_blocks[0].date.year, session.time_blocks[0].date.month, session.time_blocks[0].date.day)
    return (due - day).days


async def test_a_status_changed_here_or_by_another_replica_is_booked_as_changed(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio, bob, cache = await booking_studio(o)
        status = studio.session_type.online.booked_online_status
        await due_in(o, status, 3)
        slots = [await new_slot(o, studio, hour) for hour in (9, 11, 13, 15)]
        await settled(o, cache)  # the change's own event heard back, as the slots' are
        assert due_days(await book(o, slots[0], bob.name)) == 3  # the status kept
        with reference_reads() as kept:
            assert due_days(await book(o, slots[1], bob.name)) == 3
        assert kept == []

        # changed here: ended at its commit
        await due_in(o, status, 5)
        with reference_reads() as here:
            assert due_days(await book(o, slots[2], bob.name)) == 5
        assert "session_statuses" in here  # (the company's other resources read again too)

        # changed by another replica: ended when its event is heard
        async with online_service(databases, nats_server.url, database_url=o.svc.database_url) as replica:
            before = cache.generation(COMPANY_A)
            await due_in(replica, status, 8)
            await eventually(lambda: bumped(cache, before), what="the replica's status change heard")
        assert due_days(await book(o, slots[3], bob.name)) == 8


async def test_a_unit_of_work_decides_on_one_version_and_keeps_none_from_before_a_change(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """A resource is resolved once per unit of work (a booking decides on one version), and a
    read from before a change committed meanwhile is never kept at the change's generation."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        cache = cache_of(o)
        await eventually(lambda: hearing(cache), what="the reference cache hearing change events")
        type_id = studio.session_type.name.removeprefix("sessionTypes/")
        async with UnitOfWork(o.svc.host.parts.db) as uow:
            uow.memo = {}
            first = await setup.load_resource(uow, setup.SESSION_TYPES, COMPANY_A, type_id)
            cache.bump(COMPANY_A)  # a change of the company committed meanwhile
            again = await setup.load_resource(uow, setup.SESSION_TYPES, COMPANY_A, type_id)
        assert first is not None
        assert again is first
        assert cache.get(COMPANY_A, "sessionTypes", type_id) is None


async def test_a_kept_schedule_is_not_shown_to_a_caller_scoped_elsewhere(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """The caller's locations apply to what the cache has, as the statement's filter would."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        cache = cache_of(o)
        await eventually(lambda: hearing(cache), what="the reference cache hearing change events")
        schedule_id = studio.room.name.removeprefix("schedules/")
        location_id = studio.location.name.removeprefix("locations/")
        db = o.svc.host.parts.db
        await settled(o, cache)  # the studio's setup events heard: none ends what is kept below

        async def as_caller(locations: frozenset[str] | None) -> object:
            async def load() -> object:  # in a task of its own: the call context set stays in it
                caller = Caller(COMPANY_A, CallerKind.STAFF, "staff-1", location_ids=locations)
                tenancy.set_current(CallContext.of(caller))
                async with UnitOfWork(db) as uow:
                    uow.memo = {}
                    return await setup.load_resource(uow, setup.SCHEDULES, COMPANY_A, schedule_id)

            return await asyncio.create_task(load())

        assert await as_caller(None) is not None  # read by an unscoped caller: kept
        assert cache.get(COMPANY_A, "schedules", schedule_id) is not None
        assert await as_caller(frozenset({"another-location"})) is None
        assert await as_caller(frozenset({location_id})) is not None
