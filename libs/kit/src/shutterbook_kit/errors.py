"""Domain errors, and their mapping to `google.rpc.Status`.

Application code raises these; the gRPC interceptor turns each into a status with one
`ErrorInfo` (UPPER_SNAKE reason, domain `shutterbook.dev`) and, for bad input, a
`BadRequest` with one field violation per bad field; a refused precondition may name what is
in the way (`PreconditionViolation`s, a `PreconditionFailure`). The gateway maps them to RFC
9457 problem bodies the same way. The errors carry plain data: the details are built here, at
the edge, never by the code that raises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

ERROR_DOMAIN = "shutterbook.dev"

# What an error may echo of the caller's input. A message, field description or metadata value
# travels in the `grpc-message` and `grpc-status-details-bin` trailers, which gRPC caps at
# 8-16 KB: an error echoing a 100 KB name would become RESOURCE_EXHAUSTED ("metadata size
# exceeds hard limit") at the caller instead of the intended status.
MAX_ECHO = 200
MAX_VIOLATIONS = 50


def bounded(text: str, limit: int = MAX_ECHO) -> str:
    """At most `limit` characters of `text` (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _pack(detail: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", bounded(self.field))
        object.__setattr__(self, "description", bounded(self.description))


@dataclass
class DomainError(Exception):
    """Base of every error a caller may see. `reason` is stable, UPPER_SNAKE."""

    message: str
    reason: str = "ERROR"
    metadata: dict[str, str] = field(default_factory=dict)

    code = grpc.StatusCode.UNKNOWN

    def __post_init__(self) -> None:
        self.message = bounded(self.message)
        self.metadata = {bounded(k, 64): bounded(v) for k, v in list(self.metadata.items())[:20]}
        super().__init__(self.message)

    def details(self) -> list[any_pb2.Any]:
        return [_pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=ERROR_DOMAIN, metadata=self.metadata))]

    def to_status(self) -> status_pb2.Status:
        return status_pb2.Status(code=self.code.value[0], message=self.message, details=self.details())


@dataclass
class InvalidArgument(DomainError):
    violations: list[FieldViolation] = field(default_factory=list)
    reason: str = "INVALID_ARGUMENT"
    code = grpc.StatusCode.INVALID_ARGUMENT

    def details(self) -> list[any_pb2.Any]:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in self.violations[:MAX_VIOLATIONS]
            ]
        )
        return [*super().details(), _pack(bad)]


T = TypeVar("T")


@dataclass
class NotFound(DomainError):
    reason: str = "NOT_FOUND"
    code = grpc.StatusCode.NOT_FOUND


def found(value: T | None, name: str) -> T:
    """`value`, or NOT_FOUND "`name` not found" when a lookup found nothing."""
    if value is None:
        raise NotFound(f"{name} not found")
    return value


@dataclass
class AlreadyExists(DomainError):
    reason: str = "ALREADY_EXISTS"
    code = grpc.StatusCode.ALREADY_EXISTS


@dataclass(frozen=True)
class PreconditionViolation:
    """One thing in the way of an operation (`google.rpc.PreconditionFailure.Violation`): its
    `type` (UPPER_SNAKE), the `subject` it is about (a resource name) and why."""

    type: str
    subject: str
    description: str


@dataclass
class FailedPrecondition(DomainError):
    """The operation is refused in the system's present state; `preconditions` name what is in
    the way: given (even empty: a check that looked and found nothing it can name), a
    `PreconditionFailure` detail follows the ErrorInfo; None, the ErrorInfo alone."""

    reason: str = "FAILED_PRECONDITION"
    preconditions: list[PreconditionViolation] | None = None
    code = grpc.StatusCode.FAILED_PRECONDITION

    def details(self) -> list[any_pb2.Any]:
        if self.preconditions is None:
            return super().details()
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=p.type, subject=p.subject, description=p.description
                )
                for p in self.preconditions
            ]
        )
        return [*super().details(), _pack(failure)]


@dataclass
class Aborted(DomainError):
    """A concurrent change won; the caller may retry the whole operation."""

    reason: str = "ABORTED"
    code = grpc.StatusCode.ABORTED


@dataclass
class Unavailable(DomainError):
    """A dependency outside the service (a payment network) did not answer; safe to retry."""

    reason: str = "UNAVAILABLE"
    code = grpc.StatusCode.UNAVAILABLE


@dataclass
class Unauthenticated(DomainError):
    reason: str = "UNAUTHENTICATED"
    code = grpc.StatusCode.UNAUTHENTICATED


@dataclass
class PermissionDenied(DomainError):
    """The caller is who it says, but its roles (or kind) do not allow this."""

    reason: str = "PERMISSION_DENIED"
    code = grpc.StatusCode.PERMISSION_DENIED


class Violations:
    """Collects field violations so a request reports every bad field at once."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field_path: str, description: str) -> None:
        self.items.append(FieldViolation(field_path, description))

    def raise_if_any(self, message: str = "the request has invalid fields") -> None:
        if self.items:
            raise InvalidArgument(message, violations=list(self.items))


def internal_status(message: str = "internal error") -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN)
    return status_pb2.Status(code=code_pb2.INTERNAL, message=bounded(message), details=[_pack(info)])
