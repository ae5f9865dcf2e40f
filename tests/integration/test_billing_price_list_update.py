"""UpdatePriceListItem through gRPC on the real billing service: the masked fields change and
nothing else, the audit trail has the change with its before and after, an invoice made before
keeps its price, bad input names the field and changes nothing, a SKU of another item is
ALREADY_EXISTS on `price_list_item.sku`, another company's item is NOT_FOUND."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2

from shutterbook.billing.v1 import billing_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.audit_support import CALLER, changes
from tests.billing_support import billing_service, create_invoice, create_item, error_field, md, new_client, usd
from tests.clients_support import COMPANY_B, rpc_error, violations
from tests.integration.test_billing_audit import billing_history


def _update(item: billing_pb2.PriceListItem, *paths: str) -> billing_pb2.UpdatePriceListItemRequest:
    return billing_pb2.UpdatePriceListItemRequest(
        price_list_item=item, update_mask=field_mask_pb2.FieldMask(paths=list(paths))
    )


async def test_a_price_list_item_is_updated_by_its_mask(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE", 15000, tax_bps=800)
        await create_item(b.stub, "PRINT-8X10", 2500)
        invoice = await create_invoice(b.stub, new_client(), [billing_pb2.InvoiceLine(price_list_item=fee.name)])

        # only the masked fields change: the name given with the new price is not taken
        change = billing_pb2.PriceListItem(
            name=fee.name, display_name="Ignored", unit_price=usd(17500), tax_rate_bps=825
        )
        updated = await b.stub.UpdatePriceListItem(_update(change, "unit_price", "tax_rate_bps"), metadata=md())
        assert (updated.display_name, updated.sku) == ("Session-Fee", "SESSION-FEE")
        assert (updated.unit_price.amount_minor, updated.tax_rate_bps) == (17500, 825)
        renamed = billing_pb2.PriceListItem(name=fee.name, display_name="Deluxe Session Fee", sku="DELUXE")
        updated = await b.stub.UpdatePriceListItem(_update(renamed, "display_name", "sku"), metadata=md())
        got = await b.stub.GetPriceListItem(billing_pb2.GetPriceListItemRequest(name=fee.name), metadata=md())
        assert got == updated
        assert (got.display_name, got.sku, got.unit_price.amount_minor, got.tax_rate_bps) == (
            "Deluxe Session Fee",
            "DELUXE",
            17500,
            825,
        )
        # the invoice made before keeps the price it was made with
        kept = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert kept.lines[0].unit_price.amount_minor == 15000

        entries = await billing_history(b.stub, fee.name)
        assert [e.action for e in entries] == ["updated", "updated", "created"]
        assert {e.caller for e in entries} == {CALLER}
        assert changes(entries[1])["unit_price.amount_minor"] == {"before": 15000, "after": 17500}
        assert changes(entries[0])["sku"] == {"before": "SESSION-FEE", "after": "DELUXE"}


async def test_bad_updates_name_the_field_and_change_nothing(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE", 15000)
        await create_item(b.stub, "PRINT-8X10", 2500)
        bad = billing_pb2.PriceListItem(
            name=fee.name, display_name=" ", sku="", unit_price=usd(-5), tax_rate_bps=20_000
        )
        err = await rpc_error(b.stub.UpdatePriceListItem(_update(bad), metadata=md()))
        assert set(violations(err)) == {
            "price_list_item.display_name",
            "price_list_item.sku",
            "price_list_item.unit_price.amount_minor",
            "price_list_item.tax_rate_bps",
        }
        err = await rpc_error(b.stub.UpdatePriceListItem(_update(bad, "customer"), metadata=md()))
        assert "update_mask.paths[0]" in violations(err)

        taken = billing_pb2.PriceListItem(name=fee.name, sku="PRINT-8X10")
        err = await rpc_error(b.stub.UpdatePriceListItem(_update(taken, "sku"), metadata=md()))
        assert err.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_field(err)[1] == "price_list_item.sku"

        other = billing_pb2.PriceListItem(name=fee.name, display_name="Theirs")
        err = await rpc_error(b.stub.UpdatePriceListItem(_update(other, "display_name"), metadata=md(COMPANY_B)))
        assert err.code() == grpc.StatusCode.NOT_FOUND

        got = await b.stub.GetPriceListItem(billing_pb2.GetPriceListItemRequest(name=fee.name), metadata=md())
        assert got == fee
        assert [e.action for e in await billing_history(b.stub, fee.name)] == ["created"]
