"""Settling bookings a saga could not finish: a refusal after money moved, a service that gave
no answer, a gateway that died mid-saga.

A booking that takes no payment has no hold: it books its slot in one call, under the id the
gateway gave it, and is settled by looking that booking up (`_settle_unheld`). Otherwise the
hold decides. Releasing it (with the booking's own request_id, so every settle asks the same
question) either finds it turned into a booking - the booking stands, it was paid before it was
confirmed - or makes sure it never will be: then every charge the booking made is refunded and
its invoice voided, visibly in billing. A booking is settled by the request that ran it when it
can, else by the recovery loop of any gateway replica once its lease has run out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import grpc
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import class_mapper

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_gateway.application import idempotency_keys as keys
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.application.booking_events import SOURCE, Pending, booking_details, pending, read_parts
from shutterbook_gateway.application.idempotency_keys import Keeping
from shutterbook_gateway.domain.booking import OPEN_STATES, PaymentKind, SagaState, step_id
from shutterbook_gateway.settings import RecoverySettings
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Unavailable
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork, write_in_one

log = logging.getLogger(__name__)

REFUND_REASON = "online booking not completed"


async def save(
    db: Database,
    row: OnlineBookingRow,
    *,
    event: Pending | None = None,
    also: Callable[[UnitOfWork], Awaitable[None]] | None = None,
    **changes: object,
) -> None:
    """Write a booking's progress (and keep the in-memory row in step); `event` goes to the
    outbox in the same commit, and `also` writes there what else belongs to it (run after the
    row took `changes`)."""
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    async with UnitOfWork(db, source=SOURCE) as uow:
        # the stored row made the in-memory one, column for column (what merge() did, without
        # its SELECT first); merge() only for a row not stored yet
        values = _values(row)
        written = await uow.session.execute(_SAVE, {"row_id": row.id, **values})
        if written.rowcount != 1:  # type: ignore[attr-defined]
            await uow.session.merge(row)
        if event is not None:
            event.write(uow)
        if also is not None:
            await also(uow)
        await uow.commit()


async def save_confirmed(db: Database, row: OnlineBookingRow, event: Pending, keeping: Keeping | None) -> None:
    """The booking CONFIRMED, its event and (`keeping`) the caller's answer kept for its key, in
    one commit: on PostgreSQL one autocommit statement (kit `write_in_one`: the record's UPDATE,
    the key's, the outbox row; one round trip for five), else, and for a record not stored,
    `save`'s unit of work. `keeping.claimed.kept` is set once it committed."""
    if not db.is_sqlite:
        row.state, row.last_error, row.updated_at = SagaState.CONFIRMED, "", utcnow()
        params = {"row_id": row.id, **_values(row)}
        ctes, types = _SAVE_CTE, _SAVE_TYPES
        if keeping is not None:
            ctes, types = f"{ctes}, {keys.KEEP_CTE}", types | keys.KEEP_TYPES
            params |= keeping.params()
        events = [event.outbox_row()]
        if await write_in_one(db, ctes, params, types=types, events=events, companies=frozenset({row.company_id})):
            if keeping is not None:
                keeping.claimed.kept = keeping.answer
            return

    async def keep(uow: UnitOfWork) -> None:
        if keeping is not None:
            await keys.keep(uow, keeping.claimed, keeping.answer)

    await save(db, row, state=SagaState.CONFIRMED, last_error="", event=event, also=keep)
    if keeping is not None:
        keeping.claimed.kept = keeping.answer


async def record(db: Database, row: OnlineBookingRow) -> None:
    """The booking's first write (its record, before anything can book or take money);
    IntegrityError when the request id's booking exists. On PostgreSQL its one INSERT in
    autocommit (it stands alone: no BEGIN and COMMIT around it)."""
    if db.is_sqlite:
        async with UnitOfWork(db, source=SOURCE) as uow:
            uow.session.add(row)
            await uow.commit()
        return
    async with db.autocommit() as conn:
        await conn.execute(_RECORD, {"id": row.id, **{key: getattr(row, key) for key in _COLUMNS}})


_COLUMNS = [attr.key for attr in class_mapper(OnlineBookingRow).column_attrs if attr.key != "id"]


def _values(row: OnlineBookingRow) -> dict[str, Any]:
    """The row's columns but its id as `_SAVE`'s and `_SAVE_CTE`'s parameters (`v_{column}`)."""
    return {f"v_{key}": getattr(row, key) for key in _COLUMNS}


# `save`'s UPDATE, built once (about 25 columns: building it cost more than running it), on the
# table (a Core UPDATE); parameters not named as columns (SQLAlchemy reserves those)
_TABLE = OnlineBookingRow.metadata.tables[OnlineBookingRow.__tablename__]
_SAVE = (
    update(_TABLE).where(_TABLE.c.id == bindparam("row_id")).values({key: bindparam(f"v_{key}") for key in _COLUMNS})
)
_RECORD = insert(_TABLE)  # `record`'s INSERT: every column, given
# `save`'s UPDATE as the `effect` of `save_confirmed`'s one statement (a row returned: stored)
_SAVE_CTE = (
    f'effect AS (UPDATE "{_TABLE.name}" SET '
    + ", ".join(f'"{_TABLE.c[key].name}" = :v_{key}' for key in _COLUMNS)
    + " WHERE id = :row_id RETURNING id)"
)
_SAVE_TYPES: dict[str, Any] = {f"v_{key}": _TABLE.c[key].type for key in _COLUMNS}


async def settle(
    db: Database,
    up: Upstreams,
    partner: Partner,
    row: OnlineBookingRow,
    *,
    best_effort: bool = False,
    announce: bool = False,
) -> OnlineBookingRow:
    """Bring an unfinished booking to CONFIRMED, FAILED or REFUNDED. With `best_effort`, a
    service that does not answer leaves it as it is (for recovery) instead of raising. The
    gateway settles as itself, not as the key (a booking page's key may not refund).
    `announce` (the recovery loop: the request that ran the saga is gone): a booking found
    confirmed gets its `gateway.booking.confirmed` in the same commit, without a manage link
    (only that request knew the token); a saga still running writes its own."""
    md = partner.settling().metadata()
    if not row.hold:
        return await _settle_unheld(db, up, partner, row, best_effort=best_effort, announce=announce)
    try:
        hold = await up.online.ReleaseHold(
            opb.ReleaseHoldRequest(name=row.hold, request_id=step_id(row.request_id, "release")),
            metadata=md,
            timeout=up.deadlines.call,
        )
        if hold.state == opb.SLOT_HOLD_STATE_BOOKED:
            event = pending("confirmed", row, await read_parts(up, partner, row), "") if announce else None
            await save(db, row, state=SagaState.CONFIRMED, last_error="", event=event)
            return row
        refunded = await _refund_all(up, md, row)
    except grpc.aio.AioRpcError as err:
        await save(db, row, last_error=f"settle: {err.code().name} {err.details() or ''}"[:500])
        if best_effort:
            return row
        raise
    await save(db, row, state=SagaState.REFUNDED if refunded else SagaState.FAILED)
    return row


async def _settle_unheld(
    db: Database, up: Upstreams, partner: Partner, row: OnlineBookingRow, *, best_effort: bool, announce: bool
) -> OnlineBookingRow:
    """A booking with no hold (it takes no payment: it books its slot in one call, under its
    own id) is confirmed when scheduling has it. Not having it means it failed only once no
    call booking it can still commit: its lease run out, which outlasts every deadline of its
    run, and the saga ends its BookOnline's deadline (which scheduling keeps: kit grpc_server)
    `UNHELD_GRACE` before the lease, or moves the lease past it when that call got no answer.
    Before that, the outcome is unknown: it stays as it is (for the request's retry or for
    recovery). `row.lease_until` is the lease of the run that may still be booking it: the
    recovery loop's claim moves the stored lease, not the row it settles."""
    try:
        found = await booking_details(up, partner.settling(), row)
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.NOT_FOUND:
            await save(db, row, last_error=f"settle: {err.code().name} {err.details() or ''}"[:500])
            if best_effort:
                return row
            raise
        if row.lease_until > utcnow():
            if best_effort:
                return row
            raise Unavailable(
                "this booking is still being settled; retry later with the same Idempotency-Key",
                reason="BOOKING_NOT_COMPLETED",
            ) from err
        await save(db, row, state=SagaState.FAILED)
        return row
    event = pending("confirmed", row, await read_parts(up, partner, row, found), "") if announce else None
    await save(db, row, state=SagaState.CONFIRMED, last_error="", event=event)
    return row


async def _refund_all(up: Upstreams, md: tuple[tuple[str, str], ...], row: OnlineBookingRow) -> bool:
    """Refund whatever this booking charged; True when something was refunded."""
    if row.payment_kind == PaymentKind.INVOICE:
        return await _refund_invoice(up, md, row)
    if row.payment_kind == PaymentKind.DEPOSIT:
        return await _refund_deposits(up, md, row)
    return False


async def _refund_invoice(up: Upstreams, md: tuple[tuple[str, str], ...], row: OnlineBookingRow) -> bool:
    invoice = row.invoice
    if not invoice:  # the invoice may exist though its creation got no answer
        found = await up.billing.ListInvoices(
            billing_pb2.ListInvoicesRequest(session=f"sessions/{row.id}", page_size=10),
            metadata=md,
            timeout=up.deadlines.call,
        )
        if not found.invoices:
            return False
        invoice = found.invoices[0].name
    payments = await up.billing.ListPayments(
        billing_pb2.ListPaymentsRequest(invoice=invoice, page_size=1000), metadata=md, timeout=up.deadlines.call
    )
    refunded = False
    for payment in payments.payments:
        left = payment.amount.amount_minor - payment.amount_refunded.amount_minor
        if left <= 0:
            continue
        amount = money_pb2.Money(currency_code=payment.amount.currency_code, amount_minor=left)
        await up.billing.RefundPayment(
            billing_pb2.RefundPaymentRequest(
                name=payment.name,
                amount=amount,
                reason=REFUND_REASON,
                request_id=step_id(row.request_id, f"refund {payment.name}"),
            ),
            metadata=md,
            timeout=up.deadlines.call,
        )
        refunded = True
    try:
        await up.billing.VoidInvoice(
            billing_pb2.VoidInvoiceRequest(name=invoice, request_id=step_id(row.request_id, "void")),
            metadata=md,
            timeout=up.deadlines.call,
        )
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.FAILED_PRECONDITION:  # already void
            raise
    return refunded


async def _refund_deposits(up: Upstreams, md: tuple[tuple[str, str], ...], row: OnlineBookingRow) -> bool:
    refunded = False
    token = ""
    for _ in range(50):
        page = await up.billing.ListDeposits(
            billing_pb2.ListDepositsRequest(client=row.client, page_size=1000, page_token=token),
            metadata=md,
            timeout=up.deadlines.call,
        )
        for deposit in page.deposits:
            ours = deposit.note == deposit_note(row.id)
            if not ours or deposit.balance.amount_minor <= 0:
                continue
            await up.billing.RefundDeposit(
                billing_pb2.RefundDepositRequest(
                    name=deposit.name,
                    amount=deposit.balance,
                    reason=REFUND_REASON,
                    request_id=step_id(row.request_id, f"refund {deposit.name}"),
                ),
                metadata=md,
                timeout=up.deadlines.call,
            )
            refunded = True
        token = page.next_page_token
        if not token:
            break
    return refunded


def deposit_note(booking_id: str) -> str:
    """The note on a booking's deposit: how recovery finds it when its creation got no answer."""
    return f"online booking {booking_id}"


# --- the loop ----------------------------------------------------------------------------------


async def _move_lease(db: Database, row: OnlineBookingRow, until: datetime) -> bool:
    """The stored lease moved to `until` if it is still the one `row` has; false when another
    run or replica moved it first."""
    async with UnitOfWork(db) as uow:
        result = await uow.session.execute(
            update(OnlineBookingRow)
            .where(OnlineBookingRow.id == row.id, OnlineBookingRow.lease_until == row.lease_until)
            .values(lease_until=until)
        )
        await uow.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


async def extend_lease(db: Database, row: OnlineBookingRow, until: datetime) -> bool:
    """Keep the booking's run going until `until` (and `row` in step); false, nothing changed,
    when its lease ran out and recovery claimed it meanwhile (the run must then stop)."""
    if not await _move_lease(db, row, until):
        return False
    row.lease_until = until
    return True


async def _claim(db: Database, row: OnlineBookingRow, retry_after: timedelta) -> bool:
    """Take the booking for one settle attempt; false when another replica took it first. The
    claim moves the stored lease only: `row` keeps the lease that ran out (`_settle_unheld`
    decides on it)."""
    return await _move_lease(db, row, utcnow() + retry_after)


async def recover_due(db: Database, up: Upstreams, settings: RecoverySettings | None = None, limit: int = 50) -> int:
    """Settle the unfinished bookings whose lease ran out; returns how many were settled."""
    retry_after = (settings or RecoverySettings()).retry_after
    async with UnitOfWork(db, readonly=True) as uow:
        rows = (
            await uow.session.scalars(
                select(OnlineBookingRow)
                .where(
                    OnlineBookingRow.state.in_([s.value for s in OPEN_STATES]), OnlineBookingRow.lease_until < utcnow()
                )
                .order_by(OnlineBookingRow.lease_until)
                .limit(limit)
            )
        ).all()
    settled = 0
    for row in rows:
        if not await _claim(db, row, retry_after):
            continue
        partner = Partner(key_id=row.key_id, company_id=row.company_id, location_ids=(), service="gateway-recovery")
        try:
            await settle(db, up, partner, row, announce=True)
            settled += 1
        except grpc.aio.AioRpcError as err:
            log.warning("booking %s not settled yet: %s", row.id, err.code().name)
    return settled


async def run_recovery(db: Database, up: Upstreams, settings: RecoverySettings) -> None:
    """The gateway's background loop (every replica runs one; claims keep them apart)."""
    while True:
        try:
            await recover_due(db, up, settings)
        except Exception:  # the loop must outlive a database blip; the next round retries
            log.exception("booking recovery round failed")
        await asyncio.sleep(settings.interval_seconds)
