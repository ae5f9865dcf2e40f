"""The bulk wizard's time-slot rows at the API edge: `TimeSlotRow` messages to domain rows
(domain/bulk_rows.py), every bad field a violation `time_slot_rows[i].field`. Shared by the
bulk jobs' and the picture days' requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook_kit.errors import Violations
from shutterbook_scheduling.api.proto_values import read_time
from shutterbook_scheduling.api.row_span_convert import read_span
from shutterbook_scheduling.domain import bulk_rows


def read_rows(rows: Sequence[bpb.TimeSlotRow], v: Violations) -> list[bulk_rows.BulkRow] | None:
    """The wizard rows as domain rows; every bad field is a violation `time_slot_rows[i].field`
    (None when a row is unreadable or breaks a rule)."""
    out: list[bulk_rows.BulkRow] = []
    ok = True
    if not rows:
        v.add("time_slot_rows", "at least one row is required")
    for i, row in enumerate(rows):
        at = f"time_slot_rows[{i}]"
        span = read_span(row, at, v, times_required=True)
        break_start: time | None = None
        break_end: time | None = None
        if row.HasField("break_start") != row.HasField("break_end"):
            missing = "break_end" if row.HasField("break_start") else "break_start"
            v.add(f"{at}.{missing}", "give both break start and break end, or neither")
            ok = False
        elif row.HasField("break_start"):
            break_start = read_time(row.break_start, f"{at}.break_start", v)
            break_end = read_time(row.break_end, f"{at}.break_end", v)
            ok = ok and break_start is not None and break_end is not None
        if span is None:
            ok = False
            continue
        read = bulk_rows.BulkRow(
            *span,
            session_duration_minutes=row.session_duration_minutes,
            exclude_saturdays=row.exclude_saturdays,
            exclude_sundays=row.exclude_sundays,
            break_start=break_start,
            break_end=break_end,
            minutes_between_sessions=row.minutes_between_sessions,
        )
        ok = bulk_rows.check_row(read, at, v) and ok
        out.append(read)
    return out if ok else None
