"""RFC 9457 problem details for every error the gateway returns.

gRPC statuses from the services map to HTTP statuses; field violations carried in a
`google.rpc.BadRequest` become `errors: [{field, detail}]`; the `ErrorInfo` reason becomes
`code`. Nothing upstream becomes a 500: an unreachable service is a 503.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import grpc
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException
from litestar.types import ExceptionHandlersMap

from shutterbook_gateway.upstreams import rpc_error_info
from shutterbook_kit.errors import DomainError, bounded

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


class FieldError(msgspec.Struct):
    field: str
    detail: str


class Problem(msgspec.Struct):
    """An RFC 9457 problem: `code` is stable (UPPER_SNAKE), `errors` name the fields at fault."""

    type: str
    title: str
    status: int
    detail: str = ""
    code: str = ""
    errors: list[FieldError] = []


_DESCRIPTIONS = {
    400: "The request is malformed (unknown or badly typed fields, bad headers).",
    401: "No valid partner API key.",
    402: "The payment was declined.",
    403: (
        "A publishable key on a route that needs a secret key (SECRET_KEY_REQUIRED), or from a site "
        "not listed for it (ORIGIN_NOT_ALLOWED)."
    ),
    404: "No such resource for this key (absent, another company's, or outside the key's locations).",
    405: "The path does not take this method (see Allow).",
    409: (
        "A conflict: the slot is no longer open (SLOT_NOT_OPEN), the booking request ended without a booking "
        "(BOOKING_FAILED), or the Idempotency-Key is in use (IDEMPOTENCY_KEY_IN_USE, see Retry-After)."
    ),
    413: "The request body is larger than the gateway takes (BODY_TOO_LARGE), or a value is too large.",
    422: "The request is well formed but not valid (see errors), or the Idempotency-Key was used with another body.",
    429: (
        "RATE_LIMITED: the key's rate limit, or too many requests without a valid key from this address; "
        "TOO_MANY_HOLDS: the client's hold limit. See Retry-After."
    ),
    503: (
        "A service did not answer; retry later (see Retry-After). BOOKING_NOT_COMPLETED: the booking is being "
        "settled; retry with the same Idempotency-Key for its outcome."
    ),
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a route answers with."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS[status],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in statuses
    }


READ_PROBLEMS = problem_responses(400, 401, 403, 404, 405, 422, 429, 503)
WRITE_PROBLEMS = problem_responses(400, 401, 402, 403, 404, 405, 409, 413, 422, 429, 503)


MAX_FIELD_ERRORS = 20


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
        extra["errors"] = [
            {"field": bounded(e["field"]), "detail": bounded(e["detail"])} for e in errors[:MAX_FIELD_ERRORS]
        ]
    return ProblemDetailsException(
        status_code=status,
        title=title,
        detail=bounded(detail),
        type_=PROBLEM_BASE + code.lower().replace("_", "-"),
        extra=extra,
        headers=headers,
    )


# Reasons whose HTTP status says more than their gRPC code's.
_STATUS_BY_REASON = {"PAYMENT_DECLINED": 402, "CARD_DECLINED": 402, "TOO_MANY_HOLDS": 429}


def from_rpc_error(err: grpc.aio.AioRpcError) -> ProblemDetailsException:
    status = _HTTP_STATUS.get(err.code(), 502)
    reason, errors, ours = rpc_error_info(err)
    if not ours and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
        # gRPC's own size limits (a message or its metadata too large), not a rate limit
        return problem(413, "request too large", code="REQUEST_TOO_LARGE", detail="a value in the request is too large")
    if not ours and status < 500:  # the gRPC library's words are internals: say only the status
        return problem(status, HTTPStatus(status).phrase, code=reason, detail=HTTPStatus(status).description)
    if status >= 500:
        return problem(
            status,
            "upstream service unavailable",
            code="UPSTREAM_UNAVAILABLE",
            detail="a service the request needs did not answer; retry later",
            headers={"Retry-After": "5"},
        )
    status = _STATUS_BY_REASON.get(reason, status)
    return problem(status, HTTPStatus(status).phrase, code=reason, detail=err.details() or "", errors=errors)


def from_domain_error(exc: DomainError) -> ProblemDetailsException:
    """The gateway's own refusals (kit errors), shaped like an upstream's."""
    status = _STATUS_BY_REASON.get(exc.reason, _HTTP_STATUS.get(exc.code, 500))
    errors = [{"field": v.field, "detail": v.description} for v in getattr(exc, "violations", [])]
    headers = {"Retry-After": "5"} if status == 503 else None
    return problem(
        status, HTTPStatus(status).phrase, code=exc.reason, detail=exc.message, errors=errors, headers=headers
    )


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_AT_PATH = re.compile(r" - at `\$(?:\.)?([^`]*)`")


def _field_of(item: dict[str, Any]) -> str:
    """The body field a validation message is about, in the API's dotted names: msgspec says
    where (`- at `$.client``) and which unknown field; Litestar's `key` is the parameter name
    (`data` for the body)."""
    message = str(item.get("message", ""))
    key = str(item.get("key") or item.get("source") or "")
    where = _AT_PATH.search(message)
    path = where.group(1).replace("$", "") if where else ("" if key == "data" else key)
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
    return path or key


def _validation_problem(exc: ValidationException) -> ProblemDetailsException:
    errors = [
        {"field": _field_of(item), "detail": str(item.get("message", ""))}
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    # Litestar's detail names the method and the whole path, which may be anything the caller sent
    detail = "the request has invalid fields" if errors else "the request is not valid"
    return problem(400, "the request is not valid", code="INVALID_REQUEST", detail=detail, errors=errors)


_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "BODY_TOO_LARGE", 429: "RATE_LIMITED"}


def _http_problem(exc: HTTPException) -> ProblemDetailsException:
    code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    return problem(exc.status_code, str(exc.detail), code=code, headers=exc.headers)


def _unexpected_problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unforeseen: logged with its trace, answered as a problem without internals."""
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "internal error", code="INTERNAL").to_response(request)


def _rpc_problem_response(request: Request[Any, Any, Any], exc: grpc.aio.AioRpcError) -> Response[Any]:
    if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL):
        log.warning("upstream call failed on %s: %s %s", request.url.path, exc.code().name, exc.details() or "")
    return from_rpc_error(exc).to_response(request)


def _domain_problem_response(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return from_domain_error(exc).to_response(request)


PROBLEM_CONFIG = ProblemDetailsConfig(
    enable_for_all_http_exceptions=True,
    exception_to_problem_detail_map={ValidationException: _validation_problem, HTTPException: _http_problem},
)

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    grpc.aio.AioRpcError: _rpc_problem_response,
    DomainError: _domain_problem_response,
    Exception: _unexpected_problem_response,
}
