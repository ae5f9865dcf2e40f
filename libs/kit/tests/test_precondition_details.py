"""`FailedPrecondition.preconditions`: plain data on the error, a `PreconditionFailure` detail
(after the ErrorInfo) in its status, even an empty list; None (not given), the status is the
ErrorInfo alone."""

from __future__ import annotations

from google.rpc import code_pb2, error_details_pb2

from shutterbook_kit.errors import FailedPrecondition, PreconditionViolation


def test_preconditions_become_a_precondition_failure_after_the_error_info() -> None:
    err = FailedPrecondition(
        "in the way",
        reason="SCHEDULE_CONFLICT",
        metadata={"conflicts": "sessions/a"},
        preconditions=[PreconditionViolation("SCHEDULE_CONFLICT", "sessions/a", "schedules/s is occupied")],
    )
    status = err.to_status()
    assert status.code == code_pb2.FAILED_PRECONDITION
    info, packed = status.details
    assert info.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)
    failure = error_details_pb2.PreconditionFailure()
    assert packed.Unpack(failure)
    assert [(v.type, v.subject, v.description) for v in failure.violations] == [
        ("SCHEDULE_CONFLICT", "sessions/a", "schedules/s is occupied")
    ]


def test_without_preconditions_only_the_error_info() -> None:
    (info,) = FailedPrecondition("refused").to_status().details
    unpacked = error_details_pb2.ErrorInfo()
    assert info.Unpack(unpacked)
    assert unpacked.reason == "FAILED_PRECONDITION"


def test_an_empty_list_is_an_empty_precondition_failure() -> None:
    _, packed = FailedPrecondition("refused", preconditions=[]).to_status().details
    failure = error_details_pb2.PreconditionFailure()
    assert packed.Unpack(failure)
    assert list(failure.violations) == []
