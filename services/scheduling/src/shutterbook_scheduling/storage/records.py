"""Field helpers shared by the row <-> message converters that remain (a TimeOfDay or Date field
read as minutes or a date, and back).

Every field is a column or a child row (see `models.py`): a message written here and read
back is the same message. Reference fields keep the id after their collection prefix
(`schedules/{id}` -> `{id}`); a field that may be absent (a TimeOfDay, a Date, a Money, an
optional int) is NULL when it was not given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb

# --- field helpers --------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    # what Timestamp.FromDatetime gives for an aware instant, without its time tuple (a listing
    # converts four instants per slot)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def _instant(value: timestamp_pb2.Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def minute_of(msg: Any, field: str) -> int | None:
    """A TimeOfDay field as minutes after midnight; None when not given."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return int(value.hours) * 60 + int(value.minutes)


def set_clock(msg: Any, field: str, minute: int | None) -> None:
    if minute is not None:
        getattr(msg, field).CopyFrom(pb.TimeOfDay(hours=minute // 60, minutes=minute % 60))


def date_of(msg: Any, field: str) -> date | None:
    """A Date field as a date; None when not given (or given all zero, which reads as not given)."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    if value.year == 0 and value.month == 0 and value.day == 0:
        return None
    return date(value.year, value.month, value.day)


def set_date(msg: Any, field: str, value: date | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(date_pb2.Date(year=value.year, month=value.month, day=value.day))


def ref_id(name: str, collection: str) -> str:
    """`collection/{id}` -> `{id}`; "" stays ""."""
    return name.removeprefix(f"{collection}/")


def ref(collection: str, value: str) -> str:
    return f"{collection}/{value}" if value else ""
