"""Helpers shared by the billing use cases: money messages, times, errors naming a field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import grpc
from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import money_pb2
from shutterbook_billing.domain.money import within_refund_limit
from shutterbook_kit import tenancy
from shutterbook_kit.errors import DomainError, FailedPrecondition, NotFound, PermissionDenied

T = TypeVar("T")

SOURCE = "billing"
# Currency of an invoice with no lines when the caller names none (a zero session invoice).
DEFAULT_CURRENCY = "USD"


def money(currency_code: str, amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency_code, amount_minor=amount_minor)


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def from_timestamp(ts: timestamp_pb2.Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def found(row: T | None, name: str) -> T:
    """The row, or NOT_FOUND naming it (what another company's record answers too)."""
    if row is None:
        raise NotFound(f"{name} not found")
    return row


def precondition(field: str, reason: str, message: str) -> FailedPrecondition:
    """FAILED_PRECONDITION naming the field in its ErrorInfo metadata."""
    return FailedPrecondition(message, reason=reason, metadata={"field": field})


def check_refund_limit(limit_minor: int | None, refunded_before: int, amount: int, what: str) -> None:
    """PERMISSION_DENIED (`REFUND_LIMIT`) when a caller held to `limit_minor` (None: no limit)
    would take the refunds of `what` (an invoice's payments, a deposit) above it."""
    if limit_minor is None or within_refund_limit(refunded_before, amount, limit_minor):
        return
    raise PermissionDenied(
        f"the refunds of this {what} would come to {refunded_before + amount} minor units, above the"
        f" limit of {limit_minor} for your role; a manager can refund more",
        reason="REFUND_LIMIT",
        metadata={"limit_minor": str(limit_minor), "refunded_minor": str(refunded_before)},
    )


def location_visible(location_id: str) -> bool:
    """Whether the caller may see a record at `location_id`: callers scoped to locations see
    only theirs (and records at no location); everything else sees the whole company."""
    caller = tenancy.current_caller()
    return not location_id or caller is None or caller.may_see_location(location_id)


def visible_locations() -> frozenset[str] | None:
    """The locations the caller is scoped to, or None for every location."""
    caller = tenancy.current_caller()
    return None if caller is None else caller.location_ids


@dataclass
class Unavailable(DomainError):
    """The payment provider could not answer; the same request_id may be retried."""

    reason: str = "PROVIDER_UNAVAILABLE"
    code = grpc.StatusCode.UNAVAILABLE
