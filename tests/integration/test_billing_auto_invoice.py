"""Auto-created session invoices end to end: a `scheduling.session.booked` event written to
a scheduling-shaped database's outbox, published by a real OutboxRelay to a real
nats-server, consumed by the real billing service. Delivered twice -> one invoice."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import nats
import pytest
from sqlalchemy import select

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, rpc_violations
from shutterbook_kit import shared_events
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import main as scheduling_main
from tests.billing_support import (
    COMPANY_A,
    COMPANY_B,
    billing_service,
    create_item,
    known_client,
    md,
    new_client,
    producer,
    snapshot,
)

BOOKED = shared_events.SESSION_BOOKED


async def test_booked_session_gets_one_invoice(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with (
        producer(databases, nats_server.url, "scheduling", scheduling_main.MIGRATIONS) as scheduling_db,
        billing_service(databases, nats_server.url) as b,
    ):
        fee = await create_item(b.stub, "SESSION-FEE-DELUXE", 25000, 825)
        prints = await create_item(b.stub, "PRINT-8X10", 2000)
        client = new_client()
        deluxe = snapshot(client, [fee.name, prints.name])
        no_items = snapshot(client, [])
        manual = snapshot(client, [fee.name], auto=False)
        async with UnitOfWork(scheduling_db, source="scheduling") as uow:
            for s in (deluxe, no_items, manual):
                uow.emit(BOOKED, COMPANY_A, scheduling_events.SessionBookedEvent(session=s))
            await uow.commit()

        async def invoices_of(session: str, company: str = COMPANY_A) -> list[billing_pb2.Invoice]:
            listed = await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(session=session), metadata=md(company))
            return list(listed.invoices)

        async def handled(n: int) -> bool:
            return b.consumer.applied + b.consumer.skipped_duplicates >= n

        await eventually(lambda: handled(3), what="three booked events handled")
        [invoice] = await invoices_of(deluxe.session)
        assert [line.price_list_item for line in invoice.lines] == [fee.name, prints.name]
        assert [line.description for line in invoice.lines] == ["Session-Fee-Deluxe", "Print-8X10"]
        assert invoice.client == client
        assert invoice.session_fee_invoice
        assert invoice.session_details.session_type_display_name == "Deluxe Portrait"
        assert invoice.session_details.location_display_name == "Downtown Studio"  # kept for its documents
        assert invoice.session_details.location_address == "120 Main Street, New York, NY 10001"
        # 25000 + 8.25 % (2062.5 -> 2063) + 2000
        assert invoice.total.amount_minor == 29063
        [zero] = await invoices_of(no_items.session)
        assert not zero.lines
        assert zero.total.amount_minor == 0
        assert zero.currency_code == "USD"
        assert await invoices_of(manual.session) == []  # no "Auto-Create Invoice"
        assert await invoices_of(deluxe.session, COMPANY_B) == []

        # the same event delivered again, past JetStream's duplicate window (another Nats-Msg-Id)
        async with UnitOfWork(scheduling_db, readonly=True) as uow:
            rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))).all()
        first = rows[0]
        raw = await nats.connect(nats_server.url)
        try:
            js = raw.jetstream()
            ack = await js.publish(BOOKED.subject, first.payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
            assert not ack.duplicate
        finally:
            await raw.close()
        await eventually(lambda: handled(4), what="the redelivered event handled")
        assert b.consumer.skipped_duplicates >= 1
        # its history: created once, by billing's consumer (no caller: the service's own work)
        trail = await b.stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(parent=invoice.name), metadata=md())
        assert [(e.action, e.caller) for e in trail.audit_entries] == [("created", f"service:{b.consumer.consumer}")]

        # and a second booked event for the same session (a new event id): still one invoice
        async with UnitOfWork(scheduling_db, source="scheduling") as uow:
            uow.emit(BOOKED, COMPANY_A, scheduling_events.SessionBookedEvent(session=deluxe))
            await uow.commit()
        await eventually(lambda: handled(5), what="the re-emitted event handled")
        assert [i.name for i in await invoices_of(deluxe.session)] == [invoice.name]
        all_invoices = await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=md())
        assert len(all_invoices.invoices) == 2
        assert b.consumer.dead_lettered == 0

        # an event naming an item billing does not have can never succeed: dead-lettered, no invoice
        unknown = snapshot(client, [f"priceListItems/{uuid.uuid4()}"])
        async with UnitOfWork(scheduling_db, source="scheduling") as uow:
            uow.emit(BOOKED, COMPANY_A, scheduling_events.SessionBookedEvent(session=unknown))
            await uow.commit()

        async def dead_lettered() -> bool:
            return b.consumer.dead_lettered == 1

        await eventually(dead_lettered, what="the unknown item's event dead-lettered")
        assert await invoices_of(unknown.session) == []

        # the gateway's synchronous path finds the same invoice
        ensured = await b.stub.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(session=deluxe), metadata=md()
        )
        assert ensured.name == invoice.name


async def test_ensure_session_invoice_is_idempotent(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE-MINI", 7500, 825)
        session = snapshot(await known_client(b.stub), [fee.name])
        made = await asyncio.gather(
            *(
                b.stub.EnsureSessionInvoice(billing_pb2.EnsureSessionInvoiceRequest(session=session), metadata=md())
                for _ in range(4)
            )
        )
        assert len({m.name for m in made}) == 1
        assert made[0].total.amount_minor == 7500 + 619  # 618.75 rounds half up to 619
        # another company: a client it does not know is refused, and nothing is written ...
        other_company = snapshot(session.client, [fee.name])
        with pytest.raises(grpc.aio.AioRpcError) as foreign_client:
            await b.stub.EnsureSessionInvoice(
                billing_pb2.EnsureSessionInvoiceRequest(session=other_company), metadata=md(COMPANY_B)
            )
        assert foreign_client.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "CLIENT_NOT_KNOWN" in str(foreign_client.value.trailing_metadata())
        assert (await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=md(COMPANY_B))).invoices == []
        # ... so is a client nobody knows in the caller's own company ...
        with pytest.raises(grpc.aio.AioRpcError) as unknown_client:
            await b.stub.EnsureSessionInvoice(
                billing_pb2.EnsureSessionInvoiceRequest(session=snapshot(new_client(), [fee.name])), metadata=md()
            )
        assert unknown_client.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        # ... and a client it knows still cannot use the other company's price list items
        other_client = snapshot(await known_client(b.stub, COMPANY_B), [fee.name])
        with pytest.raises(grpc.aio.AioRpcError) as foreign_item:
            await b.stub.EnsureSessionInvoice(
                billing_pb2.EnsureSessionInvoiceRequest(session=other_client), metadata=md(COMPANY_B)
            )
        assert foreign_item.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(foreign_item.value)) == ["session.price_list_items[0]"]
        assert (await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=md())).invoices == made[:1]
