"""The picture day aggregate at the API edge: domain objects (domain/picture_days.py) to response
messages (a day with its window and progress, families, slots in the location's zone, bookings,
what an access code shows), a booking request run once per its `request_id` (`booking_once`, the
idempotency record keeps the answer's message) and the bookings' events (`announce_booking`,
passed down to the use cases as their `picture_day_events.Announce`). One converter module for the aggregate.

A day's message as created is built here from the day (`created_message`: its settings and
`PictureDay.record`, what the create request gave, read here by `created_day`); its window and
progress are set on it here. The
create request is read here too (`new_day`, `new_families`), its template checked and the
create run once per request_id by the edge's steps the use case is given."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.audit import Snapshot
from shutterbook_kit.db import Database
from shutterbook_kit.errors import InvalidArgument, Violations
from shutterbook_kit.events import EventType
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api import bulk_job_convert, bulk_row_convert
from shutterbook_scheduling.api.entry_convert import announce_entry, run_booking, session_snapshot
from shutterbook_scheduling.api.proto_values import from_ts, run_once, to_date, ts
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.application.bulk_jobs import CheckedTemplate, local_slot
from shutterbook_scheduling.application.entries import Attempt
from shutterbook_scheduling.application.picture_day_bookings import Once, Work
from shutterbook_scheduling.application.picture_day_events import BookingEvent, Change
from shutterbook_scheduling.application.picture_day_refs import (
    COLLECTION,
    booking_name,
    child_key,
    day_name,
    slot_name,
)
from shutterbook_scheduling.application.picture_days import Created, DayOnce, TemplateCheck
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain.bulk_jobs import JobRow
from shutterbook_scheduling.domain.client_selection import ClientSelector, ListedClient, check_selector
from shutterbook_scheduling.domain.entries import EntryEvent, SessionShown
from shutterbook_scheduling.domain.picture_days import (
    Booking,
    CloseAction,
    DayRecord,
    DayState,
    Family,
    FamilyAccess,
    FamilyMember,
    NewDay,
    NewFamily,
    PictureDay,
    Slot,
    Window,
    member_children,
    settings_problems,
)

WINDOWS = {
    Window.NOT_OPEN: pdpb.PICTURE_DAY_WINDOW_NOT_OPEN,
    Window.OPEN: pdpb.PICTURE_DAY_WINDOW_OPEN,
    Window.CLOSED: pdpb.PICTURE_DAY_WINDOW_CLOSED,
}


CLOSE_ACTIONS = {
    pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED: CloseAction.LEAVE_UNBOOKED,
    pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING: CloseAction.ASSIGN_REMAINING,
}
CLOSE_ACTION_VALUES = {action: value for value, action in CLOSE_ACTIONS.items()}
FAMILIES = "picture_day.families"


def _row_message(row: JobRow) -> bpb.TimeSlotRow:
    out = bpb.TimeSlotRow(
        session_duration_minutes=row.session_duration_minutes,
        exclude_saturdays=row.exclude_saturdays,
        exclude_sundays=row.exclude_sundays,
        minutes_between_sessions=row.minutes_between_sessions,
    )
    for field, day in (("start_date", row.start_date), ("end_date", row.end_date)):
        if day is not None:
            getattr(out, field).CopyFrom(to_date(day))
    for field, minute in (
        ("start_time", row.start_minute),
        ("end_time", row.end_minute),
        ("break_start", row.break_start_minute),
        ("break_end", row.break_end_minute),
    ):
        if minute is not None:
            getattr(out, field).CopyFrom(pb.TimeOfDay(hours=minute // 60, minutes=minute % 60))
    return out


def created_message(day: PictureDay) -> pdpb.PictureDay:
    """The day's message as created (without its window and progress)."""
    record = day.record
    msg = pdpb.PictureDay(
        name=day_name(day.id),
        display_name=record.display_name,
        families=bpb.BulkClientSelector(**dataclasses.asdict(record.families)),
        time_slot_rows=[_row_message(r) for r in record.rows],
        siblings_per_slot=day.siblings_per_slot,
        open_time=ts(day.open_at),
        close_time=ts(day.close_at),
        close_action=CLOSE_ACTION_VALUES[day.close_action],
        skipped_families=record.skipped_families,
        time_zone=day.time_zone,
        create_time=ts(day.created_at),
    )
    if record.template is not None:
        msg.template.CopyFrom(bpb.BulkSessionTemplate(**dataclasses.asdict(record.template)))
    return msg


