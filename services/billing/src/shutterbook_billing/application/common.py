"""Helpers shared by the billing use cases: money messages, times, errors naming a field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import money_pb2
from shutterbook_kit.errors import DomainError, FailedPrecondition

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


def precondition(field: str, reason: str, message: str) -> FailedPrecondition:
    """FAILED_PRECONDITION naming the field in its ErrorInfo metadata."""
    return FailedPrecondition(message, reason=reason, metadata={"field": field})


def id_of(name: str, collection: str) -> str:
    """The id of a well-formed name, without validation (for names this service wrote)."""
    return name.removeprefix(f"{collection}/")


@dataclass
class Unavailable(DomainError):
    """The payment provider could not answer; the same request_id may be retried."""

    reason: str = "PROVIDER_UNAVAILABLE"
    code = grpc.StatusCode.UNAVAILABLE
