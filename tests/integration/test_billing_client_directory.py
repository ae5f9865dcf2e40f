"""Billing's directory of clients, fed by the clients service's events through a real relay
and nats-server: client names on invoices and documents; a merge re-points the merged
client's invoices, payments and deposits to the survivor."""

from __future__ import annotations

import uuid

from google.protobuf import timestamp_pb2

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as clients_events
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit import shared_events
from shutterbook_kit.uow import UnitOfWork
from tests.billing_support import (
    COMPANY_A,
    billing_service,
    create_invoice,
    free_line,
    md,
    pay,
    producer,
    snapshot,
    usd,
)
from tests.integration.test_billing_documents import pdf_text


def client(given: str, family: str, seconds: int) -> clients_pb2.Client:
    updated = timestamp_pb2.Timestamp(seconds=1_790_000_000 + seconds)
    return clients_pb2.Client(name=f"clients/{uuid.uuid4()}", given_name=given, family_name=family, update_time=updated)


async def test_names_and_merges(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with (
        producer(databases, nats_server.url, "clients", clients_main.MIGRATIONS) as clients_db,
        billing_service(databases, nats_server.url) as b,
    ):
        ada = client("Ada", "Lovelace", 0)
        ada_again = client("Ada", "Byron", 0)  # a duplicate record, merged into ada below
        async with UnitOfWork(clients_db, source="clients") as uow:
            uow.emit(shared_events.CLIENT_CREATED, COMPANY_A, clients_events.ClientCreatedEvent(client=ada))
            uow.emit(shared_events.CLIENT_CREATED, COMPANY_A, clients_events.ClientCreatedEvent(client=ada_again))
            await uow.commit()

        async def handled(n: int) -> bool:
            return b.clients_consumer.applied >= n

        await eventually(lambda: handled(2), what="clients known to billing")
        session = snapshot(ada.name, [])
        invoice = await b.stub.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(session=session), metadata=md()
        )
        assert invoice.client_display_name == "Ada Lovelace"
        text = pdf_text(
            (
                await b.stub.RenderSessionConfirmation(
                    billing_pb2.RenderSessionConfirmationRequest(invoice=invoice.name), metadata=md()
                )
            ).content
        )
        assert "Client Ada Lovelace" in text
        assert ada.name not in text  # a customer's document names the client, never the id

        duplicate_invoice = await create_invoice(b.stub, ada_again.name, [free_line("Print", 2000)])
        payment = await pay(b.stub, duplicate_invoice.name, 500)
        deposit = await b.stub.CreateDeposit(
            billing_pb2.CreateDepositRequest(
                deposit=billing_pb2.Deposit(
                    client=ada_again.name, amount=usd(900), method=billing_pb2.PAYMENT_METHOD_CASH
                )
            ),
            metadata=md(),
        )
        # an older version of a client changes nothing; a merge re-points the duplicate's records
        stale = clients_pb2.Client(name=ada.name, given_name="Old", update_time=timestamp_pb2.Timestamp(seconds=1))
        survivor = client("Ada", "King", 60)
        survivor.name = ada.name
        async with UnitOfWork(clients_db, source="clients") as uow:
            uow.emit(shared_events.CLIENT_UPDATED, COMPANY_A, clients_events.ClientUpdatedEvent(client=stale))
            uow.emit(
                shared_events.CLIENT_MERGED,
                COMPANY_A,
                clients_events.ClientMergedEvent(surviving_client=survivor, merged_client=ada_again.name),
            )
            await uow.commit()
        await eventually(lambda: handled(4), what="update and merge applied")
        moved = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=duplicate_invoice.name), metadata=md())
        assert moved.client == ada.name
        assert (
            await b.stub.GetPayment(billing_pb2.GetPaymentRequest(name=payment.name), metadata=md())
        ).client == ada.name
        assert (
            await b.stub.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=md())
        ).client == ada.name
        # the deposit now pays the survivor's invoices
        applied = await b.stub.ApplyDeposit(
            billing_pb2.ApplyDepositRequest(name=deposit.name, invoice=duplicate_invoice.name), metadata=md()
        )
        assert applied.amount.amount_minor == 900
        renamed = pdf_text(
            (
                await b.stub.RenderSessionConfirmation(
                    billing_pb2.RenderSessionConfirmationRequest(invoice=duplicate_invoice.name), metadata=md()
                )
            ).content
        )
        assert "Client Ada King" in renamed
        assert b.clients_consumer.dead_lettered == 0
