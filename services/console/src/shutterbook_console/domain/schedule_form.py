"""The staff schedule screen's form (studio setup): the schedule's name and staff member, its
working hours as rows of day + from + to, and its time off as rows of start + end (local
date-times in the location's zone) + reason, as scheduling's Schedule; and what is wrong
before asking scheduling, by the form's input: from before to, a time off's end after its
start, no two rows of one day (or two time offs) overlapping. Blank rows are left out. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from google.protobuf import timestamp_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.domain.slot_form import WEEKDAYS, clock, clock_text

MAX_ROWS = 50
BLANK_HOURS = 2  # empty working-hours rows offered below the filled ones
LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$")
DAY_KEYS = {day: key for key, (day, _) in WEEKDAYS.items()}
DAY_LABELS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_VIOLATION = re.compile(r"^schedule\.(working_hours|time_off)\[(\d+)\](?:\.([a-z_]+))?")
_HOURS_INPUT = {"day": "day", "start": "from", "end": "to"}
_OFF_INPUT = {"start_time": "off_start", "end_time": "off_end", "reason": "off_reason"}


@dataclass
class ScheduleForm:
    """The schedule's writable fields (`schedule`), the rows as typed (`hours`, `time_off`,
    shown again on a refusal), which form row each message row came from, and the problems
    found, by input name (`from_2`, `off_end_0`, `display_name`)."""

    schedule: pb.Schedule
    typed: dict[str, str]
    hours: list[dict[str, str]]
    time_off: list[dict[str, str]]
    hours_rows: list[int] = field(default_factory=list)
    off_rows: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def to_field(self, path: str) -> str:
        """Scheduling's field path (`schedule.working_hours[1].end`) -> the form's input."""
        found = _VIOLATION.match(path)
        if found:
            rows, inputs = (
                (self.hours_rows, _HOURS_INPUT) if found.group(1) == "working_hours" else (self.off_rows, _OFF_INPUT)
            )
            index = int(found.group(2))
            if index < len(rows):
                name = inputs.get(found.group(3) or "", "day" if found.group(1) == "working_hours" else "off_start")
                return f"{name}_{rows[index]}"
            return ""
        name = path.removeprefix("schedule.")
        return name if name in ("display_name", "staff_member", "location") else ""


def _count(form: Mapping[str, str], name: str) -> int:
    text = form.get(name, "")
    return min(int(text), MAX_ROWS) if text.isdigit() else 0


def local_text(instant: timestamp_pb2.Timestamp, zone: str) -> str:
    """A UTC instant as the `datetime-local` input shows it in `zone`."""
    return instant.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _instant(text: str, zone: str) -> timestamp_pb2.Timestamp | None:
    found = LOCAL.match(text.strip())
    if not found:
        return None
    try:
        year, month, day, hour, minute = (int(part) for part in found.groups())
        local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    except ValueError:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(local.astimezone(UTC))
    return stamp


def _hours(
    form: Mapping[str, str], errors: dict[str, str]
) -> tuple[list[dict[str, str]], list[pb.WeeklyHours], list[int]]:
    typed: list[dict[str, str]] = []
    hours: list[pb.WeeklyHours] = []
    rows: list[int] = []
    seen: list[tuple[str, int, int, int]] = []  # day key, from, to (minutes), row
    for i in range(_count(form, "hours_rows")):
        row = {name: form.get(f"{name}_{i}", "").strip() for name in ("day", "from", "to")}
        typed.append(row)
        if not any(row.values()):
            continue
        day, start, end = WEEKDAYS.get(row["day"]), clock(row["from"]), clock(row["to"])
        if day is None:
            errors[f"day_{i}"] = "Choose the day of the week."
        if start is None:
            errors[f"from_{i}"] = "Enter the start as HH:MM, for example 09:00."
        if end is None:
            errors[f"to_{i}"] = "Enter the end as HH:MM, for example 17:00."
        if day is None or start is None or end is None:
            continue
        low, high = start.hours * 60 + start.minutes, end.hours * 60 + end.minutes
        if high <= low:
            errors[f"to_{i}"] = "The end must be after the start."
            continue
        clash = next((s for s in seen if s[0] == row["day"] and s[1] < high and low < s[2]), None)
        if clash is not None:
            other = typed[clash[3]]
            errors[f"from_{i}"] = f"Overlaps {DAY_LABELS[clash[0]]} {other['from']}–{other['to']} above."
            continue
        seen.append((row["day"], low, high, i))
        hours.append(pb.WeeklyHours(day=day[0], start=start, end=end))
        rows.append(i)
    return typed, hours, rows


def _time_off(
    form: Mapping[str, str], zone: str, errors: dict[str, str]
) -> tuple[list[dict[str, str]], list[pb.TimeOff], list[int]]:
    typed: list[dict[str, str]] = []
    periods: list[pb.TimeOff] = []
    rows: list[int] = []
    seen: list[tuple[datetime, datetime, int]] = []
    for i in range(_count(form, "off_rows")):
        row = {name: form.get(f"{name}_{i}", "").strip() for name in ("off_start", "off_end", "off_reason")}
        row["off_remove"] = "1" if form.get(f"off_remove_{i}") else ""
        typed.append(row)
        if row["off_remove"] or not (row["off_start"] or row["off_end"] or row["off_reason"]):
            continue
        start, end = _instant(row["off_start"], zone), _instant(row["off_end"], zone)
        if start is None:
            errors[f"off_start_{i}"] = "Enter the start date and time, for example 2026-12-24 09:00."
        if end is None:
            errors[f"off_end_{i}"] = "Enter the end date and time, for example 2026-12-26 18:00."
        if len(row["off_reason"]) > 200:
            errors[f"off_reason_{i}"] = "At most 200 characters."
        if start is None or end is None:
            continue
        low, high = start.ToDatetime(tzinfo=UTC), end.ToDatetime(tzinfo=UTC)
        if high <= low:
            errors[f"off_end_{i}"] = "The end must be after the start."
            continue
        clash = next((s for s in seen if s[0] < high and low < s[1]), None)
        if clash is not None:
            other = typed[clash[2]]
            errors[f"off_start_{i}"] = f"Overlaps the time off {other['off_start']} – {other['off_end']} above."
            continue
        seen.append((low, high, i))
        periods.append(pb.TimeOff(start_time=start, end_time=end, reason=row["off_reason"]))
        rows.append(i)
    return typed, periods, rows


def schedule_form(form: Mapping[str, str], zone: str, staff: Mapping[str, str]) -> ScheduleForm:
    """`zone`: the location's IANA zone; `staff`: the staff members to choose from (name ->
    display name). A blank schedule name takes the staff member's."""
    errors: dict[str, str] = {}
    typed = {name: form.get(name, "").strip() for name in ("display_name", "staff_member")}
    if typed["staff_member"] not in staff:
        errors["staff_member"] = "Choose the staff member whose schedule this is."
    name = typed["display_name"] or staff.get(typed["staff_member"], "")
    if len(name) > 200:
        errors["display_name"] = "At most 200 characters."
    typed_hours, hours, hours_rows = _hours(form, errors)
    typed_off, periods, off_rows = _time_off(form, zone, errors)
    schedule = pb.Schedule(
        display_name=name,
        kind=pb.SCHEDULE_KIND_STAFF,
        staff_member=typed["staff_member"],
        working_hours=hours,
        time_off=periods,
    )
    return ScheduleForm(schedule, typed, typed_hours, typed_off, hours_rows, off_rows, errors)


