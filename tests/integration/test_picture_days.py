"""Picture days (issue 21) end to end, on SQLite and PostgreSQL: a day made from an
organization's year through the real clients service, families with their member children,
booking, rescheduling and cancelling ordinary sessions, live progress, bad input, the
booking window, tenancy; the close. Families racing for the same slots through the portal:
test_picture_day_race.py."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import select, update

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, caller_metadata, eventually, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.settings import SchedulingSettings, WorkerTiming
from shutterbook_scheduling.storage.models import SessionRow
from shutterbook_scheduling.storage.picture_day_models import (
    PictureDayBookingRow,
    PictureDayRow,
)
from tests.bulk_support import bulk_slice
from tests.clients_support import error_info
from tests.picture_day_support import family, organization, picture_day, picture_day_stub, wait_known
from tests.scheduling_support import COMPANY_A, A, B, make_studio, scheduling_service


async def _refused(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_a_family_books_reschedules_and_cancels(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with bulk_slice(databases, nats_server.url) as s:
        days = picture_day_stub(s)
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Lincoln Elementary")
        anderson = await family(s, school, "Anderson", ["Ann", "Ben"])
        baker = await family(s, school, "Baker", [])  # a client who is the child
        carter = await family(s, school, "Carter", ["Cy", "Dee", "Eve"])
        last_year = await family(s, school, "Dalton", ["Dan"], year=2025)
        await wait_known(s, [anderson, baker, carter, last_year])

        # bad input: every bad field named, nothing written
        bad = picture_day(studio, school, siblings=0)
        bad.close_time.CopyFrom(bad.open_time)
        bad.ClearField("close_action")
        bad.families.group = "clientGroups/x"
        err = await _refused(days.CreatePictureDay(pdpb.CreatePictureDayRequest(picture_day=bad), metadata=A))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert {
            "picture_day.siblings_per_slot",
            "picture_day.close_time",
            "picture_day.close_action",
            "picture_day.families",
        } <= set(rpc_violations(err))
        assert not (await days.ListPictureDays(pdpb.ListPictureDaysRequest(), metadata=A)).picture_days

        created = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(picture_day=picture_day(studio, school)), metadata=A
        )
        assert created.window == pdpb.PICTURE_DAY_WINDOW_OPEN
        assert created.time_zone == "America/New_York"
        assert (created.progress.families_total, created.progress.children_total) == (3, 6)
        assert (created.progress.slots_total, created.progress.slots_free) == (4, 4)

        listed = await days.ListPictureDayFamilies(pdpb.ListPictureDayFamiliesRequest(parent=created.name), metadata=A)
        assert [f.display_name for f in listed.families] == ["Alex Anderson", "Alex Baker", "Alex Carter"]
        assert [c.display_name for c in listed.families[0].children] == ["Ann Anderson", "Ben Anderson"]
        assert [c.child for c in listed.families[1].children] == [baker.name]
        ann, ben = (c.child for c in listed.families[0].children)
        cy, dee, eve = (c.child for c in listed.families[2].children)
        slots = (await days.ListPictureDaySlots(pdpb.ListPictureDaySlotsRequest(parent=created.name), metadata=A)).slots
        assert [(s.local_start.hours, s.local_start.minutes) for s in slots] == [(9, 0), (9, 15), (9, 30), (9, 45)]

        def booking(client: str, slot: pdpb.PictureDaySlot, *children: str) -> pdpb.CreatePictureDayBookingRequest:
            return pdpb.CreatePictureDayBookingRequest(
                parent=created.name, booking=pdpb.PictureDayBooking(client=client, slot=slot.name, children=children)
            )

        booked = await days.CreatePictureDayBooking(booking(anderson.name, slots[0], ann, ben), metadata=A)
        session = await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=booked.session), metadata=A)
        assert session.client == anderson.name
        assert list(session.participants) == [ann, ben]
        assert (session.start.hours, session.start.minutes) == (9, 0)
        assert session.photographer == studio.photographer.name

        # the studio's rules: siblings per slot, one family a slot, a child once, its own children only
        err = await _refused(days.CreatePictureDayBooking(booking(carter.name, slots[1], cy, dee, eve), metadata=A))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "booking.children" in rpc_violations(err)
        err = await _refused(days.CreatePictureDayBooking(booking(carter.name, slots[0], cy), metadata=A))
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        err = await _refused(days.CreatePictureDayBooking(booking(anderson.name, slots[1], ann), metadata=A))
        assert "booking.children[0]" in rpc_violations(err)
        err = await _refused(days.CreatePictureDayBooking(booking(carter.name, slots[1], ann), metadata=A))
        assert "booking.children[0]" in rpc_violations(err)
        err = await _refused(days.CreatePictureDayBooking(booking(last_year.name, slots[1], baker.name), metadata=A))
        assert err.code() == grpc.StatusCode.NOT_FOUND
        await days.CreatePictureDayBooking(booking(baker.name, slots[1], baker.name), metadata=A)

        progress = (await days.GetPictureDay(pdpb.GetPictureDayRequest(name=created.name), metadata=A)).progress
        assert (progress.families_booked, progress.families_not_booked, progress.children_booked) == (2, 1, 3)
        assert progress.slots_free == 2
        not_booked = await days.ListPictureDayFamilies(
            pdpb.ListPictureDayFamiliesRequest(parent=created.name, only_not_booked=True), metadata=A
        )
        assert [f.client for f in not_booked.families] == [carter.name]

        # reschedule: the same session moves, the old slot is free again
        moved = await days.ReschedulePictureDayBooking(
            pdpb.ReschedulePictureDayBookingRequest(name=booked.name, slot=slots[3].name), metadata=A
        )
        assert moved.session == booked.session
        session = await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=booked.session), metadata=A)
        assert (session.start.hours, session.start.minutes) == (9, 45)
        err = await _refused(
            days.ReschedulePictureDayBooking(
                pdpb.ReschedulePictureDayBookingRequest(name=booked.name, slot=slots[1].name), metadata=A
            )
        )
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        carters_own = await days.CreatePictureDayBooking(booking(carter.name, slots[0], cy, dee), metadata=A)

        # cancel: the session is cancelled, the children may book again
        cancelled = await days.CancelPictureDayBooking(
            pdpb.CancelPictureDayBookingRequest(name=booked.name), metadata=A
        )
        assert cancelled.cancelled
        session = await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=booked.session), metadata=A)
        assert session.cancelled
        again = await days.CreatePictureDayBooking(booking(anderson.name, slots[3], ann), metadata=A)
        assert again.children == [ann]

        # another company sees nothing of it
        err = await _refused(days.GetPictureDay(pdpb.GetPictureDayRequest(name=created.name), metadata=B))
        assert err.code() == grpc.StatusCode.NOT_FOUND
        err = await _refused(days.CreatePictureDayBooking(booking(anderson.name, slots[2], ben), metadata=B))
        assert err.code() == grpc.StatusCode.NOT_FOUND

        # access codes: one per family, shown once, leading to that family's own booking only
        issued = await days.IssuePictureDayAccessCodes(
            pdpb.IssuePictureDayAccessCodesRequest(parent=created.name), metadata=A
        )
        codes = {c.client: c.access_code for c in issued.access_codes}
        assert sorted(codes) == sorted([anderson.name, baker.name, carter.name])
        assert all(len(c) >= 20 for c in codes.values())
        assert len(set(codes.values())) == 3
        again_issued = await days.IssuePictureDayAccessCodes(
            pdpb.IssuePictureDayAccessCodesRequest(parent=created.name), metadata=A
        )
        assert not again_issued.access_codes  # every family has one already
        access = await days.GetPictureDayAccess(
            pdpb.GetPictureDayAccessRequest(access_code=codes[anderson.name]), metadata=A
        )
        assert access.picture_day.name == created.name
        assert access.family.client == anderson.name
        assert [b.name for b in access.bookings] == [again.name]
        assert {sl.name for sl in access.free_slots} == {slots[2].name, slots[3].name}  # free, and its own
        moved_by_code = await days.ReschedulePictureDayBookingByCode(
            pdpb.ReschedulePictureDayBookingByCodeRequest(
                access_code=codes[anderson.name], booking=again.name, slot=slots[2].name
            ),
            metadata=A,
        )
        assert moved_by_code.slot == slots[2].name
        by_code = await days.BookPictureDayByCode(
            pdpb.BookPictureDayByCodeRequest(access_code=codes[anderson.name], slot=slots[3].name, children=[ben]),
            metadata=A,
        )
        assert by_code.client == anderson.name
        # another family's booking, another family's child: not through this code
        carters = (
            await days.GetPictureDayAccess(pdpb.GetPictureDayAccessRequest(access_code=codes[carter.name]), metadata=A)
        ).bookings
        err = await _refused(
            days.CancelPictureDayBookingByCode(
                pdpb.CancelPictureDayBookingByCodeRequest(access_code=codes[anderson.name], booking=carters[0].name),
                metadata=A,
            )
        )
        assert err.code() == grpc.StatusCode.NOT_FOUND
        err = await _refused(
            days.BookPictureDayByCode(
                pdpb.BookPictureDayByCodeRequest(access_code=codes[carter.name], slot=slots[3].name, children=[ann]),
                metadata=A,
            )
        )
        assert "children[0]" in rpc_violations(err)
        # a guessed code, another company's caller, a key limited to another location, a revoked
        # code: nothing
        elsewhere = caller_metadata(
            Caller(
                COMPANY_A,
                CallerKind.PUBLISHABLE,
                "pbk-elsewhere",
                location_ids=frozenset({"00000000-0000-4000-8000-000000000000"}),
            )
        )
        for code, meta in (("x" * 20, A), (codes[baker.name], B), (codes[baker.name], elsewhere)):
            err = await _refused(
                days.GetPictureDayAccess(pdpb.GetPictureDayAccessRequest(access_code=code), metadata=meta)
            )
            assert err.code() == grpc.StatusCode.NOT_FOUND
        await days.RevokePictureDayAccessCode(
            pdpb.RevokePictureDayAccessCodeRequest(
                name=f"{created.name}/families/{baker.name.removeprefix('clients/')}"
            ),
            metadata=A,
        )
        err = await _refused(
            days.GetPictureDayAccess(pdpb.GetPictureDayAccessRequest(access_code=codes[baker.name]), metadata=A)
        )
        assert err.code() == grpc.StatusCode.NOT_FOUND
        cancelled_by_code = await days.CancelPictureDayBookingByCode(
            pdpb.CancelPictureDayBookingByCodeRequest(access_code=codes[anderson.name], booking=by_code.name),
            metadata=A,
        )
        assert cancelled_by_code.cancelled

        # the front desk cannot move it on the calendar (the day's slot would stay taken): it is
        # moved on the picture day
        err = await _refused(
            s.scheduling.stub.RescheduleSession(
                pb.RescheduleSessionRequest(
                    name=carters_own.session,
                    session_date=date_pb2.Date(year=2030, month=1, day=7),
                    start=pb.TimeOfDay(hours=9),
                ),
                metadata=A,
            )
        )
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(err)["reason"] == "PICTURE_DAY_SESSION"
        # the front desk cancels Carter's session: its slot and children are free again
        await s.scheduling.stub.CancelSession(pb.CancelSessionRequest(name=carters_own.session), metadata=A)
        carter_family = await days.ListPictureDayFamilies(
            pdpb.ListPictureDayFamiliesRequest(parent=created.name, only_not_booked=True), metadata=A
        )
        assert carter.name in [f.client for f in carter_family.families]
        free = await days.ListPictureDaySlots(
            pdpb.ListPictureDaySlotsRequest(parent=created.name, only_free=True), metadata=A
        )
        assert slots[0].name in [sl.name for sl in free.slots]

        # outside the window nothing is booked, moved or cancelled
        closed = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(
                picture_day=picture_day(studio, school, slots_from=(11, 0), slots_until=(12, 0), closes=timedelta(0))
            ),
            metadata=A,
        )
        assert closed.window == pdpb.PICTURE_DAY_WINDOW_CLOSED
        closed_slots = (
            await days.ListPictureDaySlots(pdpb.ListPictureDaySlotsRequest(parent=closed.name), metadata=A)
        ).slots
        err = await _refused(
            days.CreatePictureDayBooking(
                pdpb.CreatePictureDayBookingRequest(
                    parent=closed.name,
                    booking=pdpb.PictureDayBooking(client=anderson.name, slot=closed_slots[0].name, children=[ben]),
                ),
                metadata=A,
            )
        )
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION


async def _close_now(database_url: str, day_name: str) -> None:
    """Move a day's close into the past (as time would)."""
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                update(PictureDayRow)
                .where(PictureDayRow.id == day_name.removeprefix("pictureDays/"))
                .values(close_at=utcnow() - timedelta(seconds=1))
            )
    finally:
        await db.dispose()