def _date(value: date_pb2.Date) -> date:
    return date(value.year, value.month, value.day)


def _minute(msg: bpb.TimeSlotRow, field: Literal["start_time", "end_time", "break_start", "break_end"]) -> int | None:
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return int(value.hours) * 60 + int(value.minutes)


def _job_row(msg: bpb.TimeSlotRow) -> JobRow:
    """A create request's row as given (read and checked: `bulk_row_convert.read_rows`)."""
    return JobRow(
        start_date=_date(msg.start_date) if msg.HasField("start_date") else None,
        end_date=_date(msg.end_date) if msg.HasField("end_date") else None,
        start_minute=_minute(msg, "start_time"),
        end_minute=_minute(msg, "end_time"),
        session_duration_minutes=msg.session_duration_minutes,
        exclude_saturdays=msg.exclude_saturdays,
        exclude_sundays=msg.exclude_sundays,
        break_start_minute=_minute(msg, "break_start"),
        break_end_minute=_minute(msg, "break_end"),
        minutes_between_sessions=msg.minutes_between_sessions,
    )


def day_message(state: DayState) -> pdpb.PictureDay:
    msg = created_message(state.day)
    msg.window = WINDOWS[state.window]
    msg.progress.CopyFrom(
        pdpb.PictureDayProgress(
            **dataclasses.asdict(state.progress),
            families_not_booked=state.progress.families_not_booked,
            slots_free=state.slots_free,
            slots_total=state.slots_total,
        )
    )
    return msg


def days_response(page: Page[DayState]) -> pdpb.ListPictureDaysResponse:
    return pdpb.ListPictureDaysResponse(
        picture_days=[day_message(s) for s in page.items], next_page_token=page.next_page_token
    )


def family_name(family: Family) -> str:
    return f"{COLLECTION}/{family.day_id}/families/{family.client_id}"


def family_message(family: Family) -> pdpb.PictureDayFamily:
    msg = pdpb.PictureDayFamily(
        name=family_name(family),
        client=f"clients/{family.client_id}",
        display_name=family.display_name,
        booked=family.booked,
        has_access_code=family.has_access_code,
        email=family.email,
    )
    for child in family.children:
        msg.children.append(
            pdpb.PictureDayChild(
                child=child_key(child.client_id, child.member_id),
                display_name=child.display_name,
                booking=booking_name(family.day_id, child.booking_id) if child.booking_id else "",
            )
        )
    return msg


def families_response(page: Page[Family]) -> pdpb.ListPictureDayFamiliesResponse:
    return pdpb.ListPictureDayFamiliesResponse(
        families=[family_message(f) for f in page.items], next_page_token=page.next_page_token
    )


def slot_message(slot: Slot, zone: ZoneInfo) -> pdpb.PictureDaySlot:
    day, start, end = local_slot(slot.start_at, slot.end_at, zone)
    return pdpb.PictureDaySlot(
        name=slot_name(slot.day_id, slot.id),
        start_time=ts(slot.start_at),
        end_time=ts(slot.end_at),
        local_date=to_date(day),
        local_start=pb.TimeOfDay(hours=start.hour, minutes=start.minute),
        local_end=pb.TimeOfDay(hours=end.hour, minutes=end.minute),
        free=slot.free,
    )


def slots_response(day: PictureDay, page: Page[Slot]) -> pdpb.ListPictureDaySlotsResponse:
    zone = ZoneInfo(day.time_zone)
    return pdpb.ListPictureDaySlotsResponse(
        slots=[slot_message(s, zone) for s in page.items], next_page_token=page.next_page_token
    )


def booking_message(booking: Booking, slot: Slot) -> pdpb.PictureDayBooking:
    return pdpb.PictureDayBooking(
        name=booking_name(booking.day_id, booking.id),
        client=f"clients/{booking.client_id}",
        slot=slot_name(booking.day_id, booking.slot_id),
        children=booking.children,
        session=f"sessions/{booking.session_id}",
        start_time=ts(slot.start_at),
        end_time=ts(slot.end_at),
        cancelled=booking.cancelled,
        create_time=ts(booking.created_at),
    )


BookingRequest = (
    pdpb.CreatePictureDayBookingRequest
    | pdpb.ReschedulePictureDayBookingRequest
    | pdpb.CancelPictureDayBookingRequest
    | pdpb.BookPictureDayByCodeRequest
    | pdpb.ReschedulePictureDayBookingByCodeRequest
    | pdpb.CancelPictureDayBookingByCodeRequest
)


