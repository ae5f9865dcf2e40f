"""The billing demo data for `make run`: created through the API, twice without duplicates."""

from __future__ import annotations

import grpc

from shutterbook.billing.v1 import billing_pb2
from shutterbook_billing.demo import PRICE_LIST, seed_demo
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.demo import DEMO_COMPANY_ID
from tests.billing_support import billing_service, md, new_client


async def test_seed_demo_is_idempotent(sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(sqlite_databases, nats_server.url) as b:
        clients = [new_client() for _ in range(3)]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{b.port}") as channel:
            first = await seed_demo(channel, DEMO_COMPANY_ID, clients)
            second = await seed_demo(channel, DEMO_COMPANY_ID, clients)
        assert first == second
        assert set(first) == set(PRICE_LIST)
        company = md(DEMO_COMPANY_ID)
        fee = await b.stub.GetPriceListItem(
            billing_pb2.GetPriceListItemRequest(name=first["SESSION-FEE-FAMILY"]), metadata=company
        )
        assert (fee.display_name, fee.unit_price.amount_minor, fee.tax_rate_bps) == ("Family Session Fee", 15000, 825)
        invoices = (await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=company)).invoices
        assert len(invoices) == 3
        by_client = {i.client: i for i in invoices}
        assert by_client[clients[0]].amount_paid.amount_minor == 5000
        assert by_client[clients[1]].status == billing_pb2.INVOICE_STATUS_PAID
        assert by_client[clients[2]].amount_paid.amount_minor == 2500
        deposits = (await b.stub.ListDeposits(billing_pb2.ListDepositsRequest(), metadata=company)).deposits
        assert [(d.amount.amount_minor, d.amount_applied.amount_minor) for d in deposits] == [(5000, 2500)]
