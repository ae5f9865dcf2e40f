"""The standing time-slot pattern aggregate at the API edge: request messages to domain objects
(domain/standing_patterns.py), names to ids, domain objects to response messages; a create run
once per its `request_id` (`create_once`, the idempotency record keeps the answer's message);
and the `scheduling.time_slots.generated` event a generation run announces (`announce_generated`,
passed down to the use cases as their `Announce`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook_kit.db import Database
from shutterbook_kit.pagination import Page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.proto_values import run_once, to_date, ts
from shutterbook_scheduling.application.slot_patterns import Once
from shutterbook_scheduling.domain.standing_patterns import (
    COLLECTION,
    Clock,
    GeneratedSlots,
    PatternBreak,
    PatternFields,
    SlotTemplate,
    TimeSlotPattern,
)


def pattern_id(name: str) -> str:
    """`timeSlotPatterns/{id}` -> the id (another shape INVALID_ARGUMENT on `name`, an id that is
    no UUID NOT_FOUND)."""
    return parse_name(name, COLLECTION)


def _clock(value: Clock) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=value[0], minutes=value[1])


def pattern_record(name: str, f: PatternFields, create_time: datetime) -> spb.TimeSlotPattern:
    """The pattern's message as created (what the API shows, but `generated_through`)."""
    t = f.template
    msg = spb.TimeSlotPattern(
        name=name,
        template=opb.TimeSlot(
            location=t.location,
            session_type=t.session_type,
            appointment_type=t.appointment_type,
            schedules=list(t.schedules),
            published=t.published,
            minimum_notice_minutes=t.minimum_notice_minutes,
            maximum_advance_days=t.maximum_advance_days,
        ),
        weekdays=list(f.weekdays),  # type: ignore[arg-type]  # DayOfWeek numbers, checked
        start_time=_clock(f.start_time),
        end_time=_clock(f.end_time),
        slot_minutes=f.slot_minutes,
        gap_minutes=f.gap_minutes,
        breaks=[opb.TimeSlotBreak(start=_clock(b.start), end=_clock(b.end)) for b in f.breaks],
        weeks_ahead=f.weeks_ahead,
    )
    if f.start_date != (0, 0, 0):
        msg.start_date.CopyFrom(date_pb2.Date(year=f.start_date[0], month=f.start_date[1], day=f.start_date[2]))
    msg.create_time.FromDatetime(create_time)
    return msg


def pattern_fields(msg: spb.TimeSlotPattern) -> PatternFields:
    """A pattern message's fields (the mirror of `pattern_record`): the template's date, times
    and output-only fields are not a pattern's."""
    t = msg.template
    return PatternFields(
        template=SlotTemplate(
            location=t.location,
            session_type=t.session_type,
            appointment_type=t.appointment_type,
            schedules=tuple(t.schedules),
            published=t.published,
            minimum_notice_minutes=t.minimum_notice_minutes,
            maximum_advance_days=t.maximum_advance_days,
        ),
        weekdays=tuple(int(d) for d in msg.weekdays),
        start_time=(msg.start_time.hours, msg.start_time.minutes),
        end_time=(msg.end_time.hours, msg.end_time.minutes),
        slot_minutes=msg.slot_minutes,
        gap_minutes=msg.gap_minutes,
        breaks=tuple(PatternBreak((b.start.hours, b.start.minutes), (b.end.hours, b.end.minutes)) for b in msg.breaks),
        weeks_ahead=msg.weeks_ahead,
        start_date=(msg.start_date.year, msg.start_date.month, msg.start_date.day),
    )


def pattern_message(pattern: TimeSlotPattern) -> spb.TimeSlotPattern:
    msg = pattern_record(pattern.name, pattern.fields, pattern.create_time)
    if pattern.generated_through is not None:
        msg.generated_through.CopyFrom(to_date(pattern.generated_through))
    msg.create_time.CopyFrom(ts(pattern.create_time))
    return msg


def list_response(page: Page[TimeSlotPattern]) -> spb.ListTimeSlotPatternsResponse:
    return spb.ListTimeSlotPatternsResponse(
        time_slot_patterns=[pattern_message(p) for p in page.items], next_page_token=page.next_page_token
    )


def create_once(db: Database, company_id: str, request: spb.CreateTimeSlotPatternRequest) -> Once:
    """The create's `Once`: its work run once per the request's `request_id`, the pattern's
    message kept as the answer a retry gets."""

    async def run(work: Callable[[UnitOfWork], Awaitable[TimeSlotPattern]]) -> str:
        async def as_message(uow: UnitOfWork) -> spb.TimeSlotPattern:
            return pattern_message(await work(uow))

        created = await run_once(db, company_id, "CreateTimeSlotPattern", request, spb.TimeSlotPattern, as_message)
        return created.name.removeprefix(f"{COLLECTION}/")

    return run


def announce_generated(uow: UnitOfWork, company_id: str, run: GeneratedSlots) -> None:
    """Emit `scheduling.time_slots.generated` for a run's slots (announced by their span), in
    `uow`."""
    uow.emit(
        events.TIME_SLOTS_GENERATED,
        company_id,
        opb.TimeSlotsGeneratedEvent(
            location=run.location,
            session_type=run.session_type,
            appointment_type=run.appointment_type,
            start_time=ts(run.start),
            end_time=ts(run.end),
            slot_count=run.count,
        ),
    )
