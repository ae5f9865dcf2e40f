"""RFC 9457 problem details for every error the gateway returns.

gRPC statuses from the services map to HTTP statuses; field violations carried in a
`google.rpc.BadRequest` become `errors: [{field, detail}]`; the `ErrorInfo` reason becomes
`code`. Nothing upstream becomes a 500: an unreachable service is a 503.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException
from litestar.types import ExceptionHandlersMap

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://shutterbook.dev/problems/"

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}


def problem(
    status: int,
    title: str,
    *,
    code: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemDetailsException:
    extra: dict[str, Any] = {"code": code}
    if errors:
        extra["errors"] = errors
    return ProblemDetailsException(
        status_code=status,
        title=title,
        detail=detail,
        type_=PROBLEM_BASE + code.lower().replace("_", "-"),
        extra=extra,
        headers=headers,
    )


def from_rpc_error(err: grpc.aio.AioRpcError) -> ProblemDetailsException:
    status = _HTTP_STATUS.get(err.code(), 502)
    reason = err.code().name
    errors: list[dict[str, str]] = []
    for key, value in err.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        details = status_pb2.Status.FromString(value)
        for packed in details.details:
            if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                packed.Unpack(bad)
                errors += [{"field": v.field, "detail": v.description} for v in bad.field_violations]
            elif packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                packed.Unpack(info)
                reason = info.reason
    if status >= 500:
        return problem(
            status,
            "upstream service unavailable",
            code="UPSTREAM_UNAVAILABLE",
            detail="a service the request needs did not answer; retry later",
        )
    return problem(status, HTTPStatus(status).phrase, code=reason, detail=err.details() or "", errors=errors)


def _validation_problem(exc: ValidationException) -> ProblemDetailsException:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {
                    "field": str(item.get("key") or item.get("source") or ""),
                    "detail": str(item.get("message", "")),
                }
            )
    return problem(400, "the request is not valid", code="INVALID_REQUEST", detail=str(exc.detail), errors=errors)


def _http_problem(exc: HTTPException) -> ProblemDetailsException:
    return problem(exc.status_code, str(exc.detail), code=f"HTTP_{exc.status_code}", headers=exc.headers)


def _unexpected_problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unforeseen: logged with its trace, answered as a problem without internals."""
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "internal error", code="INTERNAL").to_response(request)


def _rpc_problem_response(request: Request[Any, Any, Any], exc: grpc.aio.AioRpcError) -> Response[Any]:
    return from_rpc_error(exc).to_response(request)


PROBLEM_CONFIG = ProblemDetailsConfig(
    enable_for_all_http_exceptions=True,
    exception_to_problem_detail_map={ValidationException: _validation_problem, HTTPException: _http_problem},
)

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    grpc.aio.AioRpcError: _rpc_problem_response,
    Exception: _unexpected_problem_response,
}
