"""Use cases: customer deposits, and refunds of what a deposit still holds (applying a
deposit to an invoice is a payment: `payments.apply_deposit`). Online deposits are charged
through the provider as `charges` describes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook_billing import events
from shutterbook_billing.application import charges
from shutterbook_billing.application.common import (
    SOURCE,
    Unavailable,
    check_refund_limit,
    found,
    money,
    precondition,
    timestamp,
)
from shutterbook_billing.domain.money import MAX_AMOUNT_MINOR, check_currency
from shutterbook_billing.domain.payments import Charge, PaymentDeclined, PaymentProvider, ProviderUnavailable
from shutterbook_billing.storage.deposits import DepositRepository
from shutterbook_billing.storage.models import DepositRefundRow, DepositRow
from shutterbook_kit import audit
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound, Violations
from shutterbook_kit.idempotency import request_fingerprint, run_idempotent, stored_response, validate_request_id
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


def deposit_to_proto(row: DepositRow) -> billing_pb2.Deposit:
    return billing_pb2.Deposit(
        name=f"deposits/{row.id}",
        client=f"clients/{row.client_id}",
        amount=money(row.currency_code, row.amount_minor),
        method=charges.METHOD_ENUM[row.method],
        amount_applied=money(row.currency_code, row.applied_minor),
        amount_refunded=money(row.currency_code, row.refunded_minor),
        balance=money(row.currency_code, deposit_balance(row)),
        provider_charge_id=row.provider_charge_id,
        session=f"sessions/{row.session_id}" if row.session_id else "",
        note=row.note,
        create_time=timestamp(row.created_at),
    )


def deposit_balance(row: DepositRow) -> int:
    """What a deposit still holds: neither applied to invoices nor refunded (nor reserved for a refund)."""
    return row.amount_minor - row.applied_minor - row.refunded_minor


async def deposit_for_update(uow: UnitOfWork, company_id: str, deposit_id: str, name: str) -> DepositRow:
    return found(await DepositRepository(uow.session).get(company_id, deposit_id, for_update=True), name)


async def create_deposit(
    db: Database, provider: PaymentProvider, company_id: str, request: billing_pb2.CreateDepositRequest
) -> billing_pb2.Deposit:
    d = request.deposit
    v = Violations()
    validate_request_id(request.request_id, v)
    client_id = parse_reference(d.client, "clients", field="deposit.client", violations=v)
    session_id = parse_reference(d.session, "sessions", field="deposit.session", violations=v, required=False)
    method = charges.check_money_taken(
        "deposit", d.amount, d.method, d.note, request.payment_token, request.request_id, v
    )
    v.raise_if_any()
    attempt = charges.Attempt(db, company_id, "CreateDeposit", request.request_id)
    charge: Charge | None = None
    if method == "ONLINE" and not await attempt.is_retry():
        charge = await charges.charge(
            provider,
            attempt.key,
            request.payment_token,
            d.amount.amount_minor,
            d.amount.currency_code,
            f"deposit {d.client}",
        )

    async def work(uow: UnitOfWork) -> billing_pb2.Deposit:
        assert client_id is not None
        row = DepositRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            client_id=client_id,
            currency_code=d.amount.currency_code,
            amount_minor=d.amount.amount_minor,
            applied_minor=0,
            refunded_minor=0,
            method=method,
            provider_charge_id=charge.charge_id if charge else "",
            session_id=session_id,
            note=d.note,
            created_at=utcnow(),
        )
        await DepositRepository(uow.session).insert(row)
        deposit = deposit_to_proto(row)
        uow.emit(events.DEPOSIT_CREATED, company_id, events_pb2.DepositCreatedEvent(deposit=deposit))
        uow.audit(company_id, deposit.name, "created", after=deposit)
        return deposit

    return await charges.record_charged(attempt, provider, charge, request, work, billing_pb2.Deposit)


async def get_deposit(db: Database, company_id: str, name: str) -> billing_pb2.Deposit:
    deposit_id = parse_name(name, "deposits")
    async with UnitOfWork(db, readonly=True) as uow:
        row = found(await DepositRepository(uow.session).get(company_id, deposit_id), name)
    return deposit_to_proto(row)


async def list_deposits(
    db: Database, company_id: str, request: billing_pb2.ListDepositsRequest
) -> billing_pb2.ListDepositsResponse:
    v = Violations()
    client_id = parse_reference(request.client, "clients", field="client", violations=v, required=False)
    v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        page = await DepositRepository(uow.session).page(company_id, client_id, request.page_size, request.page_token)
    return billing_pb2.ListDepositsResponse(
        deposits=[deposit_to_proto(r) for r in page.items], next_page_token=page.next_page_token
    )


# --- RefundDeposit -----------------------------------------------------------------------------
#
# Only a deposit's balance (neither applied nor refunded) can go back to the client. Other
# methods are recorded in one transaction. An online refund moves money at the provider,
# which cannot be taken back, so it is reserved first: under the deposit's row lock (the
# lock ApplyDeposit takes) the amount is added to `refunded_minor` and a PENDING refund row
# keyed by the request_id is written; then the provider is called outside any transaction
# with the request's idempotency key; then the row is marked DONE with the event and the
# stored response. A declined refund releases the reservation; an unreachable provider
# leaves it reserved (the provider may have refunded) until a retry with the same request_id
# finishes it, and the provider's ledger makes that retry refund once.

_REFUND_PENDING = "PENDING"
_REFUND_DONE = "DONE"
_REFUND_SCOPE = "RefundDeposit"


def _check_refund_deposit_request(request: billing_pb2.RefundDepositRequest) -> None:
    v = Violations()
    validate_request_id(request.request_id, v)
    amount = request.amount
    if amount.amount_minor < 0:
        v.add("amount.amount_minor", "must not be negative (zero or unset: all of the balance)")
    elif amount.amount_minor > MAX_AMOUNT_MINOR:
        v.add("amount.amount_minor", f"must be at most {MAX_AMOUNT_MINOR}")
    if amount.amount_minor or amount.currency_code:
        check_currency(amount.currency_code, "amount.currency_code", v)
    if len(request.reason) > 500:
        v.add("reason", "must be at most 500 characters")
    v.raise_if_any()


def _deposit_refund_amount(
    deposit: DepositRow, request: billing_pb2.RefundDepositRequest, limit_minor: int | None
) -> int:
    """How much this request refunds of the deposit (under its row lock), or why it cannot
    (`limit_minor`: the caller's limit on the deposit's refunds together, reserved ones too)."""
    balance = deposit_balance(deposit)
    if balance == 0:
        raise precondition(
            "name", "DEPOSIT_NOTHING_TO_REFUND", "the deposit holds nothing to refund: it was all applied or refunded"
        )
    if request.amount.currency_code and request.amount.currency_code != deposit.currency_code:
        raise charges.currency_mismatch("amount.currency_code", deposit.currency_code, whose="the deposit's")
    amount = request.amount.amount_minor or balance
    if amount > balance:
        raise InvalidArgument(
            f"amount is above the deposit's balance ({balance})",
            violations=[FieldViolation("amount", f"must be at most the deposit's balance {balance}")],
            reason="REFUND_ABOVE_DEPOSIT_BALANCE",
            metadata={"field": "amount"},
        )
    check_refund_limit(limit_minor, deposit.refunded_minor, amount, "deposit")
    return amount


def _emit_deposit_refunded(
    uow: UnitOfWork, company_id: str, deposit: DepositRow, refund: DepositRefundRow
) -> billing_pb2.Deposit:
    deposit_msg = deposit_to_proto(deposit)
    uow.emit(
        events.DEPOSIT_REFUNDED,
        company_id,
        events_pb2.DepositRefundedEvent(
            deposit=deposit_msg,
            refund_amount=money(deposit.currency_code, refund.amount_minor),
            reason=refund.reason,
            provider_refund_id=refund.provider_refund_id,
        ),
    )
    refunded = audit.added({"refund.amount_minor": refund.amount_minor, "refund.reason": refund.reason})
    uow.audit(company_id, deposit_msg.name, "refunded", changes=refunded)
    return deposit_msg


@dataclass(frozen=True)
class _Reservation:
    """An online refund's amount, reserved on the deposit under the request's refund row."""

    refund_id: str
    amount: int
    charge_id: str
    done: bool
    provider_refund_id: str


@dataclass(frozen=True)
class _DepositRefund:
    """The steps of one RefundDeposit request."""

    db: Database
    company_id: str
    deposit_id: str
    request: billing_pb2.RefundDepositRequest
    fingerprint: str
    limit_minor: int | None = None

    @property
    def request_id(self) -> str:
        return self.request.request_id

    async def replay(self) -> billing_pb2.Deposit | None:
        """The stored response of an earlier try with this request_id, if any."""
        if not self.request_id:
            return None
        return await stored_response(
            self.db, self.company_id, _REFUND_SCOPE, self.request_id, self.fingerprint, billing_pb2.Deposit
        )

    async def method(self) -> str:
        async with UnitOfWork(self.db, readonly=True) as uow:
            method = await DepositRepository(uow.session).method_of(self.company_id, self.deposit_id)
        if method is None:
            raise NotFound(f"{self.request.name} not found")
        return method

    def new_refund(self, deposit: DepositRow, status: str) -> DepositRefundRow:
        """A refund row of the amount this request takes from the deposit (under its row lock)."""
        return DepositRefundRow(
            id=str(uuid.uuid4()),
            company_id=self.company_id,
            deposit_id=deposit.id,
            amount_minor=_deposit_refund_amount(deposit, self.request, self.limit_minor),
            reason=self.request.reason,
            status=status,
            request_id=self.request_id or None,
            request_hash=self.fingerprint,
            provider_refund_id="",
            created_at=utcnow(),
            completed_at=utcnow() if status == _REFUND_DONE else None,
        )

    async def locked_deposit(self, uow: UnitOfWork) -> DepositRow:
        return await deposit_for_update(uow, self.company_id, self.deposit_id, self.request.name)

    async def run(self, work: Callable[[UnitOfWork], Awaitable[billing_pb2.Deposit]]) -> billing_pb2.Deposit:
        return await run_idempotent(
            self.db,
            company_id=self.company_id,
            scope=_REFUND_SCOPE,
            request=self.request,
            request_id=self.request_id,
            response_type=billing_pb2.Deposit,
            work=work,
            source=SOURCE,
        )

    async def record(self, uow: UnitOfWork) -> billing_pb2.Deposit:
        """A refund that moves no money at the provider, in one transaction."""
        deposit = await self.locked_deposit(uow)
        refund = self.new_refund(deposit, _REFUND_DONE)
        deposit.refunded_minor += refund.amount_minor
        await DepositRepository(uow.session).insert(refund)
        return _emit_deposit_refunded(uow, self.company_id, deposit, refund)

    async def reserve(self) -> _Reservation | billing_pb2.Deposit:
        """Reserve the amount on the deposit (or find this request's reservation from an earlier
        try); the response of a concurrent twin that reserved first, when it has one."""
        if not self.request_id:
            raise InvalidArgument(
                "request_id is required",
                violations=[
                    FieldViolation("request_id", "is required to refund an online deposit (it keys the refund)")
                ],
            )
        try:
            async with UnitOfWork(self.db, source=SOURCE) as uow:
                deposit = await self.locked_deposit(uow)
                deposits = DepositRepository(uow.session)
                refund = await deposits.refund_of_request(self.company_id, self.request_id)
                if refund is None:
                    refund = self.new_refund(deposit, _REFUND_PENDING)
                    deposit.refunded_minor += refund.amount_minor
                    await deposits.insert(refund)
                    await uow.commit()
                elif refund.request_hash != self.fingerprint:
                    raise InvalidArgument(
                        "request_id was already used with a different request",
                        reason="REQUEST_ID_REUSED",
                        violations=[],
                    )
                return _Reservation(
                    refund_id=refund.id,
                    amount=refund.amount_minor,
                    charge_id=deposit.provider_charge_id,
                    done=refund.status == _REFUND_DONE,
                    provider_refund_id=refund.provider_refund_id,
                )
        except IntegrityError:
            # a concurrent twin with this request_id reserved first: it refunds, or a retry finishes it
            replay = await self.replay()
            if replay is not None:
                return replay
            raise Unavailable("the same refund is in progress; retry with the same request_id") from None

    async def refund_at_provider(self, provider: PaymentProvider, reserved: _Reservation) -> str:
        """The provider's refund id, outside any transaction; the request's idempotency key makes
        a retry refund once. A declined refund releases the reservation."""
        if reserved.done:  # a concurrent twin finished it between our replay check and here
            return reserved.provider_refund_id
        key = f"{self.company_id}:{_REFUND_SCOPE}:{self.request_id}"
        try:
            refund = await provider.refund(
                idempotency_key=key, charge_id=reserved.charge_id, amount_minor=reserved.amount
            )
        except PaymentDeclined as exc:
            await self.release(reserved)
            raise precondition("name", "REFUND_REFUSED", f"the provider refused the refund: {exc}") from exc
        except ProviderUnavailable as exc:
            raise Unavailable(
                f"payment provider unavailable; the amount stays reserved, retry with the same request_id: {exc}"
            ) from exc
        return refund.refund_id

    async def release(self, reserved: _Reservation) -> None:
        async with UnitOfWork(self.db, source=SOURCE) as uow:
            deposit = await self.locked_deposit(uow)
            deposits = DepositRepository(uow.session)
            refund = await deposits.refund(reserved.refund_id)
            if refund is not None and refund.status == _REFUND_PENDING:
                deposit.refunded_minor -= refund.amount_minor
                await deposits.remove_refund(refund)
                await uow.commit()

    def complete(
        self, reserved: _Reservation, provider_refund_id: str
    ) -> Callable[[UnitOfWork], Awaitable[billing_pb2.Deposit]]:
        """The work that records the refund as done, with its event (its response is stored for retries)."""

        async def work(uow: UnitOfWork) -> billing_pb2.Deposit:
            deposit = await self.locked_deposit(uow)
            deposits = DepositRepository(uow.session)
            refund = await deposits.refund(reserved.refund_id)
            if refund is None:  # pragma: no cover - a reserved refund row is only removed when declined
                raise NotFound(f"refund of {self.request.name} not found")
            if refund.status == _REFUND_DONE:  # a concurrent twin finished it; its response is replayed
                return deposit_to_proto(deposit)
            refund.status = _REFUND_DONE
            refund.provider_refund_id = provider_refund_id
            refund.completed_at = utcnow()
            await deposits.save()
            return _emit_deposit_refunded(uow, self.company_id, deposit, refund)

        return work


async def refund_deposit(
    db: Database,
    provider: PaymentProvider,
    company_id: str,
    request: billing_pb2.RefundDepositRequest,
    *,
    limit_minor: int | None = None,
) -> billing_pb2.Deposit:
    """`limit_minor`: the caller may refund at most this much of the deposit, all its refunds
    together (None: no limit)."""
    deposit_id = parse_name(request.name, "deposits")
    _check_refund_deposit_request(request)
    steps = _DepositRefund(db, company_id, deposit_id, request, request_fingerprint(request), limit_minor)
    replay = await steps.replay()
    if replay is not None:
        return replay
    if await steps.method() != "ONLINE":
        return await steps.run(steps.record)
    reserved = await steps.reserve()
    if isinstance(reserved, billing_pb2.Deposit):
        return reserved
    provider_refund_id = await steps.refund_at_provider(provider, reserved)
    return await steps.run(steps.complete(reserved, provider_refund_id))
