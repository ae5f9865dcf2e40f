"""The "Generate slots" form: pattern rows as the bulk wizard has them (dates, daily times,
duration, exclude Saturdays / Sundays, a break, minutes between) read into scheduling's
TimeSlotPatternRow, what is wrong with them before asking scheduling, scheduling's violation
paths turned back into the form's fields, and what a preview's conflict means. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.domain.slot_form import clock

MAX_ROWS = 10
ROW_FIELDS = (
    "start_date",
    "end_date",
    "start",
    "end",
    "minutes",
    "gap",
    "no_sat",
    "no_sun",
    "break_start",
    "break_end",
)
# scheduling's names of a row's fields -> the form's
_FROM_UPSTREAM = {"start_time": "start", "end_time": "end", "slot_minutes": "minutes", "gap_minutes": "gap"}
_VIOLATION = re.compile(r"^rows\[(\d+)\]\.([a-z_]+)(?:\[(\d+)\]\.([a-z_]+))?")


@dataclass
class RowsForm:
    rows: list[opb.TimeSlotPatternRow]
    errors: dict[str, str] = field(default_factory=dict)


def row_count(form: Mapping[str, str]) -> int:
    text = form.get("rows", "1").strip()
    return min(max(int(text), 1), MAX_ROWS) if text.isdigit() and len(text) <= 3 else 1


def blank_row(index: int, today: date) -> dict[str, str]:
    """A new row's values: next week, 9 to 5, 30-minute slots."""
    first = today + timedelta(days=1 + 7 * index)
    values = {
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=6)).isoformat(),
        "start": "09:00",
        "end": "17:00",
        "minutes": "30",
        "gap": "0",
    }
    return {f"r{index}_{k}": v for k, v in values.items()}


def _day(text: str, name: str, errors: dict[str, str]) -> date_pb2.Date | None:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = "Enter a date."
        return None
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _number(text: str, name: str, low: int, high: int, errors: dict[str, str]) -> int:
    text = text.strip()
    if not (text.isdigit() and len(text) <= 5 and low <= int(text) <= high):
        errors[name] = f"Enter a whole number from {low} to {high}."
        return low
    return int(text)


def _read_row(form: Mapping[str, str], i: int, errors: dict[str, str]) -> opb.TimeSlotPatternRow:
    at = f"r{i}_"
    row = opb.TimeSlotPatternRow()
    for key, target in (("start_date", row.start_date), ("end_date", row.end_date)):
        day = _day(form.get(at + key, ""), at + key, errors)
        if day is not None:
            target.CopyFrom(day)
    for key, clock_field in (("start", row.start_time), ("end", row.end_time)):
        found = clock(form.get(at + key, ""))
        if found is None:
            errors[at + key] = "Enter a time such as 09:00."
        else:
            clock_field.CopyFrom(found)
    row.slot_minutes = _number(form.get(at + "minutes", ""), at + "minutes", 1, 1440, errors)
    row.gap_minutes = _number(form.get(at + "gap", "0") or "0", at + "gap", 0, 1440, errors)
    if form.get(at + "no_sat") == "on":
        row.excluded_weekdays.append(pb.DAY_OF_WEEK_SATURDAY)
    if form.get(at + "no_sun") == "on":
        row.excluded_weekdays.append(pb.DAY_OF_WEEK_SUNDAY)
    b_start, b_end = form.get(at + "break_start", "").strip(), form.get(at + "break_end", "").strip()
    if b_start or b_end:
        start, end = clock(b_start), clock(b_end)
        if start is None:
            errors[at + "break_start"] = "Enter both break times (such as 12:00), or neither."
        if end is None:
            errors[at + "break_end"] = "Enter both break times (such as 13:00), or neither."
        if start is not None and end is not None:
            row.breaks.append(opb.TimeSlotBreak(start=start, end=end))
    return row


def rows_form(form: Mapping[str, str]) -> RowsForm:
    errors: dict[str, str] = {}
    rows = [_read_row(form, i, errors) for i in range(row_count(form))]
    return RowsForm(rows, errors)


def row_field(path: str) -> str:
    """scheduling's violation path -> the form's field (`rows[1].slot_minutes` -> `r1_minutes`,
    `rows[0].breaks[0].end` -> `r0_break_end`); anything else names the whole form."""
    found = _VIOLATION.match(path)
    if found is None:
        return "schedules" if path.startswith("template.schedules") else "rows"
    index, name, sub = found.group(1), found.group(2), found.group(4)
    if name == "breaks":
        return f"r{index}_break_{sub or 'start'}"
    if name == "excluded_weekdays":
        return f"r{index}_no_sat"
    return f"r{index}_{_FROM_UPSTREAM.get(name, name)}"


def conflict_text(entry: str) -> str:
    """What a generated slot overlaps, for the preview."""
    kind = entry.split("/", 1)[0]
    return {
        "sessions": "a session",
        "appointments": "an appointment",
        "timeSlots": "another time slot",
        "schedules": "time off",
    }.get(kind, "something on the calendar")
