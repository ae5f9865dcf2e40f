"""The bulk job aggregate, pure (no database, no server): a job's counts, who may see it, an
item's outcome; and the API edge answering a job and its items with the very messages the
rows gave before domain objects (`job_base_message`, the storage converter of the time, kept
here as the reference with its `write_job` and the field helpers they used, and the state,
counts and completion laid on it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.api import bulk_job_convert as convert
from shutterbook_scheduling.api.proto_values import ts
from shutterbook_scheduling.domain import bulk_jobs
from shutterbook_scheduling.domain.bulk_jobs import BulkJob, BulkTemplate, ItemOutcome
from shutterbook_scheduling.storage.bulk_models import BulkJobItemRow, BulkJobRow, BulkJobRowRow
from shutterbook_scheduling.storage.bulk_repository import bulk_job, bulk_job_item

_TEMPLATE_FIELDS = ("location", "description", "session_type", "status", "photographer", "assistant", "camera_room")


# The field helpers the converters below used (storage's of the time).


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


def job_base_message(row: BulkJobRow) -> bpb.BulkJob:
    """The job as created (state, counts and completion: the caller fills them in), as
    storage read it before the job was a domain object."""
    msg = bpb.BulkJob(
        name=f"bulkJobs/{row.id}",
        allow_conflicts=row.allow_conflicts,
        created_by=row.created_by,
        create_time=ts(row.created_at),
    )
    if row.has_template:
        msg.template.CopyFrom(bpb.BulkSessionTemplate(**{f: getattr(row, f"template_{f}") for f in _TEMPLATE_FIELDS}))
    for r in row.rows:
        out = msg.time_slot_rows.add(
            session_duration_minutes=r.session_duration_minutes,
            exclude_saturdays=r.exclude_saturdays,
            exclude_sundays=r.exclude_sundays,
            minutes_between_sessions=r.minutes_between_sessions,
        )
        set_date(out, "start_date", r.start_date)
        set_date(out, "end_date", r.end_date)
        set_clock(out, "start_time", r.start_minute)
        set_clock(out, "end_time", r.end_minute)
        set_clock(out, "break_start", r.break_start_minute)
        set_clock(out, "break_end", r.break_end_minute)
    return msg


def write_job(row: BulkJobRow, msg: bpb.BulkJob) -> None:
    """The job message's fields on its row, as storage wrote them before."""
    row.has_template = msg.HasField("template")
    for f in _TEMPLATE_FIELDS:
        setattr(row, f"template_{f}", getattr(msg.template, f))
    row.rows = [
        BulkJobRowRow(
            position=i,
            start_date=date_of(r, "start_date"),
            end_date=date_of(r, "end_date"),
            start_minute=minute_of(r, "start_time"),
            end_minute=minute_of(r, "end_time"),
            session_duration_minutes=r.session_duration_minutes,
            exclude_saturdays=r.exclude_saturdays,
            exclude_sundays=r.exclude_sundays,
            break_start_minute=minute_of(r, "break_start"),
            break_end_minute=minute_of(r, "break_end"),
            minutes_between_sessions=r.minutes_between_sessions,
        )
        for i, r in enumerate(msg.time_slot_rows)
    ]


JOB_ID = "0b7e6f3a-3333-4c4c-8c8c-00000000000a"
CLIENT_ID = "0b7e6f3a-3333-4c4c-8c8c-00000000000b"
CREATED = datetime(2030, 5, 1, 8, 30, 15, 120_000, tzinfo=UTC)
DONE_AT = CREATED + timedelta(minutes=3)


def given_job(*, template: bool) -> bpb.BulkJob:
    msg = bpb.BulkJob(name=f"bulkJobs/{JOB_ID}", allow_conflicts=True, created_by="Ann Staff", create_time=ts(CREATED))
    if template:
        msg.template.CopyFrom(
            bpb.BulkSessionTemplate(location="locations/0b7e6f3a-3333-4c4c-8c8c-000000000001", description="School")
        )
    msg.time_slot_rows.add(
        start_date=date_pb2.Date(year=2030, month=5, day=6),
        end_date=date_pb2.Date(year=2030, month=5, day=7),
        start_time=pb.TimeOfDay(hours=9),
        end_time=pb.TimeOfDay(hours=10, minutes=30),
        session_duration_minutes=10,
        exclude_saturdays=True,
        break_start=pb.TimeOfDay(hours=0),
        minutes_between_sessions=2,
    )
    msg.time_slot_rows.add(session_duration_minutes=15, exclude_sundays=True)
    return msg


