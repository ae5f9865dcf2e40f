"""The Locations screen's form (studio setup, locations): name, IANA time zone, postal address,
and studio hours and lunch periods as rows of day + from + to. Checked here before scheduling
is asked: a zone the machine knows, each row complete with from before to, each lunch inside
the studio's hours of its day. Scheduling's field paths are mapped back to the form's fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import available_timezones

DAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}
ADDRESS = ("address_line_1", "address_line_2", "locality", "administrative_area", "postal_code", "region_code")
FIELDS = ("display_name", "time_zone", *ADDRESS)
PERIODS = {"hours": "studio_hours", "lunch": "lunch_periods"}
BLANK_ROWS = 2  # empty rows offered under the saved ones
MAX_ROWS = 50
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ROW_PATH = re.compile(r"^location\.(studio_hours|lunch_periods)\[(\d+)\](?:\.(day|start|end))?")

Minutes = tuple[int, int]  # (hours, minutes)


@cache
def zones() -> list[str]:
    """Every IANA zone the machine knows, sorted, for the time zone select."""
    return sorted(available_timezones())


@dataclass(frozen=True)
class Period:
    day: int
    start: Minutes
    end: Minutes


@dataclass(frozen=True)
class LocationForm:
    """The location's values as scheduling takes them (`values`: periods under "studio_hours"
    and "lunch_periods"), what the form showed (`typed`; rows as lists of dicts), which form row
    each saved period came from (`rows`, for scheduling's refusals), and the problems found."""

    values: dict[str, Any]
    typed: dict[str, Any]
    rows: dict[str, list[int]]
    errors: dict[str, str] = field(default_factory=dict)


def _time(text: str) -> Minutes | None:
    found = _TIME.match(text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _rows(fields: dict[str, str], prefix: str) -> list[dict[str, str]]:
    rows = []
    for i in range(MAX_ROWS):
        row = {part: fields.get(f"{prefix}-{i}-{part}", "").strip() for part in ("day", "start", "end")}
        if not any(f"{prefix}-{i}-{part}" in fields for part in ("day", "start", "end")):
            break
        rows.append(row)
    return rows


def _periods(prefix: str, rows: list[dict[str, str]], errors: dict[str, str]) -> tuple[list[Period], list[int]]:
    periods: list[Period] = []
    origin: list[int] = []
    for i, row in enumerate(rows):
        if not any(row.values()):
            continue  # an empty row: not a period
        day = int(row["day"]) if row["day"].isdigit() and int(row["day"]) in DAYS else 0
        start, end = _time(row["start"]), _time(row["end"])
        if not day:
            errors[f"{prefix}-{i}-day"] = "Choose the day."
        if start is None:
            errors[f"{prefix}-{i}-start"] = "Enter the time as HH:MM, for example 09:00."
        if end is None:
            errors[f"{prefix}-{i}-end"] = "Enter the time as HH:MM, for example 17:00."
        elif start is not None and end <= start:
            errors[f"{prefix}-{i}-end"] = "Must be after the from time."
        if day and start is not None and end is not None and start < end:
            periods.append(Period(day, start, end))
            origin.append(i)
    return periods, origin


def parse_location(fields: dict[str, str]) -> LocationForm:
    typed: dict[str, Any] = {name: fields.get(name, "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    if not typed["display_name"]:
        errors["display_name"] = "Enter the location's name."
    if typed["time_zone"] not in zones():
        errors["time_zone"] = "Choose the location's time zone from the list."
    region = typed["region_code"].upper()
    if region and not (len(region) == 2 and region.isalpha()):
        errors["region_code"] = "Enter two letters, for example US."
    periods: dict[str, list[Period]] = {}
    rows: dict[str, list[int]] = {}
    for prefix in PERIODS:
        typed[prefix] = _rows(fields, prefix)
        periods[prefix], rows[prefix] = _periods(prefix, typed[prefix], errors)
    for lunch, i in zip(periods["lunch"], rows["lunch"], strict=True):
        inside = any(h.day == lunch.day and h.start <= lunch.start and lunch.end <= h.end for h in periods["hours"])
        if not inside:
            errors[f"lunch-{i}-start"] = f"Must be inside the studio hours of {DAYS[lunch.day]}."
    values: dict[str, Any] = {
        "display_name": typed["display_name"],
        "time_zone": typed["time_zone"],
        "address_lines": [line for line in (typed["address_line_1"], typed["address_line_2"]) if line],
        "locality": typed["locality"],
        "administrative_area": typed["administrative_area"],
        "postal_code": typed["postal_code"],
        "region_code": region,
        "studio_hours": periods["hours"],
        "lunch_periods": periods["lunch"],
    }
    return LocationForm(values, typed, rows, errors)


def with_blank_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows the form shows: the given ones (without empty ones at the end) and `BLANK_ROWS`
    empty ones to add periods."""
    kept = list(rows)
    while kept and not any(kept[-1].values()):
        kept.pop()
    return [*kept, *({"day": "", "start": "", "end": ""} for _ in range(BLANK_ROWS))]


def form_field(path: str, rows: dict[str, list[int]]) -> str:
    """A field path of scheduling's refusal (`location.studio_hours[1].end`) -> the form's
    field (`hours-3-end`: the form row that period came from); "" when the form has none."""
    found = _ROW_PATH.match(path)
    if found:
        prefix = next(p for p, name in PERIODS.items() if name == found.group(1))
        index = int(found.group(2))
        origin = rows.get(prefix, [])
        row = origin[index] if index < len(origin) else index
        return f"{prefix}-{row}-{found.group(3) or 'start'}"
    name = path.removeprefix("location.").removeprefix("address.")
    if name.startswith("address_lines"):
        return "address_line_2" if name.endswith("[1]") else "address_line_1"
    return name if name in FIELDS else ""
