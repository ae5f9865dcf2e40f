"""Money taken through the `PaymentProvider`, shared by payments and deposits.

Online payments and deposits are charged before the record is written: the provider call
never holds a database transaction open. The request_id is required for them and is the
charge's idempotency key, so a retried request charges once (the provider returns the first
charge for the key) and records once (run_idempotent). If the record can no longer be
written (a concurrent payment took the balance), the charge is refunded with a derived
idempotency key before the error is returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook_billing.application.common import SOURCE, Unavailable, precondition
from shutterbook_billing.domain.money import PaymentRefused, check_currency, check_positive_amount
from shutterbook_billing.domain.payments import Charge, PaymentDeclined, PaymentProvider, ProviderUnavailable
from shutterbook_billing.storage.requests import is_recorded
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError, FieldViolation, InvalidArgument, Violations
from shutterbook_kit.idempotency import run_idempotent
from shutterbook_kit.uow import UnitOfWork

R = TypeVar("R", bound=Message)

METHODS = {
    billing_pb2.PAYMENT_METHOD_CASH: "CASH",
    billing_pb2.PAYMENT_METHOD_CHECK: "CHECK",
    billing_pb2.PAYMENT_METHOD_CARD: "CARD",
    billing_pb2.PAYMENT_METHOD_ONLINE: "ONLINE",
    billing_pb2.PAYMENT_METHOD_DEPOSIT: "DEPOSIT",
}
METHOD_ENUM = {v: k for k, v in METHODS.items()}


def refused(exc: PaymentRefused, field: str) -> DomainError:
    if exc.reason == "AMOUNT_NOT_POSITIVE":
        return InvalidArgument(str(exc), violations=[], reason=exc.reason, metadata={"field": field})
    return precondition(field, exc.reason, f"{field} {exc}")


def currency_mismatch(field: str, expected: str, whose: str = "the invoice's currency") -> InvalidArgument:
    return InvalidArgument(
        "currency mismatch",
        violations=[FieldViolation(field, f"must be {whose} {expected}")],
        reason="CURRENCY_MISMATCH",
        metadata={"field": field},
    )


def check_money_taken(
    prefix: str, amount: money_pb2.Money, method: int, note: str, token: str, request_id: str, v: Violations
) -> str:
    """Check the fields a payment and a deposit share (under `prefix`); the method's name."""
    check_currency(amount.currency_code, f"{prefix}.amount.currency_code", v)
    check_positive_amount(amount.amount_minor, f"{prefix}.amount.amount_minor", v)
    name = check_method(method, f"{prefix}.method", v)
    check_online(name, token, request_id, v)
    if len(note) > 500:
        v.add(f"{prefix}.note", "must be at most 500 characters")
    return name


def check_method(method: int, field: str, v: Violations) -> str:
    name = METHODS.get(method)  # type: ignore[call-overload]
    if name is None:
        v.add(field, "is required: CASH, CHECK, CARD or ONLINE")
        return ""
    if name == "DEPOSIT":
        v.add(field, "DEPOSIT payments are made with ApplyDeposit")
        return ""
    return str(name)


def check_online(method: str, token: str, request_id: str, v: Violations) -> None:
    if method == "ONLINE":
        if not token:
            v.add("payment_token", "is required for online payments")
        if not request_id:
            v.add("request_id", "is required for online payments (it is the charge's idempotency key)")
    elif token:
        v.add("payment_token", "is only for online payments")


@dataclass(frozen=True)
class Attempt:
    """A request that may move money: its idempotency scope and request_id, and the provider's
    idempotency key made of them."""

    db: Database
    company_id: str
    scope: str
    request_id: str

    @property
    def key(self) -> str:
        return f"{self.company_id}:{self.scope}:{self.request_id}"

    async def is_retry(self) -> bool:
        """True when this request_id already has a stored result (a retry: replay, charge nothing)."""
        if not self.request_id:
            return False
        async with UnitOfWork(self.db, readonly=True) as uow:
            return await is_recorded(uow.session, self.company_id, self.scope, self.request_id)


async def charge(
    provider: PaymentProvider, key: str, token: str, amount: int, currency: str, description: str
) -> Charge:
    try:
        return await provider.charge(
            idempotency_key=key, token=token, amount_minor=amount, currency_code=currency, description=description
        )
    except PaymentDeclined as exc:
        raise precondition("payment_token", "CARD_DECLINED", f"the card was declined: {exc}") from exc
    except ProviderUnavailable as exc:
        raise Unavailable(f"payment provider unavailable, retry with the same request_id: {exc}") from exc


async def record_charged(
    attempt: Attempt,
    provider: PaymentProvider,
    taken: Charge | None,
    request: Message,
    work: Callable[[UnitOfWork], Awaitable[R]],
    response_type: type[R],
) -> R:
    """Record what was charged once per request_id (run_idempotent), or refund the charge."""

    async def run() -> R:
        return await run_idempotent(
            attempt.db,
            company_id=attempt.company_id,
            scope=attempt.scope,
            request=request,
            request_id=attempt.request_id,
            response_type=response_type,
            work=work,
            source=SOURCE,
        )

    return await record_or_refund(provider, taken, attempt.key, run)


async def record_or_refund(
    provider: PaymentProvider,
    taken: Charge | None,
    key: str,
    run: Callable[[], Awaitable[R]],
) -> R:
    """Write the record of a charge; if that is refused, give the money back first."""
    try:
        return await run()
    except DomainError:
        if taken is not None:
            try:
                await provider.refund(
                    idempotency_key=f"{key}:reversal", charge_id=taken.charge_id, amount_minor=taken.amount_minor
                )
            except (PaymentDeclined, ProviderUnavailable) as exc:  # pragma: no cover - sandbox always refunds
                raise Unavailable(f"charge {taken.charge_id} could not be reversed yet: {exc}") from exc
        raise
