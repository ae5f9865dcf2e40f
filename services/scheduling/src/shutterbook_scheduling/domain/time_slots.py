"""The online time slot, plain Python (issue 13): a slot as the use cases hand it to the API edge
(api/slot_convert.py makes TimeSlot messages of it), the conflicts a slot about to exist runs
into, an UpdateTimeSlot's change read into plain values, and the slot's rules that need no I/O
(what an update may change, which booking a slot names, the slot as the audit trail keeps it).

A slot sells exactly one of a session type and an appointment type (`appointment`); its
`booking_id` is the live booking's id (a session's, or an appointment's for a slot of an
appointment type: ids are UUIDs, so the two never collide). When it is open is
domain/online_slots.py's decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from shutterbook_kit.errors import Violations
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.domain.slot_requests import SlotTimes
from shutterbook_scheduling.domain.standing_patterns import SlotTemplate

TIME_FIELDS = frozenset({"date", "start", "end"})
# what UpdateTimeSlot may change (its mask's paths)
UPDATABLE = frozenset({"schedules", "published", "minimum_notice_minutes", "maximum_advance_days", *TIME_FIELDS})


@dataclass(frozen=True)
class TimeSlot:
    """A slot as shown: its stored fields, its schedules in order, and what its state is now
    (`booking_id` of the live booking, or "" ; `removed` by a booking overlapping it; `held` by a
    booking in progress). `local_date`, `start_minute`, `end_minute`: the slot's day and
    wall-clock minutes after midnight in its location's zone (`time_zone`)."""

    slot_id: str
    location_id: str
    type_id: str
    appointment: bool
    time_zone: str
    local_date: date | None
    start_minute: int | None
    end_minute: int | None
    start_at: datetime
    end_at: datetime
    published: bool
    minimum_notice_minutes: int
    maximum_advance_days: int
    schedule_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    booking_id: str = ""
    removed: bool = False
    held: bool = False

    @property
    def name(self) -> str:
        return f"timeSlots/{self.slot_id}"

    @property
    def type_name(self) -> str:
        collection = "appointmentTypes" if self.appointment else "sessionTypes"
        return f"{collection}/{self.type_id}"

    @property
    def booking_name(self) -> str:
        """The live booking's resource name (a session's or an appointment's), or ""."""
        return booking_name(self.appointment, self.booking_id) if self.booking_id else ""

    def template(self) -> SlotTemplate:
        """The slot's template fields, by reference (what a slot's template is checked as)."""
        return SlotTemplate(
            location=f"locations/{self.location_id}" if self.location_id else "",
            session_type="" if self.appointment else self.type_name,
            appointment_type=self.type_name if self.appointment else "",
            schedules=tuple(f"schedules/{s}" for s in self.schedule_ids),
            published=self.published,
            minimum_notice_minutes=self.minimum_notice_minutes,
            maximum_advance_days=self.maximum_advance_days,
        )


def booking_name(appointment: bool, booking_id: str) -> str:
    """A booking's resource name by the kind of its slot."""
    return f"appointments/{booking_id}" if appointment else f"sessions/{booking_id}"


@dataclass(frozen=True)
class SlotConflict:
    """What a slot about to exist (the `slot_index`-th) runs into on schedule `schedule_id`:
    `entry`, a session's, appointment's, time off's or other slot's resource name."""

    slot_index: int
    entry: str
    schedule_id: str


@dataclass(frozen=True)
class SlotEdit:
    """An UpdateTimeSlot's mask applied to a slot (at the API edge): the paths applied, the slot's
    template as it would be, and, when the slot moves, its day and clock times as they would be
    (with what could not be read, `times.found`)."""

    paths: tuple[str, ...]
    template: SlotTemplate
    times: SlotTimes = field(default_factory=lambda: SlotTimes(None, None, None))

    @property
    def moves(self) -> bool:
        """The edit gives the slot another day or clock time."""
        return bool(TIME_FIELDS.intersection(self.paths))

    @property
    def changes_schedules(self) -> bool:
        return "schedules" in self.paths


