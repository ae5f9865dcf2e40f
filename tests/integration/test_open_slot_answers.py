"""Scheduling's read model of ListOpenSlots answers (`application/open_slot_answers.py`), over
real gRPC on SQLite and PostgreSQL: its own writes show in the next answer; another replica's
reach it through NATS; a hold that expires (no event) brings its slot back; TTL 0 keeps nothing.
Each answer served is also compared with one computed afresh from the database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.api import online_booking, slot_convert
from shutterbook_scheduling.application.open_slot_answers import OpenSlotAnswers
from shutterbook_scheduling.settings import HoldSettings, OpenSlotAnswerSettings, SchedulingSettings
from tests.online_support import (
    OnlineService,
    create_slot,
    future_day,
    make_online_studio,
    online_service,
    open_names,
    pdate,
    slot,
    until,
)
from tests.scheduling_support import COMPANY_A, A, B, Studio, make_known_client

LONG = SchedulingSettings(open_slots=OpenSlotAnswerSettings(ttl_seconds=600.0))  # only a write or time ends an answer
HOLD_SECONDS = 4.0


def rid() -> str:
    return str(uuid.uuid4())


def answers_of(o: OnlineService, own: SchedulingSettings) -> OpenSlotAnswers:
    return online_booking.answers_for(o.svc.host.parts.db, own)


def query(studio: Studio, when: date) -> opb.ListOpenSlotsRequest:
    return opb.ListOpenSlotsRequest(
        session_type=studio.session_type.name,
        location=studio.location.name,
        start_date=pdate(when),
        end_date=pdate(when),
    )


async def fresh(o: OnlineService, studio: Studio, when: date) -> list[str]:
    """The answer computed from the database now, bypassing the model."""
    found = await slot_convert.list_open_slots(o.svc.host.parts.db, COMPANY_A, query(studio, when))
    return [s.name for s in found.time_slots]


async def served(o: OnlineService, studio: Studio, when: date) -> list[str]:
    """ListOpenSlots over gRPC, checked against a fresh computation."""
    names = await open_names(o, studio, when)
    assert names == await fresh(o, studio, when)
    return names


async def hearing(answers: OpenSlotAnswers) -> None:
    async def heard() -> bool:
        return answers.hearing

    await eventually(heard, what="the model hearing scheduling's events")


async def kept(o: OnlineService, own: SchedulingSettings, studio: Studio, when: date) -> list[str]:
    """Read until an answer comes from the model (events of earlier writes, this process's own
    included, may still arrive and end kept answers), so the write that follows meets one."""
    answers = answers_of(o, own)
    await hearing(answers)

    async def from_memory() -> tuple[list[str]] | None:
        hits = answers.hits
        names = await open_names(o, studio, when)
        return (names,) if answers.hits > hits else None

    return (await eventually(from_memory, what="an answer served from the model"))[0]


async def test_own_writes_show_in_the_next_answer(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url, own=LONG) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 5)
        one = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        two = await create_slot(o, slot(studio, when, (12, 0), (13, 0)))
        three = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        everything = [one.name, two.name, three.name]
        assert await kept(o, LONG, studio, when) == everything

        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=one.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await served(o, studio, when) == [two.name, three.name]
        await kept(o, LONG, studio, when)
        await o.online.ReleaseHold(opb.ReleaseHoldRequest(name=hold.name), metadata=A)
        assert await served(o, studio, when) == everything

        await kept(o, LONG, studio, when)
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=two.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await served(o, studio, when) == [one.name, three.name]
        await kept(o, LONG, studio, when)
        await o.online.CancelOnlineBooking(
            opb.CancelOnlineBookingRequest(session=session.name, request_id=rid()), metadata=A
        )
        assert await served(o, studio, when) == everything

        await kept(o, LONG, studio, when)
        await o.online.UpdateTimeSlot(
            opb.UpdateTimeSlotRequest(
                time_slot=opb.TimeSlot(name=three.name, published=False),
                update_mask=field_mask_pb2.FieldMask(paths=["published"]),
            ),
            metadata=A,
        )
        assert await served(o, studio, when) == [one.name, two.name]
        await kept(o, LONG, studio, when)
        four = await create_slot(o, slot(studio, when, (16, 0), (17, 0)))
        assert await served(o, studio, when) == [one.name, two.name, four.name]
        await kept(o, LONG, studio, when)
        await o.online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=four.name), metadata=A)
        assert await served(o, studio, when) == [one.name, two.name]

        # a type taken offline (a configuration write) empties the answer
        await kept(o, LONG, studio, when)
        online = pb.OnlineBookingSettings()
        online.CopyFrom(studio.session_type.online)
        online.available_online = False
        await o.svc.stub.UpdateSessionType(
            pb.UpdateSessionTypeRequest(
                session_type=pb.SessionType(name=studio.session_type.name, online=online),
                update_mask=field_mask_pb2.FieldMask(paths=["online"]),
            ),
            metadata=A,
        )
        assert await served(o, studio, when) == []


async def test_pages_are_kept_apart(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url, own=LONG) as o:
        studio = await make_online_studio(o.svc)
        when = future_day(studio, 5)
        made = [await create_slot(o, slot(studio, when, (h, 0), (h + 1, 0))) for h in (9, 11, 13)]
        await kept(o, LONG, studio, when)
        request = query(studio, when)
        request.page_size = 2
        names: list[str] = []
        for _ in range(2):  # twice: the second pass is served from the model
            first = await o.online.ListOpenSlots(request, metadata=A)
            second = await o.online.ListOpenSlots(
                opb.ListOpenSlotsRequest(
                    session_type=request.session_type,
                    location=request.location,
                    start_date=request.start_date,
                    end_date=request.end_date,
                    page_size=2,
                    page_token=first.next_page_token,
                ),
                metadata=A,
            )
            assert second.next_page_token == ""
            names = [s.name for s in [*first.time_slots, *second.time_slots]]
            assert names == [s.name for s in made]
        # the interceptors still stand before the kept answer: no token, no answer; another
        # company's caller gets its own answer (here: no such location, a bad field), not company A's
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.ListOpenSlots(request)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.ListOpenSlots(request, metadata=B)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        await o.online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=made[0].name), metadata=A)
        first = await o.online.ListOpenSlots(request, metadata=A)
        assert [s.name for s in first.time_slots] == [made[1].name, made[2].name]
        assert first.next_page_token == ""


async def test_another_replicas_write_arrives_by_its_event(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url, own=LONG) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 5)
        one = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        two = await create_slot(o, slot(studio, when, (12, 0), (13, 0)))
        answers = answers_of(o, LONG)
        async with online_service(databases, nats_server.url, database_url=o.svc.database_url, own=LONG) as replica:
            assert await kept(o, LONG, studio, when) == [one.name, two.name]
            generation = answers.generation(COMPANY_A)
            hold = await replica.online.HoldSlot(
                opb.HoldSlotRequest(time_slot=one.name, client=ann.name, request_id=rid()), metadata=A
            )

            async def shows(names: list[str]) -> bool:
                return await open_names(o, studio, when) == names

            await eventually(lambda: shows([two.name]), what="the replica's hold reaching the first process")
            assert answers.generation(COMPANY_A) > generation
            assert await served(o, studio, when) == [two.name]

            await kept(o, LONG, studio, when)
            await replica.online.BookOnline(
                opb.BookOnlineRequest(hold=hold.name, client=ann.name, request_id=rid()), metadata=A
            )
            await kept(o, LONG, studio, when)
            await replica.online.UpdateTimeSlot(
                opb.UpdateTimeSlotRequest(
                    time_slot=opb.TimeSlot(name=two.name, published=False),
                    update_mask=field_mask_pb2.FieldMask(paths=["published"]),
                ),
                metadata=A,
            )
            await eventually(lambda: shows([]), what="the replica's slot update reaching the first process")
            assert await served(o, studio, when) == []


async def test_an_expired_holds_slot_reappears(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    own = SchedulingSettings(
        holds=HoldSettings(minutes=HOLD_SECONDS / 60), open_slots=OpenSlotAnswerSettings(ttl_seconds=600.0)
    )
    async with online_service(databases, nats_server.url, own=own) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 5)
        one = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        two = await create_slot(o, slot(studio, when, (12, 0), (13, 0)))
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=one.name, client=ann.name, request_id=rid()), metadata=A
        )
        expires = hold.expire_time.ToDatetime(tzinfo=UTC)
        held = await kept(o, own, studio, when)  # an answer kept while the hold lasts...
        if utcnow() < expires:  # (only meaningful while the hold lasts; the machine may be slow)
            assert held == [two.name]
        await until(expires)  # ... is not served once it expired, though no write or event came
        assert await served(o, studio, when) == [one.name, two.name]


async def test_when_time_changes_an_answer(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """`changes_at`, on both backends: a listed slot's minimum notice, a live hold's expiry, a
    slot beyond its maximum advance coming within it; the earliest of them."""
    async with online_service(databases, nats_server.url, own=LONG) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 10)
        db = o.svc.host.parts.db

        async def changes_at() -> datetime | None:
            found = await slot_convert.open_slots_answer(db, COMPANY_A, query(studio, when), with_changes=True)
            return found.changes_at

        assert await changes_at() is None  # no slot, no hold
        far = slot(studio, when, (15, 0), (16, 0))
        far.maximum_advance_days = 3  # listed only from three days before it
        far_slot = await create_slot(o, far)
        opens = far_slot.start_time.ToDatetime(tzinfo=UTC) - timedelta(days=3)
        assert await fresh(o, studio, when) == []
        assert await changes_at() == opens

        near = slot(studio, when, (10, 0), (11, 0))
        near.minimum_notice_minutes = 24 * 60
        near_slot = await create_slot(o, near)
        closes = near_slot.start_time.ToDatetime(tzinfo=UTC) - timedelta(days=1)
        assert await fresh(o, studio, when) == [near_slot.name]
        assert await changes_at() == min(opens, closes)

        other = await create_slot(o, slot(studio, future_day(studio, 20), (10, 0), (11, 0)))
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=other.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await changes_at() == hold.expire_time.ToDatetime(tzinfo=UTC)


async def test_ttl_zero_keeps_nothing(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    own = SchedulingSettings(open_slots=OpenSlotAnswerSettings(ttl_seconds=0.0))
    async with online_service(databases, nats_server.url, own=own) as o:
        answers = answers_of(o, own)
        assert not answers.enabled
        feeds = online_booking.listeners(o.svc.host.parts.db, o.svc.host.parts.nats, own)
        assert not any(feed.cache is answers for feed in feeds)  # (the reference cache's feed is another)
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 5)
        one = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        assert await served(o, studio, when) == [one.name]
        assert await served(o, studio, when) == [one.name]
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=one.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await served(o, studio, when) == []
        await o.online.ReleaseHold(opb.ReleaseHoldRequest(name=hold.name), metadata=A)
        assert await served(o, studio, when) == [one.name]
        assert (answers.hits, answers.computed, len(answers)) == (0, 0, 0)


async def test_no_cache_computes_what_the_model_has_not_heard(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """`cache-control: no-cache` (what the gateway sends when it reads a day again after an
    event): the answer is computed now, even when this process keeps an answer that a change it
    never heard of made stale; the plain call keeps answering from memory until then."""
    async with online_service(databases, nats_server.url, own=LONG) as o:
        studio = await make_online_studio(o.svc)
        when = future_day(studio, 5)
        one = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        assert await kept(o, LONG, studio, when) == [one.name]
        async with o.svc.host.parts.db.engine.begin() as conn:  # behind the model's back: no bump, no event
            await conn.execute(sa.text("UPDATE online_time_slots SET published = :no"), {"no": False})
        assert await open_names(o, studio, when) == [one.name]  # kept, as designed
        found = await o.online.ListOpenSlots(query(studio, when), metadata=(*A, ("cache-control", "no-cache")))
        assert [s.name for s in found.time_slots] == []
        assert await open_names(o, studio, when) == []  # the fresh answer is kept for the next
