"""RFC 9457 problem details for every error the console's API returns (the gateway's shape:
`code`, and `errors: [{field, detail}]` naming the fields at fault)."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import grpc
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException
from litestar.types import ExceptionHandlersMap

from shutterbook_console.upstreams import UpstreamError
from shutterbook_kit.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://shutterbook.dev/problems/"

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}
# Reasons whose HTTP status says more than their gRPC code's.
STATUS_BY_REASON = {"LOGIN_FAILED": 401, "OIDC_LOGIN_FAILED": 401, "TOO_MANY_ATTEMPTS": 429}


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
    400: "The request is malformed (unknown or badly typed fields).",
    401: "Not logged in, or the email or password is not right.",
    403: "Not allowed: the CSRF token is missing or wrong, or the role does not allow it.",
    404: "No such resource in this company.",
    409: "A conflict: the email is taken, the last owner would go, or the link is spent.",
    422: "The request is well formed but not valid (see errors).",
    429: "Too many failed logins; see Retry-After.",
    503: "A service behind the console did not answer; try again.",
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


def problem(
    status: int,
    title: str,
    *,
    code: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemDetailsException:
    extra = {**(extra or {}), "code": code}
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


def conflict_problem(exc: UpstreamError) -> ProblemDetailsException:
    """A schedule conflict as a 409 listing what it conflicts with (`conflicts`)."""
    conflicts = [{"entry": c.entry, "detail": c.description} for c in exc.conflicts]
    return problem(
        409, "conflicts with another booking", code=exc.reason, detail=exc.message, extra={"conflicts": conflicts}
    )


def status_of(exc: DomainError) -> int:
    return STATUS_BY_REASON.get(exc.reason, _HTTP_STATUS.get(exc.code, 500))


def from_domain_error(exc: DomainError) -> ProblemDetailsException:
    status = status_of(exc)
    errors = [{"field": v.field, "detail": v.description} for v in getattr(exc, "violations", [])]
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return problem(
        status, HTTPStatus(status).phrase, code=exc.reason, detail=exc.message, errors=errors, headers=headers
    )


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_AT_PATH = re.compile(r" - at `\$(?:\.)?([^`]*)`")


def _field_of(item: dict[str, Any]) -> str:
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
    return problem(400, "the request is not valid", code="INVALID_REQUEST", detail=str(exc.detail), errors=errors)


def _http_problem(exc: HTTPException) -> ProblemDetailsException:
    if exc.status_code == 403 and "CSRF" in str(exc.detail):
        return problem(
            403,
            "CSRF token missing or wrong",
            code="CSRF_FAILED",
            detail="send the value of the sb_console_csrf cookie in the x-csrf-token header (forms: _csrf_token)",
        )
    return problem(exc.status_code, str(exc.detail), code=f"HTTP_{exc.status_code}", headers=exc.headers)


def _unexpected_problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "internal error", code="INTERNAL").to_response(request)


def _forbidden_response(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    """A page's form refused by the CSRF check (a stale tab, cookies cleared) gets a page that
    says what to do; the API gets its problem body."""
    if not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", ""):
        from litestar.response import Template

        return Template(
            "message.html",
            context={
                "title": "Please try again",
                "message": "This form had expired, so nothing was sent. Open the page again and repeat what you did.",
                "link": request.url.path if request.url.path != "/logout" else "/",
                "link_label": "Open the page again",
            },
            status_code=403,
        )
    return _http_problem(exc).to_response(request)


def _domain_problem_response(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return from_domain_error(exc).to_response(request)


PROBLEM_CONFIG = ProblemDetailsConfig(
    enable_for_all_http_exceptions=True,
    exception_to_problem_detail_map={ValidationException: _validation_problem, HTTPException: _http_problem},
)

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: _domain_problem_response,
    PermissionDeniedException: _forbidden_response,
    Exception: _unexpected_problem_response,
}
