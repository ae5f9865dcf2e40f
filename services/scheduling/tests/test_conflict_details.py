"""A schedule conflict's refusal carries plain data (`conflicts`, `preconditions`); its status is
the one the application built before with `google.rpc` messages: ErrorInfo, then one
PreconditionFailure violation per conflicting block (an empty PreconditionFailure when the
re-read found none)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from shutterbook_kit.errors import ERROR_DOMAIN
from shutterbook_scheduling.application.conflicts import Conflict, conflict_error

START = datetime(2030, 5, 6, 9, tzinfo=UTC)
END = datetime(2030, 5, 6, 10, tzinfo=UTC)


def _pack(detail: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)  # type: ignore[arg-type]
    return packed


def status_before(conflicts: list[Conflict]) -> status_pb2.Status:
    """What `ScheduleConflict.details` answered when it built the details itself."""
    entries = sorted({c.entry for c in conflicts})
    info = error_details_pb2.ErrorInfo(
        reason="SCHEDULE_CONFLICT", domain=ERROR_DOMAIN, metadata={"conflicts": ",".join(entries)}
    )
    failure = error_details_pb2.PreconditionFailure(
        violations=[
            error_details_pb2.PreconditionFailure.Violation(
                type="SCHEDULE_CONFLICT",
                subject=c.entry,
                description=f"{c.schedule} is occupied {c.start.isoformat()} to {c.end.isoformat()}",
            )
            for c in conflicts
        ]
    )
    return status_pb2.Status(
        code=9,  # FAILED_PRECONDITION
        message=f"the booking conflicts with {', '.join(entries)}; set allow_conflicts to book anyway",
        details=[_pack(info), _pack(failure)],
    )


@pytest.mark.parametrize(
    "conflicts",
    [
        [],
        [Conflict("sessions/b", "schedules/s1", START, END)],
        [
            Conflict("sessions/b", "schedules/s1", START, END),
            Conflict("appointments/a", "schedules/s2", START, END),
            Conflict("sessions/b", "schedules/s2", START, END),
        ],
    ],
)
def test_a_conflict_is_refused_with_the_status_as_before(conflicts: list[Conflict]) -> None:
    err = conflict_error(conflicts)
    assert err.conflicts == conflicts
    assert err.to_status().SerializeToString() == status_before(conflicts).SerializeToString()
