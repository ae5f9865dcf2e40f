"""The bulk job aggregate (issue 8, reference page 04 "Bulk Scheduling"), plain Python: a job
as its studio started it (the session template and time-slot rows as given, whether conflicts
may be booked over, who started it), its state and counts, and one item per chosen client (its
slot, and the session it became or why it failed).

Which jobs a caller sees is a rule of the job's template: a caller limited to some locations
sees the jobs of those locations only (`location_id`, checked against the caller's scope)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from shutterbook_scheduling.domain.bulk_rows import BulkRow

COLLECTION = "bulkJobs"

JOB_RUNNING = "running"
JOB_SUCCEEDED = "succeeded"
ITEM_PENDING = "pending"
ITEM_DONE = "done"
ITEM_FAILED = "failed"

# What a bulk template gives every session it books, field by field.
TEMPLATE_FIELDS = ("location", "description", "session_type", "status", "photographer", "assistant", "camera_room")


@dataclass(frozen=True)
class BulkTemplate:
    """The session template as given (references: `locations/{id}`, ...)."""

    location: str = ""
    description: str = ""
    session_type: str = ""
    status: str = ""
    photographer: str = ""
    assistant: str = ""
    camera_room: str = ""


@dataclass(frozen=True)
class JobRow:
    """One time-slot row of a job as given: times in minutes after midnight, None when a date or
    time was not given."""

    start_date: date | None = None
    end_date: date | None = None
    start_minute: int | None = None
    end_minute: int | None = None
    session_duration_minutes: int = 0
    exclude_saturdays: bool = False
    exclude_sundays: bool = False
    break_start_minute: int | None = None
    break_end_minute: int | None = None
    minutes_between_sessions: int = 0


def _minute(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def job_row(row: BulkRow) -> JobRow:
    """A read wizard row as the job keeps it."""
    return JobRow(
        start_date=row.start_date,
        end_date=row.end_date,
        start_minute=_minute(row.start_time),
        end_minute=_minute(row.end_time),
        session_duration_minutes=row.session_duration_minutes,
        exclude_saturdays=row.exclude_saturdays,
        exclude_sundays=row.exclude_sundays,
        break_start_minute=_minute(row.break_start),
        break_end_minute=_minute(row.break_end),
        minutes_between_sessions=row.minutes_between_sessions,
    )


@dataclass(frozen=True)
class BulkJob:
    """A job: what it was started with, its state (`JOB_RUNNING`, `JOB_SUCCEEDED`), its items
    in all, done and failed, and when it was created and finished."""

    id: str
    template: BulkTemplate | None
    rows: tuple[JobRow, ...]
    allow_conflicts: bool
    created_by: str
    create_time: datetime
    state: str = JOB_RUNNING
    total: int = 0
    done: int = 0
    failures: int = 0
    complete_time: datetime | None = None

    @property
    def name(self) -> str:
        return f"{COLLECTION}/{self.id}"

    @property
    def location_id(self) -> str:
        """The id of its template's location ("" without one): who may see the job."""
        return self.template.location.removeprefix("locations/") if self.template is not None else ""


@dataclass(frozen=True)
class BulkJobItem:
    """One client of a job, its slot (UTC), its state (`ITEM_*`), and its session (when done) or
    why it failed."""

    position: int
    client_id: str
    start: datetime
    end: datetime
    state: str
    session_id: str | None
    failure: str


def counted(job: BulkJob, counts: dict[str, int]) -> BulkJob:
    """The job with its items counted by state ({state: how many})."""
    return replace(job, done=counts.get(ITEM_DONE, 0), failures=counts.get(ITEM_FAILED, 0))


@dataclass(frozen=True)
class ItemOutcome:
    """What became of an item: its session, or (None) why it failed."""

    position: int
    session_id: str | None
    failure: str

    @property
    def state(self) -> str:
        return ITEM_DONE if self.session_id else ITEM_FAILED


@dataclass(frozen=True)
class NewBulkJob:
    """A create or verify request as read at the edge: the clients' ids, the rows (None when one
    was unreadable: its violations are already found), the template (None: not given), and
    whether conflicts may be booked over."""

    client_ids: tuple[str, ...]
    rows: tuple[BulkRow, ...] | None
    template: BulkTemplate | None
    allow_conflicts: bool = False


@dataclass(frozen=True)
class BulkConflict:
    """An existing booking (`sessions/{id}` or `appointments/{id}`) on one of the template's
    schedules (`schedules/{id}`) that a slot (by its index in client order) overlaps."""

    slot_index: int
    slot_start: datetime
    entry: str
    schedule: str


@dataclass(frozen=True)
class Verification:
    """What VerifyBulkSchedule answers: slots against clients, per row, and the conflicts."""

    slot_count: int
    client_count: int
    slots_per_row: tuple[int, ...]
    clients_per_row: tuple[int, ...]
    conflicts: tuple[BulkConflict, ...]
    skipped_nonexistent_slots: int

    @property
    def enough_slots(self) -> bool:
        return self.slot_count >= self.client_count


@dataclass(frozen=True)
class SelectedClient:
    """A client of a selection: its name (`clients/{id}`) and how staff see it."""

    client: str
    display_name: str


@dataclass(frozen=True)
class Selection:
    """What SelectBulkClients answers: the clients scheduling may book, those it does not know,
    and how many were left out for having a future session."""

    clients: tuple[SelectedClient, ...]
    not_known_clients: tuple[SelectedClient, ...]
    excluded_with_future_session: int
