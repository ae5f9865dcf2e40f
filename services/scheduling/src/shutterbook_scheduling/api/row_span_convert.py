"""The span every time-slot row message gives (the bulk wizard's `TimeSlotRow`, a generation's
`TimeSlotPatternRow`): its first and last day and its daily start and end, read once for both
(api/bulk_row_convert.py, api/slot_convert.py); violations `{at}.start_date`, ..."""

from __future__ import annotations

from datetime import date, time

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.errors import Violations
from shutterbook_scheduling.api.proto_values import read_date, read_time

# (start_date, end_date, start_time, end_time): the first four fields of a BulkRow and a PatternRow
Span = tuple[date, date, time, time]


def read_span(
    row: bpb.TimeSlotRow | opb.TimeSlotPatternRow, at: str, v: Violations, *, times_required: bool
) -> Span | None:
    """The row's days and times, None when one is unreadable. `times_required`: an unset time is
    a violation ("is required"); otherwise it reads as midnight."""
    first = read_date(row.start_date, f"{at}.start_date", v)
    last = read_date(row.end_date, f"{at}.end_date", v)
    clock: list[time | None] = []
    for field in ("start_time", "end_time"):
        if times_required and not row.HasField(field):
            v.add(f"{at}.{field}", "is required")
            clock.append(None)
        else:
            clock.append(read_time(getattr(row, field), f"{at}.{field}", v))
    start, end = clock
    if first is None or last is None or start is None or end is None:
        return None
    return first, last, start, end