def edited(slot: TimeSlot, edit: SlotEdit, schedule_ids: Sequence[str], now: datetime) -> TimeSlot:
    """The slot with the edit's fields (its schedules: `schedule_ids`, as checked), changed at
    `now`; its day and clock times the edit's when it moves (its instants: the caller's)."""
    day, start, end = slot.local_date, slot.start_minute, slot.end_minute
    if edit.moves:
        day = edit.times.day
        start = minute_of(edit.times.start)
        end = minute_of(edit.times.end)
    return replace(
        slot,
        schedule_ids=tuple(schedule_ids),
        published=edit.template.published,
        minimum_notice_minutes=edit.template.minimum_notice_minutes,
        maximum_advance_days=edit.template.maximum_advance_days,
        local_date=day,
        start_minute=start,
        end_minute=end,
        updated_at=now,
    )


def minute_of(clock: time | None) -> int | None:
    """A wall-clock time as minutes after midnight."""
    return None if clock is None else clock.hour * 60 + clock.minute


def stored(slot: TimeSlot) -> TimeSlot:
    """The slot as stored: without the state it is in (booked, removed, held)."""
    return replace(slot, booking_id="", removed=False, held=False)


def placed(
    day: date, start: time, end: time, tz: ZoneInfo, now: datetime, path: str, found: Violations
) -> tuple[datetime, datetime] | None:
    """A slot's instants from its day and wall-clock times in `tz` (an ambiguous local time, the
    repeated hour when clocks fall back, means its first occurrence), or None with what is wrong
    added to `found` under `path` (`{path}.start`, `{path}.end`): a local time the zone skips,
    an end not after the start, a start not after `now`."""
    first = last = None
    try:
        first = times.local_to_utc(day, start, tz)
    except times.NonexistentLocalTime as exc:
        found.add(f"{path}.start", str(exc))
    try:
        last = times.local_to_utc(day, end, tz)
    except times.NonexistentLocalTime as exc:
        found.add(f"{path}.end", str(exc))
    if first is not None and last is not None and last <= first:
        found.add(f"{path}.end", "must be after start")
        return None
    if first is not None and first <= now:
        found.add(f"{path}.start", "the slot is in the past")
        return None
    return None if first is None or last is None else (first, last)


def schedules_locked(slot_booked: bool, edit: SlotEdit) -> bool:
    """A booked slot's schedules are its booking's: an edit may not change them."""
    return slot_booked and edit.changes_schedules


def instant_text(value: datetime) -> str:
    """An instant as protobuf's JSON writes a Timestamp (`2026-12-01T09:30:00Z`, with 3, 6 or 9
    fraction digits when it has a fraction): how the audit trail keeps instants of messages."""
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    nanos = utc.microsecond * 1000
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    return f"{text}.{nanos // 1000:06d}Z"


def _clock(minute: int | None) -> dict[str, int] | None:
    return None if minute is None else {"hours": minute // 60, "minutes": minute % 60}


def slot_snapshot(slot: TimeSlot) -> dict[str, Any]:
    """The slot as the audit trail keeps it (`uow.audit` before/after): the fields of its
    TimeSlot message by their names, as the trail made them plain when it was given the message."""
    out: dict[str, Any] = {
        "name": slot.name,
        "location": f"locations/{slot.location_id}" if slot.location_id else "",
        "session_type": "" if slot.appointment else slot.type_name,
        "schedules": [f"schedules/{s}" for s in slot.schedule_ids],
    }
    if slot.local_date is not None:
        out["date"] = {"year": slot.local_date.year, "month": slot.local_date.month, "day": slot.local_date.day}
    for key, minute in (("start", slot.start_minute), ("end", slot.end_minute)):
        clock = _clock(minute)
        if clock is not None:
            out[key] = clock
    booking = slot.booking_name
    out.update(
        {
            "start_time": instant_text(slot.start_at),
            "end_time": instant_text(slot.end_at),
            "time_zone": slot.time_zone,
            "published": slot.published,
            "minimum_notice_minutes": slot.minimum_notice_minutes,
            "maximum_advance_days": slot.maximum_advance_days,
            "booked_session": "" if slot.appointment else booking,
            "removed": slot.removed,
            "create_time": instant_text(slot.created_at),
            "update_time": instant_text(slot.updated_at),
            "appointment_type": slot.type_name if slot.appointment else "",
            "booked_appointment": booking if slot.appointment else "",
            "held": slot.held,
        }
    )
    return out


def slot_span(slots: list[TimeSlot]) -> tuple[TimeSlot, TimeSlot] | None:
    """The slot starting first and the one ending last (None: no slots): what a generation is
    announced by."""
    if not slots:
        return None
    return min(slots, key=lambda s: s.start_at), max(slots, key=lambda s: s.end_at)