def booking_once(db: Database, company_id: str, request: BookingRequest) -> Once[pdpb.PictureDayBooking]:
    """A booking use case's `Once`: its work run once per the request's `request_id` (the
    scope: the request's method, e.g. `BookPictureDayByCode`), the booking's message the
    answer a retry gets."""

    async def run(work: Work) -> pdpb.PictureDayBooking:
        async def as_message(uow: UnitOfWork, attempt: Attempt) -> pdpb.PictureDayBooking:
            return booking_message(*await work(uow, attempt))

        scope = type(request).__name__.removesuffix("Request")
        return await run_booking(
            db,
            company_id,
            pdpb.PictureDayBooking,
            as_message,
            scope=scope,
            request=request,
            request_id=request.request_id,
        )

    return run


def access_codes_response(issued: Sequence[tuple[Family, str]]) -> pdpb.IssuePictureDayAccessCodesResponse:
    """Each family with its new code (shown this once)."""
    return pdpb.IssuePictureDayAccessCodesResponse(
        access_codes=[
            pdpb.PictureDayAccessCode(
                family=family_name(f),
                client=f"clients/{f.client_id}",
                display_name=f.display_name,
                email=f.email,
                access_code=code,
            )
            for f, code in issued
        ]
    )


def access_message(access: FamilyAccess) -> pdpb.PictureDayAccess:
    """What an access code shows: the day's public part, the family, its bookings, the slots
    it may take."""
    day = access.day
    created = created_message(day)
    zone = ZoneInfo(day.time_zone)
    return pdpb.PictureDayAccess(
        picture_day=pdpb.PictureDay(
            name=day_name(day.id),
            display_name=created.display_name,
            siblings_per_slot=day.siblings_per_slot,
            open_time=created.open_time,
            close_time=created.close_time,
            window=WINDOWS[access.window],
            time_zone=day.time_zone,
        ),
        family=family_message(access.family),
        bookings=[booking_message(b, s) for b, s in access.bookings],
        free_slots=[slot_message(s, zone) for s in access.slots],
        location=created.template.location,
    )


def booking_snapshot(event: BookingEvent[SessionShown]) -> ev.PictureDayBookingSnapshot:
    return ev.PictureDayBookingSnapshot(
        booking=booking_name(event.day.id, event.booking.id),
        picture_day_display_name=created_message(event.day).display_name,
        client=f"clients/{event.booking.client_id}",
        children_display_names=event.children_display_names,
        session=session_snapshot(event.session),
    )


def booking_event(
    event: BookingEvent[SessionShown],
) -> tuple[
    EventType[Any],
    ev.PictureDayBookingBookedEvent | ev.PictureDayBookingRescheduledEvent | ev.PictureDayBookingCancelledEvent,
]:
    """A booking's event: its subject and its message."""
    snap = booking_snapshot(event)
    if event.change is Change.BOOKED:
        return events.PICTURE_DAY_BOOKING_BOOKED, ev.PictureDayBookingBookedEvent(
            booking=snap, assigned_at_close=event.assigned_at_close
        )
    if event.change is Change.RESCHEDULED:
        assert event.previous is not None
        start, end = event.previous
        return events.PICTURE_DAY_BOOKING_RESCHEDULED, ev.PictureDayBookingRescheduledEvent(
            booking=snap, previous_start_time=ts(start), previous_end_time=ts(end)
        )
    return events.PICTURE_DAY_BOOKING_CANCELLED, ev.PictureDayBookingCancelledEvent(booking=snap)


def announce_booking(uow: UnitOfWork, company_id: str, event: BookingEvent[SessionShown] | EntryEvent) -> None:
    """Emit a booking's event, or its session's own, in `uow` (the use cases'
    `picture_day_events.Announce`)."""
    if not isinstance(event, BookingEvent):
        announce_entry(uow, company_id, event)
        return
    subject, message = booking_event(event)
    uow.emit(subject, company_id, message)


# --- creating a day ---


def renamed(err: InvalidArgument, old: str, new: str) -> InvalidArgument:
    """The same violations under another field prefix (`selector.year` -> `picture_day.families.year`)."""
    v = Violations()
    for item in err.violations:
        v.add(new + item.field.removeprefix(old), item.description)
    return InvalidArgument(err.message, violations=v.items)


