"""The standing time-slot pattern aggregate at the API edge: request messages to domain objects
(domain/standing_patterns.py), names to ids, domain objects to response messages; a create run
once per its `request_id` (`create_once`, the idempotency record keeps the answer's message);
and the `scheduling.time_slots.generated` event a generation run announces (`announce_generated`,
passed down to the use cases as their `Announce`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shutterbook.scheduling.v1 import online_pb2 as opb
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
    GeneratedSlots,
    PatternFields,
    TimeSlotPattern,
)
from shutterbook_scheduling.storage.pattern_repository import pattern_record, record_fields


def pattern_id(name: str) -> str:
    """`timeSlotPatterns/{id}` -> the id (another shape INVALID_ARGUMENT on `name`, an id that is
    no UUID NOT_FOUND)."""
    return parse_name(name, COLLECTION)


def pattern_fields(msg: spb.TimeSlotPattern) -> PatternFields:
    return record_fields(msg)


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
