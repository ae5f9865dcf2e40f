"""Protobuf values at the API edge, read into plain Python and back: timestamps and dates,
wall-clock times, weekdays and breaks with their bad fields named, update masks, reference
filters, and a writing request run once per its own `request_id`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import TypeVar

from google.protobuf import field_mask_pb2, timestamp_pb2
from google.protobuf.message import Message

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2, scheduling_pb2
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import run_idempotent
from shutterbook_kit.masks import mask_paths
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.domain import time_patterns

R = TypeVar("R", bound=Message)


async def run_once(
    db: Database,
    company_id: str,
    scope: str,
    request: Message,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
) -> R:
    """A writing use case run once per the request's own `request_id` (the kit's
    `run_idempotent`: a retry, or a duplicate racing the first, gets the first's response)."""
    return await run_idempotent(
        db,
        company_id=company_id,
        scope=scope,
        request=request,
        request_id=str(getattr(request, "request_id", "")),
        response_type=response_type,
        work=work,
        source=SOURCE,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    """What `Timestamp.FromDatetime` gives for the instant (a naive value read as local time,
    as `astimezone` reads it), without building its time tuple: listings convert four instants
    per slot."""
    if value.tzinfo is None:
        value = value.astimezone(UTC)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def from_ts(value: timestamp_pb2.Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def instant_of(msg: Message, field: str) -> datetime | None:
    """A Timestamp field as an aware UTC datetime; None when not given."""
    return from_ts(getattr(msg, field)) if msg.HasField(field) else None


def set_instant(msg: Message, field: str, value: datetime | None) -> None:
    """Set a Timestamp field from an instant; leave it unset for None."""
    if value is not None:
        getattr(msg, field).CopyFrom(ts(value))


def to_date(value: date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def read_date(value: date_pb2.Date, field: str, violations: Violations, *, required: bool = True) -> date | None:
    """A proto Date as a date; a missing (all zero) or impossible one is a violation."""
    if value.year == 0 and value.month == 0 and value.day == 0:
        if required:
            violations.add(field, "is required")
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        violations.add(field, "is not a valid date")
        return None


def read_date_range(
    start: date_pb2.Date, end: date_pb2.Date, violations: Violations, *, max_days: int
) -> tuple[date | None, date | None]:
    """A request's `start_date` and `end_date` (both required): end not before start, and at
    most `max_days` after it."""
    first = read_date(start, "start_date", violations)
    last = read_date(end, "end_date", violations)
    if first is not None and last is not None:
        if last < first:
            violations.add("end_date", "must not be before start_date")
        elif (last - first).days > max_days:
            violations.add("end_date", f"must be at most {max_days} days after start_date")
    return first, last


def read_time(value: scheduling_pb2.TimeOfDay, field: str, violations: Violations) -> time | None:
    if not (0 <= value.hours <= 23 and 0 <= value.minutes <= 59):
        violations.add(field, "must be hours 0-23 and minutes 0-59")
        return None
    return time(value.hours, value.minutes)


def read_weekdays(days: Sequence[int], field: str, violations: Violations) -> frozenset[int]:
    """`DayOfWeek` values as `date.weekday()` numbers (DAY_OF_WEEK_MONDAY is 1, Monday is 0);
    an unset or unknown one is a violation of `field[j]`."""
    weekdays: set[int] = set()
    for j, d in enumerate(days):
        if d == scheduling_pb2.DAY_OF_WEEK_UNSPECIFIED or d not in scheduling_pb2.DayOfWeek.values():
            violations.add(f"{field}[{j}]", "is not a weekday")
        else:
            weekdays.add(int(d) - 1)
    return frozenset(weekdays)


def read_breaks(
    breaks: Sequence[online_pb2.TimeSlotBreak], field: str, violations: Violations
) -> tuple[time_patterns.Break, ...] | None:
    """A pattern's breaks (`field[j].start`, `.end`), or None when one is unreadable."""
    read: list[time_patterns.Break] = []
    for j, b in enumerate(breaks):
        start = read_time(b.start, f"{field}[{j}].start", violations)
        end = read_time(b.end, f"{field}[{j}].end", violations)
        if start is not None and end is not None:
            read.append(time_patterns.Break(start, end))
    return tuple(read) if len(read) == len(breaks) else None


def require_mask(mask: field_mask_pb2.FieldMask) -> None:
    """An update request names the fields it changes (INVALID_ARGUMENT otherwise)."""
    v = Violations()
    if not mask.paths:
        v.add("update_mask", "name the fields to change")
    v.raise_if_any()


def apply_mask(
    current: Message,
    incoming: Message,
    mask: field_mask_pb2.FieldMask,
    *,
    field: str,
    writable: set[str] | None = None,
    output_only: frozenset[str] = frozenset({"name", "create_time", "update_time"}),
) -> list[str]:
    """Copy the masked fields of `incoming` onto `current`; returns the paths applied.

    An empty mask means every writable field. Unknown or output-only paths are violations
    of `update_mask`.
    """
    paths = mask_paths(
        current.DESCRIPTOR,  # type: ignore[arg-type]
        mask,
        output_only=output_only,
        writable=None if writable is None else frozenset(writable),
    )
    field_mask_pb2.FieldMask(paths=paths).MergeMessage(
        incoming, current, replace_message_field=True, replace_repeated_field=True
    )
    return paths


def optional_references(
    request: Message, refs: Sequence[tuple[str, str, str]], violations: Violations | None = None
) -> list[tuple[str, str]]:
    """The filters a list request gives by reference: each of `refs` is (field, collection,
    column); a field given adds (column, id), one left empty adds nothing, a malformed one goes
    to `violations` (when given; else they are raised here)."""
    v = violations if violations is not None else Violations()
    out: list[tuple[str, str]] = []
    for field, collection, column in refs:
        found = parse_reference(getattr(request, field), collection, field=field, violations=v, required=False)
        if found:
            out.append((column, found))
    if violations is None:
        v.raise_if_any()
    return out
