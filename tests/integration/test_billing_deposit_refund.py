"""RefundDeposit over gRPC on SQLite and PostgreSQL: all or part of a deposit's unapplied
balance goes back to the client (online deposits through the sandbox provider, once per
request_id), visibly (amount_refunded, balance, a `billing.deposit.refunded` event), never
more than the balance, not even when ApplyDeposit races it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable

import grpc
import pytest
from sqlalchemy import select

from shutterbook.billing.v1 import billing_pb2
from shutterbook.billing.v1 import events_pb2 as billing_events
from shutterbook.common.v1 import events_pb2, money_pb2
from shutterbook_billing.domain.payments import PaymentDeclined, ProviderUnavailable, Refund
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.uow import UnitOfWork
from tests.billing_support import (
    COMPANY_B,
    Billing,
    billing_service,
    create_invoice,
    error_field,
    free_line,
    md,
    new_client,
    usd,
)

CASH = billing_pb2.PAYMENT_METHOD_CASH
ONLINE = billing_pb2.PAYMENT_METHOD_ONLINE


async def deposit(b: Billing, client: str, amount: int, method: billing_pb2.PaymentMethod.ValueType = CASH) -> str:
    online = method == ONLINE
    made = await b.stub.CreateDeposit(
        billing_pb2.CreateDepositRequest(
            deposit=billing_pb2.Deposit(client=client, amount=usd(amount), method=method),
            payment_token="tok_sandbox_ok" if online else "",
            request_id=str(uuid.uuid4()) if online else "",
        ),
        metadata=md(),
    )
    return made.name


def refund_request(
    name: str, amount: money_pb2.Money | None = None, *, reason: str = "", request_id: str = ""
) -> billing_pb2.RefundDepositRequest:
    return billing_pb2.RefundDepositRequest(name=name, amount=amount, reason=reason, request_id=request_id)


async def get(b: Billing, name: str) -> billing_pb2.Deposit:
    return await b.stub.GetDeposit(billing_pb2.GetDepositRequest(name=name), metadata=md())


def amounts(d: billing_pb2.Deposit) -> tuple[int, int, int, int]:
    """(amount, applied, refunded, balance), checking balance = amount - applied - refunded."""
    out = (d.amount.amount_minor, d.amount_applied.amount_minor, d.amount_refunded.amount_minor, d.balance.amount_minor)
    assert out[3] == out[0] - out[1] - out[2]
    assert out[3] >= 0
    return out


async def refunded_events(b: Billing) -> list[billing_events.DepositRefundedEvent]:
    db = Database(b.database_url)
    try:
        async with UnitOfWork(db, readonly=True) as uow:
            rows = (
                await uow.session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.subject == "billing.deposit.refunded")
                    .order_by(OutboxMessage.seq)
                )
            ).all()
    finally:
        await db.dispose()
    events: list[billing_events.DepositRefundedEvent] = []
    for row in rows:
        envelope = events_pb2.EventEnvelope.FromString(row.payload)
        event = billing_events.DepositRefundedEvent()
        assert envelope.payload.Unpack(event)
        events.append(event)
    return events


async def test_refund_part_then_all_of_a_cash_deposit(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        name = await deposit(b, client, 5000)
        other = await deposit(b, client, 700)
        invoice = await create_invoice(b.stub, client, [free_line("Session", 10000)])
        await b.stub.ApplyDeposit(
            billing_pb2.ApplyDepositRequest(name=name, invoice=invoice.name, amount=usd(1000)), metadata=md()
        )

        part = await b.stub.RefundDeposit(refund_request(name, usd(1500), reason="session moved"), metadata=md())
        assert amounts(part) == (5000, 1000, 1500, 2500)
        # unset amount: all of the balance; what was applied stays applied
        rest = await b.stub.RefundDeposit(refund_request(name, reason="cancelled"), metadata=md())
        assert amounts(rest) == (5000, 1000, 4000, 0)
        assert amounts(await get(b, name)) == (5000, 1000, 4000, 0)
        # a zero amount also means all of the balance
        whole = await b.stub.RefundDeposit(refund_request(other, usd(0)), metadata=md())
        assert amounts(whole) == (700, 0, 700, 0)

        listed = await b.stub.ListDeposits(billing_pb2.ListDepositsRequest(client=client), metadata=md())
        assert {d.name: amounts(d) for d in listed.deposits} == {
            name: (5000, 1000, 4000, 0),
            other: (700, 0, 700, 0),
        }

        # nothing left: refused with a reason, nothing changes
        with pytest.raises(grpc.aio.AioRpcError) as empty:
            await b.stub.RefundDeposit(refund_request(name), metadata=md())
        assert empty.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(empty.value) == ("DEPOSIT_NOTHING_TO_REFUND", "name")

        # cash refunds are recorded only; each is one event carrying the deposit after it
        assert not b.provider.refunds
        events = await refunded_events(b)
        assert [(e.deposit.name, e.refund_amount.amount_minor, e.reason) for e in events] == [
            (name, 1500, "session moved"),
            (name, 2500, "cancelled"),
            (other, 700, ""),
        ]
        assert amounts(events[0].deposit) == (5000, 1000, 1500, 2500)
        assert all(e.provider_refund_id == "" for e in events)


async def test_online_refund_goes_through_the_provider_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        name = await deposit(b, client, 8000, ONLINE)
        charge_id = (await get(b, name)).provider_charge_id
        assert b.provider.charged_total() == 8000

        # an online refund needs its idempotency key
        with pytest.raises(grpc.aio.AioRpcError) as no_key:
            await b.stub.RefundDeposit(refund_request(name, usd(1000)), metadata=md())
        assert no_key.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(no_key.value)) == ["request_id"]

        rid = str(uuid.uuid4())
        request = refund_request(name, usd(3000), reason="booking failed", request_id=rid)
        first = await b.stub.RefundDeposit(request, metadata=md())
        assert amounts(first) == (8000, 0, 3000, 5000)
        # a retry returns the first result and refunds nothing more
        again = await b.stub.RefundDeposit(request, metadata=md())
        assert again == first
        assert b.provider.refunded[charge_id] == 3000
        assert len(b.provider.refunds) == 1
        # the same request_id with another body is refused
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await b.stub.RefundDeposit(refund_request(name, usd(1), request_id=rid), metadata=md())
        assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        rest = await b.stub.RefundDeposit(refund_request(name, request_id=str(uuid.uuid4())), metadata=md())
        assert amounts(rest) == (8000, 0, 8000, 0)
        assert b.provider.refunded[charge_id] == 8000
        assert len(b.provider.refunds) == 2
        assert amounts(await get(b, name)) == (8000, 0, 8000, 0)

        events = await refunded_events(b)
        assert [e.refund_amount.amount_minor for e in events] == [3000, 5000]
        assert {e.provider_refund_id for e in events} == {r.refund_id for r in b.provider.refunds.values()}


async def test_refund_bounds_and_tenancy(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        name = await deposit(b, client, 5000)

        with pytest.raises(grpc.aio.AioRpcError) as above:
            await b.stub.RefundDeposit(refund_request(name, usd(5001)), metadata=md())
        assert above.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_field(above.value) == ("REFUND_ABOVE_DEPOSIT_BALANCE", "amount")
        assert list(rpc_violations(above.value)) == ["amount"]

        with pytest.raises(grpc.aio.AioRpcError) as negative:
            await b.stub.RefundDeposit(refund_request(name, usd(-5)), metadata=md())
        assert negative.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(negative.value)) == ["amount.amount_minor"]

        euros = money_pb2.Money(currency_code="EUR", amount_minor=100)
        with pytest.raises(grpc.aio.AioRpcError) as currency:
            await b.stub.RefundDeposit(refund_request(name, euros), metadata=md())
        assert currency.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(currency.value)) == ["amount.currency_code"]

        with pytest.raises(grpc.aio.AioRpcError) as bad_name:
            await b.stub.RefundDeposit(refund_request("invoices/x"), metadata=md())
        assert bad_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        with pytest.raises(grpc.aio.AioRpcError) as long_reason:
            await b.stub.RefundDeposit(refund_request(name, reason="x" * 501), metadata=md())
        assert list(rpc_violations(long_reason.value)) == ["reason"]

        # another company's deposit does not exist for it, and is left alone
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await b.stub.RefundDeposit(refund_request(name), metadata=md(COMPANY_B))
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await b.stub.RefundDeposit(refund_request(f"deposits/{uuid.uuid4()}"), metadata=md())
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert amounts(await get(b, name)) == (5000, 0, 0, 5000)

        # all of it applied to an invoice: nothing left to refund
        invoice = await create_invoice(b.stub, client, [free_line("Session", 5000)])
        await b.stub.ApplyDeposit(billing_pb2.ApplyDepositRequest(name=name, invoice=invoice.name), metadata=md())
        with pytest.raises(grpc.aio.AioRpcError) as applied:
            await b.stub.RefundDeposit(refund_request(name, usd(100)), metadata=md())
        assert applied.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(applied.value) == ("DEPOSIT_NOTHING_TO_REFUND", "name")
        assert amounts(await get(b, name)) == (5000, 5000, 0, 0)
        assert not await refunded_events(b)


async def test_refunds_and_applies_racing_never_take_more_than_the_balance(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        invoice = await create_invoice(b.stub, client, [free_line("Session", 100000)])
        # 5000 takes exactly two of six 2000s, whichever wins
        name = await deposit(b, client, 5000)
        calls: list[Awaitable[billing_pb2.Deposit | billing_pb2.Payment]] = [
            *(b.stub.RefundDeposit(refund_request(name, usd(2000)), metadata=md()) for _ in range(3)),
            *(
                b.stub.ApplyDeposit(
                    billing_pb2.ApplyDepositRequest(name=name, invoice=invoice.name, amount=usd(2000)), metadata=md()
                )
                for _ in range(3)
            ),
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        won = [r for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(won) == 2
        assert len(lost) == 4
        assert {r.code() for r in lost} <= {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION}
        _, applied, refunded, balance = amounts(await get(b, name))
        assert (applied + refunded, balance) == (4000, 1000)
        assert refunded == 2000 * sum(isinstance(r, billing_pb2.Deposit) for r in won)

        # online: what the provider refunded is what the deposit shows as refunded
        for _ in range(3):
            online = await deposit(b, client, 5000, ONLINE)
            charge_id = (await get(b, online)).provider_charge_id
            await asyncio.gather(
                b.stub.RefundDeposit(refund_request(online, request_id=str(uuid.uuid4())), metadata=md()),
                b.stub.ApplyDeposit(
                    billing_pb2.ApplyDepositRequest(name=online, invoice=invoice.name, amount=usd(3000)),
                    metadata=md(),
                ),
                return_exceptions=True,
            )
            _, applied, refunded, balance = amounts(await get(b, online))
            assert applied + refunded == 5000
            assert b.provider.refunded.get(charge_id, 0) == refunded


async def test_an_unconfirmed_online_refund_stays_reserved_until_retried(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        invoice = await create_invoice(b.stub, client, [free_line("Session", 10000)])
        name = await deposit(b, client, 5000, ONLINE)
        charge_id = (await get(b, name)).provider_charge_id
        real_refund = b.provider.refund

        async def lost_answer(*, idempotency_key: str, charge_id: str, amount_minor: int) -> Refund:
            # the provider refunds, but its answer is lost on the way back
            await real_refund(idempotency_key=idempotency_key, charge_id=charge_id, amount_minor=amount_minor)
            raise ProviderUnavailable("timed out")

        monkeypatch.setattr(b.provider, "refund", lost_answer)
        rid = str(uuid.uuid4())
        with pytest.raises(grpc.aio.AioRpcError) as down:
            await b.stub.RefundDeposit(refund_request(name, usd(4000), request_id=rid), metadata=md())
        assert down.value.code() == grpc.StatusCode.UNAVAILABLE
        # the amount stays reserved: ApplyDeposit cannot take it, and no event claims it yet
        assert amounts(await get(b, name)) == (5000, 0, 4000, 1000)
        with pytest.raises(grpc.aio.AioRpcError) as taken:
            await b.stub.ApplyDeposit(
                billing_pb2.ApplyDepositRequest(name=name, invoice=invoice.name, amount=usd(2000)), metadata=md()
            )
        assert taken.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert not await refunded_events(b)

        # the retry finishes it: refunded once at the provider, one event
        monkeypatch.setattr(b.provider, "refund", real_refund)
        done = await b.stub.RefundDeposit(refund_request(name, usd(4000), request_id=rid), metadata=md())
        assert amounts(done) == (5000, 0, 4000, 1000)
        assert b.provider.refunded[charge_id] == 4000
        assert len(b.provider.refunds) == 1
        assert [e.refund_amount.amount_minor for e in await refunded_events(b)] == [4000]

        # a refund the provider declines releases its reservation
        async def declines(*, idempotency_key: str, charge_id: str, amount_minor: int) -> Refund:
            raise PaymentDeclined("refund refused")

        monkeypatch.setattr(b.provider, "refund", declines)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await b.stub.RefundDeposit(refund_request(name, request_id=str(uuid.uuid4())), metadata=md())
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(refused.value) == ("REFUND_REFUSED", "name")
        assert amounts(await get(b, name)) == (5000, 0, 4000, 1000)
        assert b.provider.refunded[charge_id] == 4000