def new_day(
    request: pdpb.CreatePictureDayRequest,
) -> tuple[NewDay, list[bulk_rows.BulkRow], ClientSelector]:
    """The day's settings, its time-slot rows and the selector of its families (checked);
    INVALID_ARGUMENT with every problem (`picture_day.*`, `request_id`)."""
    v = Violations()
    day = request.picture_day
    validate_request_id(request.request_id, v)
    if not day.display_name.strip():
        v.add("picture_day.display_name", "is required")
    elif len(day.display_name) > 200:
        v.add("picture_day.display_name", "at most 200 characters")
    for field in ("open_time", "close_time"):
        if not day.HasField(field):
            v.add(f"picture_day.{field}", "is required")
    if day.close_action not in CLOSE_ACTIONS:
        v.add("picture_day.close_action", "choose LEAVE_UNBOOKED or ASSIGN_REMAINING")
    opens = from_ts(day.open_time) if day.HasField("open_time") else None
    closes = from_ts(day.close_time) if day.HasField("close_time") else None
    for field, problem in settings_problems(day.siblings_per_slot, opens, closes).items():
        v.add(f"picture_day.{field}", problem)
    rows_found = Violations()
    rows = bulk_row_convert.read_rows(list(day.time_slot_rows), rows_found)
    for item in rows_found.items:
        v.add(f"picture_day.{item.field}", item.description)
    selection = bulk_job_convert.selector(day.families)
    try:
        check_selector(selection)
    except InvalidArgument as err:
        v.items.extend(renamed(err, "selector", FAMILIES).violations)
    v.raise_if_any()
    assert rows is not None
    assert opens is not None
    assert closes is not None
    return NewDay(day.siblings_per_slot, opens, closes, CLOSE_ACTIONS[day.close_action]), rows, selection


def new_families(listed: Sequence[ListedClient]) -> list[NewFamily]:
    """Each client listed once, with its member children."""
    out: list[NewFamily] = []
    seen: set[str] = set()
    for client in listed:
        client_id = client.client_id
        if client_id in seen:
            continue
        seen.add(client_id)
        display = client.display_name
        members = [
            FamilyMember(member_id=m.member_id, display_name=client.member_display_name(m), is_child=m.is_child)
            for m in client.members
        ]
        out.append(NewFamily(client_id, display, tuple(member_children(display, members))))
    return out


def template_check(company_id: str, request: pdpb.CreatePictureDayRequest) -> TemplateCheck:
    """The use case's `TemplateCheck`: the request's template checked as a session would be."""

    async def check(uow: UnitOfWork, v: Violations) -> CheckedTemplate | None:
        template = bulk_job_convert.template(request.picture_day.template)
        return await bulk_jobs.check_template(uow, company_id, template, v)

    return check


def created_day(request: pdpb.CreatePictureDayRequest) -> Created:
    """The use case's `Created`: the request's day without its output-only fields, named, in
    its location's zone, with its create time and the families left out."""

    def created(day_id: str, time_zone: str, now: datetime, skipped: int) -> tuple[DayRecord, Snapshot]:
        msg = pdpb.PictureDay()
        msg.CopyFrom(request.picture_day)
        for output_only in ("window", "progress"):
            msg.ClearField(output_only)
        msg.name = day_name(day_id)
        msg.time_zone = time_zone
        msg.create_time.CopyFrom(ts(now))
        msg.skipped_families = skipped
        day = request.picture_day
        record = DayRecord(
            display_name=day.display_name,
            families=bulk_job_convert.selector(day.families),
            template=bulk_job_convert.template(day.template) if day.HasField("template") else None,
            rows=tuple(_job_row(r) for r in day.time_slot_rows),
            skipped_families=skipped,
        )
        return record, msg

    return created


def create_day_once(db: Database, company_id: str, request: pdpb.CreatePictureDayRequest) -> DayOnce[pdpb.PictureDay]:
    """The create's `DayOnce`: its work run once per the request's `request_id`, the day's
    message the answer a retry gets."""

    async def run(work: Callable[[UnitOfWork], Awaitable[DayState]]) -> pdpb.PictureDay:
        async def as_message(uow: UnitOfWork) -> pdpb.PictureDay:
            return day_message(await work(uow))

        return await run_once(db, company_id, "CreatePictureDay", request, pdpb.PictureDay, as_message)

    return run