def hours_rows_of(hours: Sequence[pb.WeeklyHours]) -> list[dict[str, str]]:
    """A schedule's working hours as the form's rows, Monday first, then the blank rows."""
    ordered = sorted(hours, key=lambda h: (h.day, h.start.hours, h.start.minutes))
    rows = [{"day": DAY_KEYS.get(h.day, ""), "from": clock_text(h.start), "to": clock_text(h.end)} for h in ordered]
    return rows + [{"day": "", "from": "", "to": ""} for _ in range(BLANK_HOURS)]


def time_off_rows_of(periods: Sequence[pb.TimeOff], zone: str) -> list[dict[str, str]]:
    """A schedule's time off as the form's rows (in `zone`), earliest first, then a blank row."""
    ordered = sorted(periods, key=lambda p: (p.start_time.seconds, p.end_time.seconds))
    rows = [
        {
            "off_start": local_text(p.start_time, zone),
            "off_end": local_text(p.end_time, zone),
            "off_reason": p.reason,
            "off_remove": "",
        }
        for p in ordered
    ]
    return [*rows, {"off_start": "", "off_end": "", "off_reason": "", "off_remove": ""}]


def with_blanks(
    hours: list[dict[str, str]], time_off: list[dict[str, str]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Rows shown again after a refusal: what was typed, and a blank row to add to if none is."""
    if not hours or any(hours[-1].values()):
        hours = [*hours, {"day": "", "from": "", "to": ""}]
    if not time_off or any(v for k, v in time_off[-1].items() if k != "off_remove"):
        time_off = [*time_off, {"off_start": "", "off_end": "", "off_reason": "", "off_remove": ""}]
    return hours, time_off


def hours_summary(hours: Sequence[pb.WeeklyHours]) -> str:
    """ "Mon–Fri 09:00–17:00, Sat 10:00–12:00 13:00–15:00": runs of days with the same hours
    together, Monday first; "No working hours" when empty."""
    short = {int(day): WEEKDAYS[key][1] for day, key in DAY_KEYS.items()}
    by_day: dict[int, list[str]] = {}
    for h in sorted(hours, key=lambda h: (h.day, h.start.hours, h.start.minutes)):
        if h.day in DAY_KEYS:
            by_day.setdefault(h.day, []).append(f"{clock_text(h.start)}–{clock_text(h.end)}")
    parts: list[str] = []
    days = sorted(by_day)
    run_start = 0
    for i, day in enumerate(days):
        last = i + 1 == len(days) or days[i + 1] != day + 1 or by_day[days[i + 1]] != by_day[day]
        if last:
            first = days[run_start]
            names = short[first] + ("" if first == day else f"–{short[day]}")
            parts.append(f"{names} {' '.join(by_day[day])}")
            run_start = i + 1
    return ", ".join(parts) or "No working hours"