async def test_the_close_assigns_the_remaining_families_once_across_replicas(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    # both replicas' workers poll often and a lease expires at once: they close the same day at
    # the same time, so only the per-slot and per-child conditional updates keep bookings single
    racing = SchedulingSettings(picture_day_close=WorkerTiming(interval_seconds=0.05, lease_seconds=0))
    async with bulk_slice(databases, nats_server.url, own=racing) as s:  # noqa: SIM117  (two needs one's database)
        async with scheduling_service(databases, nats_server.url, database_url=s.scheduling.database_url, own=racing):
            days = picture_day_stub(s)
            studio = await make_studio(s.scheduling)
            school = await organization(s, "Close School")
            made = [
                await family(s, school, "Avery", ["Al", "Bo"]),
                await family(s, school, "Brook", []),
                await family(s, school, "Cole", ["Cy", "Di", "Ed"]),
                await family(s, school, "Dunn", ["Fay"]),
            ]
            await wait_known(s, made)
            assign = await days.CreatePictureDay(
                pdpb.CreatePictureDayRequest(
                    picture_day=picture_day(
                        studio,
                        school,
                        slots_from=(9, 0),
                        slots_until=(10, 40),
                        minutes=10,
                        close_action=pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING,
                    )
                ),
                metadata=A,
            )
            leave = await days.CreatePictureDay(
                pdpb.CreatePictureDayRequest(
                    picture_day=picture_day(studio, school, slots_from=(13, 0), slots_until=(14, 0))
                ),
                metadata=A,
            )
            slots = (
                await days.ListPictureDaySlots(pdpb.ListPictureDaySlotsRequest(parent=assign.name), metadata=A)
            ).slots
            await days.CreatePictureDayBooking(  # Brook books itself, the day's first time
                pdpb.CreatePictureDayBookingRequest(
                    parent=assign.name,
                    booking=pdpb.PictureDayBooking(client=made[1].name, slot=slots[0].name, children=[made[1].name]),
                ),
                metadata=A,
            )
            for day in (assign, leave):
                await _close_now(s.scheduling.database_url, day.name)

            async def closed() -> bool | None:
                for day in (assign, leave):
                    db = Database(s.scheduling.database_url)
                    try:
                        async with db.engine.connect() as conn:
                            at = (
                                await conn.execute(
                                    select(PictureDayRow.closed_at).where(
                                        PictureDayRow.id == day.name.removeprefix("pictureDays/")
                                    )
                                )
                            ).scalar_one()
                    finally:
                        await db.dispose()
                    if at is None:
                        return None
                return True

            await eventually(closed, what="both days closed", timeout=60)
            # a few more rounds of both workers: nothing more happens
            await asyncio.sleep(0.5)
            after = await days.GetPictureDay(pdpb.GetPictureDayRequest(name=assign.name), metadata=A)
            assert (after.progress.families_booked, after.progress.children_booked) == (4, 7)
            families = await days.ListPictureDayFamilies(
                pdpb.ListPictureDayFamiliesRequest(parent=assign.name), metadata=A
            )
            first_booking = {f.display_name: f.children[0].booking for f in families.families}
            db = Database(s.scheduling.database_url)
            try:
                async with db.engine.connect() as conn:
                    bookings = (
                        await conn.execute(
                            select(PictureDayBookingRow).where(
                                PictureDayBookingRow.picture_day_id == assign.name.removeprefix("pictureDays/")
                            )
                        )
                    ).all()
                    live_sessions = (
                        await conn.execute(select(SessionRow.id).where(SessionRow.cancelled.is_(False)))
                    ).all()
            finally:
                await db.dispose()
            assert len(bookings) == 5  # Brook's own, Avery 1, Cole 2 (two siblings a slot), Dunn 1
            assert len({b.slot_id for b in bookings}) == 5
            per_child = Counter(c for b in bookings for c in b.children.split())
            assert len(per_child) == 7
            assert max(per_child.values()) == 1
            assert len(live_sessions) == 5
            # name order: Avery takes the first free time
            by_id = {b.id: b for b in bookings}
            avery = by_id[first_booking["Alex Avery"].rsplit("/", 1)[-1]]
            assert avery.slot_id == slots[1].name.rsplit("/", 1)[-1]
            # the day that leaves families unbooked: closed, nothing booked
            left = await days.GetPictureDay(pdpb.GetPictureDayRequest(name=leave.name), metadata=A)
            assert left.progress.children_booked == 0
            assert left.window == pdpb.PICTURE_DAY_WINDOW_CLOSED


async def test_a_location_or_type_of_an_open_picture_day_cannot_be_deleted(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """Its families book, and its close assigns, sessions of the template's type at its
    location: until the day is closed, deleting either is FAILED_PRECONDITION saying why."""
    async with bulk_slice(databases, nats_server.url) as s:
        days = picture_day_stub(s)
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Delete School")
        made = await family(s, school, "Anderson", ["Ben"])
        await wait_known(s, [made])
        day = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(picture_day=picture_day(studio, school)), metadata=A
        )
        stub = s.scheduling.stub
        for call in (
            stub.DeleteLocation(pb.DeleteLocationRequest(name=studio.location.name), metadata=A),
            stub.DeleteSessionType(pb.DeleteSessionTypeRequest(name=studio.session_type.name), metadata=A),
        ):
            err = await _refused(call)
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_info(err)["reason"] == "RESOURCE_IN_USE"
            assert f'the picture day "Lincoln Elementary 2026" ({day.name}) uses it until it closes' in (
                err.details() or ""
            )
        assert (await stub.GetSessionType(pb.GetSessionTypeRequest(name=studio.session_type.name), metadata=A)).name

        # closed (nothing booked): the type is free to go
        db = Database(s.scheduling.database_url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(
                    update(PictureDayRow)
                    .where(PictureDayRow.id == day.name.removeprefix("pictureDays/"))
                    .values(closed_at=utcnow())
                )
        finally:
            await db.dispose()
        await stub.DeleteSessionType(pb.DeleteSessionTypeRequest(name=studio.session_type.name), metadata=A)