def job_row(msg: bpb.BulkJob, *, state: str, completed: datetime | None) -> BulkJobRow:
    row = BulkJobRow(
        id=JOB_ID,
        company_id="c1",
        state=state,
        created_by="Ann Staff",
        allow_conflicts=True,
        total=7,
        created_at=CREATED,
        completed_at=completed,
    )
    write_job(row, msg)
    return row


def message_before(row: BulkJobRow, counts: dict[str, int]) -> bpb.BulkJob:
    """What get, list, create and the completed event answered before domain objects."""
    msg = job_base_message(row)
    done = row.state == bulk_jobs.JOB_SUCCEEDED
    msg.state = bpb.BULK_JOB_STATE_SUCCEEDED if done else bpb.BULK_JOB_STATE_RUNNING
    msg.total = row.total
    msg.done = counts.get(bulk_jobs.ITEM_DONE, 0)
    msg.failures = counts.get(bulk_jobs.ITEM_FAILED, 0)
    if row.completed_at is not None:
        msg.complete_time.CopyFrom(ts(row.completed_at))
    return msg


@pytest.mark.parametrize(
    ("template", "state", "completed", "counts"),
    [
        (True, bulk_jobs.JOB_RUNNING, None, {}),
        (True, bulk_jobs.JOB_RUNNING, None, {"pending": 4, "done": 2, "failed": 1}),
        (False, bulk_jobs.JOB_SUCCEEDED, DONE_AT, {"done": 6, "failed": 1}),
    ],
)
def test_a_job_is_answered_as_before(
    template: bool, state: str, completed: datetime | None, counts: dict[str, int]
) -> None:
    row = job_row(given_job(template=template), state=state, completed=completed)
    job = bulk_jobs.counted(bulk_job(row), counts)
    assert convert.job_message(job).SerializeToString() == message_before(row, counts).SerializeToString()


def test_counts_and_who_sees_a_job() -> None:
    job = BulkJob(JOB_ID, BulkTemplate(location="locations/abc"), (), False, "Ann", CREATED, total=3)
    assert bulk_jobs.counted(job, {"pending": 1, "done": 1, "failed": 1}).done == 1
    assert bulk_jobs.counted(job, {"failed": 2}).failures == 2
    assert job.location_id == "abc"
    assert BulkJob(JOB_ID, None, (), False, "Ann", CREATED).location_id == ""
    assert job.name == f"bulkJobs/{JOB_ID}"


def test_an_item_outcome_is_done_with_a_session_else_failed() -> None:
    assert ItemOutcome(0, "s1", "").state == bulk_jobs.ITEM_DONE
    assert ItemOutcome(1, None, "conflict").state == bulk_jobs.ITEM_FAILED


@pytest.mark.parametrize(
    ("state", "session_id", "failure", "expected"),
    [
        ("pending", None, "", bpb.BULK_JOB_ITEM_STATE_PENDING),
        ("done", "0b7e6f3a-3333-4c4c-8c8c-0000000000ff", "", bpb.BULK_JOB_ITEM_STATE_DONE),
        ("failed", None, "session.photographer: is booked", bpb.BULK_JOB_ITEM_STATE_FAILED),
    ],
)
def test_an_item_is_answered_as_before(state: str, session_id: str | None, failure: str, expected: int) -> None:
    local = timezone(timedelta(hours=-4))
    start = datetime(2030, 5, 6, 9, 0, tzinfo=local)
    row = BulkJobItemRow(
        job_id=JOB_ID,
        position=3,
        company_id="c1",
        client_id=CLIENT_ID,
        start_at=start,
        end_at=start + timedelta(minutes=10),
        state=state,
        session_id=session_id,
        failure=failure,
    )
    before = bpb.BulkJobItem(
        position=3,
        client=f"clients/{CLIENT_ID}",
        start_time=ts(row.start_at.astimezone(UTC)),
        end_time=ts(row.end_at.astimezone(UTC)),
        state=expected,  # type: ignore[arg-type]
        session=f"sessions/{session_id}" if session_id else "",
        failure=failure,
    )
    assert convert.item_message(bulk_job_item(row)) == before


def test_a_job_name_is_read_at_the_edge() -> None:
    assert convert.job_id(f"bulkJobs/{JOB_ID}") == JOB_ID


def test_a_bulk_job_round_trips() -> None:
    """Every field written to the row is read back."""
    msg = given_job(template=True)
    row = BulkJobRow(id=JOB_ID, created_by="Ann Staff", allow_conflicts=True, created_at=CREATED)
    write_job(row, msg)
    assert job_base_message(row) == msg
