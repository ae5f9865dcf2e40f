"""How upstream gRPC errors become problem bodies: the gRPC library's own words never reach a
caller, and RESOURCE_EXHAUSTED from a size limit is not a rate limit."""

from __future__ import annotations

import grpc
import pytest
from grpc.aio import AioRpcError, Metadata

from shutterbook_gateway.api.problems import from_rpc_error
from shutterbook_kit.errors import InvalidArgument, NotFound, Violations

INTERNAL_TEXT = "Received message larger than max (5242990 vs. 4194304)"


def _rpc_error(code: grpc.StatusCode, details: str, status_bin: bytes | None = None) -> AioRpcError:
    trailing = Metadata(("grpc-status-details-bin", status_bin)) if status_bin else Metadata()
    return AioRpcError(code, Metadata(), trailing, details=details)


def test_resource_exhausted_from_the_grpc_library_is_413_without_internals() -> None:
    problem = from_rpc_error(_rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, INTERNAL_TEXT))
    assert problem.status_code == 413
    assert problem.extra == {"code": "REQUEST_TOO_LARGE"}
    assert "Received" not in str(problem.detail)


def test_a_service_hold_limit_stays_429_and_keeps_its_words() -> None:
    err = InvalidArgument("x")  # any domain error carries the ErrorInfo; use the hold limit's reason
    err.reason = "TOO_MANY_HOLDS"
    status = err.to_status()
    status.code = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    problem = from_rpc_error(
        _rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many holds", status.SerializeToString())
    )
    assert problem.status_code == 429
    assert problem.detail == "too many holds"


def test_other_library_statuses_say_only_the_status() -> None:
    problem = from_rpc_error(_rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "Stream removed: internal parser text"))
    assert problem.status_code == 422
    assert "Stream" not in str(problem.detail)


def test_domain_errors_bound_what_they_echo() -> None:
    err = NotFound(f"clients/{'x' * 100_000} not found")
    assert len(err.message) <= 200
    v = Violations()
    v.add("client.emails[0]", "not a valid email: " + "a" * 1_000_000)
    with pytest.raises(InvalidArgument) as caught:
        v.raise_if_any()
    assert all(len(x.description) <= 200 for x in caught.value.violations)
    assert len(caught.value.to_status().SerializeToString()) < 2000
