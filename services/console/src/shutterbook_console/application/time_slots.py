"""Online time slots and standing patterns of one type at one location (reference page 05,
"Create Online Time Slots"), through scheduling's OnlineBookingService and
TimeSlotPatternService (which check `setup.write` and every field)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as ppb
from shutterbook_console.domain.slot_form import clock_text, weekday_names
from shutterbook_console.domain.slot_rows import conflict_text
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

SLOT_PAGE = 50
ALL = 1000


@dataclass(frozen=True)
class Choices:
    types: list[tuple[str, str]]  # (sessionTypes/{id} or appointmentTypes/{id}, name)
    locations: list[tuple[str, str]]
    schedules: list[tuple[str, str]]  # of the chosen location


@dataclass(frozen=True)
class SlotRow:
    id: str
    day: str
    times: str
    schedules: str
    state: str
    deletable: bool
    published: bool = True
    movable: bool = True  # neither booked nor held: its times may change


@dataclass(frozen=True)
class PatternRow:
    id: str
    days: str
    times: str
    slots: str
    through: str


async def choices(up: Upstreams, caller: Caller, location: str) -> Choices:
    s = up.scheduling
    sessions, appointments, locations = await asyncio.gather(
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=ALL), caller),
        up.call(s.ListAppointmentTypes, pb.ListAppointmentTypesRequest(page_size=ALL), caller),
        up.call(s.ListLocations, pb.ListLocationsRequest(page_size=ALL), caller),
    )
    schedules: list[tuple[str, str]] = []
    if location:
        found = await up.call(s.ListSchedules, pb.ListSchedulesRequest(page_size=ALL, location=location), caller)
        schedules = [(x.name, x.display_name) for x in found.schedules]
    return Choices(
        [(x.name, x.display_name) for x in sessions.session_types]
        + [(x.name, f"{x.display_name} (appointment)") for x in appointments.appointment_types],
        [(x.name, x.display_name) for x in locations.locations],
        schedules,
    )


def _state(slot: opb.TimeSlot) -> str:
    if slot.booked_session or slot.booked_appointment:
        return "Booked"
    if slot.held:
        return "Held (a booking in progress)"
    if slot.removed:
        return "Removed (a booking nearby)"
    return "Open" if slot.published else "Unpublished"


async def slots(
    up: Upstreams, caller: Caller, type_name: str, location: str, names: dict[str, str], page_token: str
) -> tuple[list[SlotRow], str]:
    """The type's slots at the location from today on, by start, a page at a time."""
    request = opb.ListTimeSlotsRequest(location=location, page_size=SLOT_PAGE, page_token=page_token)
    request.start_time.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    if type_name.startswith("appointmentTypes/"):
        request.appointment_type = type_name
    else:
        request.session_type = type_name
    found = await up.call(up.online.ListTimeSlots, request, caller)
    rows = [
        SlotRow(
            s.name.split("/", 1)[1],
            f"{s.date.year:04d}-{s.date.month:02d}-{s.date.day:02d}",
            f"{clock_text(s.start)}–{clock_text(s.end)}",
            ", ".join(names.get(x, "?") for x in s.schedules),
            _state(s),
            not (s.booked_session or s.booked_appointment),
            s.published,
            not (s.booked_session or s.booked_appointment or s.held),
        )
        for s in found.time_slots
    ]
    return rows, found.next_page_token


async def patterns(up: Upstreams, caller: Caller, type_name: str, location: str) -> list[PatternRow]:
    found = await up.call(up.patterns.ListTimeSlotPatterns, ppb.ListTimeSlotPatternsRequest(page_size=ALL), caller)
    rows = []
    for p in found.time_slot_patterns:
        t = p.template
        if (t.session_type or t.appointment_type) != type_name or t.location != location:
            continue
        through = p.generated_through
        rows.append(
            PatternRow(
                p.name.split("/", 1)[1],
                weekday_names(list(p.weekdays)),
                f"{clock_text(p.start_time)}–{clock_text(p.end_time)}",
                f"{p.slot_minutes} min, {p.gap_minutes} min apart, {p.weeks_ahead} weeks ahead",
                f"{through.year:04d}-{through.month:02d}-{through.day:02d}" if through.year else "—",
            )
        )
    return rows


async def create_slot(up: Upstreams, caller: Caller, slot: opb.TimeSlot, request_id: str) -> opb.TimeSlot:
    request = opb.CreateTimeSlotRequest(time_slot=slot, request_id=request_id)
    return await up.call(up.online.CreateTimeSlot, request, caller)


async def create_pattern(
    up: Upstreams, caller: Caller, pattern: ppb.TimeSlotPattern, request_id: str
) -> ppb.TimeSlotPattern:
    request = ppb.CreateTimeSlotPatternRequest(time_slot_pattern=pattern, request_id=request_id)
    return await up.call(up.patterns.CreateTimeSlotPattern, request, caller)


async def delete_slot(up: Upstreams, caller: Caller, slot_id: str) -> None:
    await up.call(up.online.DeleteTimeSlot, opb.DeleteTimeSlotRequest(name=f"timeSlots/{slot_id}"), caller)


async def delete_pattern(up: Upstreams, caller: Caller, pattern_id: str) -> None:
    request = ppb.DeleteTimeSlotPatternRequest(name=f"timeSlotPatterns/{pattern_id}")
    await up.call(up.patterns.DeleteTimeSlotPattern, request, caller)


@dataclass(frozen=True)
class PreviewRow:
    day: str
    times: str
    conflict: str  # empty: none


async def generate(
    up: Upstreams,
    caller: Caller,
    template: opb.TimeSlot,
    rows: list[opb.TimeSlotPatternRow],
    request_id: str,
    *,
    validate_only: bool,
) -> opb.GenerateTimeSlotsResponse:
    """The slots of the rows: created, or (validate_only) only previewed with their conflicts."""
    request = opb.GenerateTimeSlotsRequest(
        template=template, rows=rows, request_id=request_id, validate_only=validate_only
    )
    return await up.call(up.online.GenerateTimeSlots, request, caller)


def preview_rows(found: opb.GenerateTimeSlotsResponse, names: dict[str, str]) -> list[PreviewRow]:
    """The preview's slots by date and time, each with what it overlaps (if anything)."""
    clashes: dict[int, list[str]] = {}
    for c in found.conflicts:
        clashes.setdefault(c.slot_index, []).append(f"{conflict_text(c.entry)} ({names.get(c.schedule, '?')})")
    return [
        PreviewRow(
            f"{s.date.year:04d}-{s.date.month:02d}-{s.date.day:02d}",
            f"{clock_text(s.start)}–{clock_text(s.end)}",
            "Overlaps " + ", ".join(clashes[i]) if i in clashes else "",
        )
        for i, s in enumerate(found.time_slots)
    ]


async def get_slot(up: Upstreams, caller: Caller, slot_id: str) -> opb.TimeSlot:
    return await up.call(up.online.GetTimeSlot, opb.GetTimeSlotRequest(name=f"timeSlots/{slot_id}"), caller)


async def update_slot(up: Upstreams, caller: Caller, slot: opb.TimeSlot, paths: list[str]) -> opb.TimeSlot:
    request = opb.UpdateTimeSlotRequest(time_slot=slot, update_mask=field_mask_pb2.FieldMask(paths=paths))
    return await up.call(up.online.UpdateTimeSlot, request, caller)
