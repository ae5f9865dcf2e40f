"""The time-slot screen's two forms (one slot; a standing pattern) as scheduling's TimeSlot and
TimeSlotPattern, and what is wrong with them before asking scheduling. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as ppb

CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = {
    "mon": (pb.DAY_OF_WEEK_MONDAY, "Mon"),
    "tue": (pb.DAY_OF_WEEK_TUESDAY, "Tue"),
    "wed": (pb.DAY_OF_WEEK_WEDNESDAY, "Wed"),
    "thu": (pb.DAY_OF_WEEK_THURSDAY, "Thu"),
    "fri": (pb.DAY_OF_WEEK_FRIDAY, "Fri"),
    "sat": (pb.DAY_OF_WEEK_SATURDAY, "Sat"),
    "sun": (pb.DAY_OF_WEEK_SUNDAY, "Sun"),
}


@dataclass
class SlotForm:
    slot: opb.TimeSlot
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class PatternForm:
    pattern: ppb.TimeSlotPattern
    errors: dict[str, str] = field(default_factory=dict)


def clock(text: str) -> pb.TimeOfDay | None:
    found = CLOCK.match(text.strip())
    return pb.TimeOfDay(hours=int(found.group(1)), minutes=int(found.group(2))) if found else None


def clock_text(t: pb.TimeOfDay) -> str:
    return f"{t.hours:02d}:{t.minutes:02d}"


def _template(type_name: str, location: str, schedules: Sequence[str], published: bool) -> opb.TimeSlot:
    slot = opb.TimeSlot(location=location, schedules=list(schedules), published=published)
    if type_name.startswith("appointmentTypes/"):
        slot.appointment_type = type_name
    else:
        slot.session_type = type_name
    return slot


def _times(form: Mapping[str, str], errors: dict[str, str]) -> tuple[pb.TimeOfDay | None, pb.TimeOfDay | None]:
    start, end = clock(form.get("start", "")), clock(form.get("end", ""))
    if start is None:
        errors["start"] = "Enter a start time such as 09:00."
    if end is None:
        errors["end"] = "Enter an end time such as 12:00."
    elif start is not None and (end.hours, end.minutes) <= (start.hours, start.minutes):
        errors["end"] = "The end must be after the start."
    return start, end


def _minutes(form: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str]) -> int:
    text = form.get(name, "").strip()
    if not (text.isdigit() and len(text) <= 5 and low <= int(text) <= high):
        errors[name] = f"Enter a whole number from {low} to {high}."
        return low
    return int(text)


def slot_form(
    type_name: str, location: str, form: Mapping[str, str], schedules: Sequence[str], known: Sequence[str]
) -> SlotForm:
    errors: dict[str, str] = {}
    chosen = [s for s in schedules if s in known]
    if not chosen or len(chosen) != len(schedules):
        errors["schedules"] = "Choose who or what the slot occupies (a photographer, a room)."
    slot = _template(type_name, location, chosen, form.get("published") == "on")
    try:
        day = date.fromisoformat(form.get("date", "").strip())
        slot.date.CopyFrom(date_pb2.Date(year=day.year, month=day.month, day=day.day))
    except ValueError:
        errors["date"] = "Enter the date of the slot."
    start, end = _times(form, errors)
    if start is not None and end is not None:
        slot.start.CopyFrom(start)
        slot.end.CopyFrom(end)
    return SlotForm(slot, errors)


def pattern_form(
    type_name: str,
    location: str,
    form: Mapping[str, str],
    weekdays: Sequence[str],
    schedules: Sequence[str],
    known: Sequence[str],
) -> PatternForm:
    errors: dict[str, str] = {}
    chosen = [s for s in schedules if s in known]
    if not chosen or len(chosen) != len(schedules):
        errors["schedules"] = "Choose who or what the slots occupy (a photographer, a room)."
    days = [WEEKDAYS[d][0] for d in weekdays if d in WEEKDAYS]
    if not days:
        errors["weekdays"] = "Choose at least one day of the week."
    pattern = ppb.TimeSlotPattern(template=_template(type_name, location, chosen, True), weekdays=days)
    start, end = _times(form, errors)
    if start is not None and end is not None:
        pattern.start_time.CopyFrom(start)
        pattern.end_time.CopyFrom(end)
    pattern.slot_minutes = _minutes(form, "slot_minutes", 1, 1440, errors)
    pattern.gap_minutes = _minutes(form, "gap_minutes", 0, 1440, errors)
    pattern.weeks_ahead = _minutes(form, "weeks_ahead", 1, 52, errors)
    return PatternForm(pattern, errors)


def weekday_names(days: Sequence[int]) -> str:
    names: dict[int, str] = {int(value): label for value, label in WEEKDAYS.values()}
    return ", ".join(names.get(d, "?") for d in days)


def slot_field(path: str) -> str:
    """scheduling's violation path -> the form's field (`time_slot.start` -> `start`)."""
    last = path.split(".")[1] if "." in path else path
    last = re.sub(r"\[\d+\]$", "", last)
    return {"start_time": "start", "end_time": "end", "date": "date", "template": "schedules"}.get(last, last)
