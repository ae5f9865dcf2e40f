"""The bulk job aggregate (issue 8, reference page 04 "Bulk Scheduling"), plain Python: a job
as its studio started it (the session template and time-slot rows as given, whether conflicts
may be booked over, who started it), its state and counts, and one item per chosen client (its
slot, and the session it became or why it failed).

Which jobs a caller sees is a rule of the job's template: a caller limited to some locations
sees the jobs of those locations only (`location_id`, checked against the caller's scope)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

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
