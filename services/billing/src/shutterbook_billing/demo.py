"""Demo data for `make run`, created through the billing API, idempotently (deterministic
request_ids: a second run replays every call and creates nothing new).

The shared catalogue: the price list of the demo session types (USD; tax 825 bps on
session fees, none on prints), a promotion, a few invoices with payments, and a deposit.
"""

from __future__ import annotations

import uuid

import grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.common.v1 import money_pb2
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.tenancy import CallContext

CURRENCY = "USD"
SESSION_FEE_TAX_BPS = 825
# SKU -> (display name, unit price in cents, tax rate in basis points)
PRICE_LIST: dict[str, tuple[str, int, int]] = {
    "SESSION-FEE-FAMILY": ("Family Session Fee", 15000, SESSION_FEE_TAX_BPS),
    "SESSION-FEE-DELUXE": ("Deluxe Session Fee", 25000, SESSION_FEE_TAX_BPS),
    "SESSION-FEE-SCHOOL": ("School Portrait Fee", 2500, SESSION_FEE_TAX_BPS),
    "SESSION-FEE-MINI": ("Mini Session Fee", 7500, SESSION_FEE_TAX_BPS),
    "PRINT-8X10": ("8x10 Print", 2000, 0),
}


def demo_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shutterbook-demo:{kind}:{key}"))


def _usd(amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=CURRENCY, amount_minor=amount_minor)


async def _price_list(
    stub: billing_pb2_grpc.BillingServiceAsyncStub, metadata: tuple[tuple[str, str], ...]
) -> dict[str, str]:
    names: dict[str, str] = {}
    for sku, (display_name, price, tax) in PRICE_LIST.items():
        item = billing_pb2.PriceListItem(display_name=display_name, sku=sku, unit_price=_usd(price), tax_rate_bps=tax)
        try:
            created = await stub.CreatePriceListItem(
                billing_pb2.CreatePriceListItemRequest(
                    price_list_item=item, request_id=demo_id("price-list-item", sku)
                ),
                metadata=metadata,
            )
            names[sku] = created.name
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
    if len(names) < len(PRICE_LIST):  # made some other way before: find them by SKU
        page = ""
        for _ in range(100):
            listed = await stub.ListPriceListItems(
                billing_pb2.ListPriceListItemsRequest(page_size=1000, page_token=page), metadata=metadata
            )
            names.update({i.sku: i.name for i in listed.price_list_items if i.sku in PRICE_LIST})
            page = listed.next_page_token
            if not page:
                break
    return names


def _metadata(company_id: str) -> tuple[tuple[str, str], ...]:
    return call_metadata(CallContext(company_id, "demo"))


async def seed_demo(channel: grpc.aio.Channel, company_id: str, clients: list[str]) -> dict[str, str]:
    """Create the demo billing data; returns SKU -> `priceListItems/{id}`."""
    items = await seed_demo_catalogue(channel, company_id)
    await seed_demo_invoices(channel, company_id, clients, items)
    return items


async def seed_demo_catalogue(channel: grpc.aio.Channel, company_id: str) -> dict[str, str]:
    """The price list and the promotion (no clients needed); returns SKU -> `priceListItems/{id}`."""
    stub: billing_pb2_grpc.BillingServiceAsyncStub = billing_pb2_grpc.BillingServiceStub(channel)
    metadata = _metadata(company_id)
    items = await _price_list(stub, metadata)
    promotion = billing_pb2.Promotion(display_name="Spring Family Special", code="SPRING10", percent_off_bps=1000)
    try:
        await stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(promotion=promotion, request_id=demo_id("promotion", "SPRING10")),
            metadata=metadata,
        )
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise
    return items


async def seed_demo_invoices(
    channel: grpc.aio.Channel, company_id: str, clients: list[str], items: dict[str, str]
) -> None:
    """A few invoices of the first demo clients, with payments and a deposit."""
    stub: billing_pb2_grpc.BillingServiceAsyncStub = billing_pb2_grpc.BillingServiceStub(channel)
    metadata = _metadata(company_id)
    # A few invoices: (client index, [(sku, quantity)], payment)
    plans: list[tuple[int, list[tuple[str, int]], str]] = [
        (0, [("SESSION-FEE-FAMILY", 1)], "partial-cash"),
        (1, [("SESSION-FEE-DELUXE", 1), ("PRINT-8X10", 2)], "full-card"),
        (2, [("SESSION-FEE-MINI", 1)], "deposit"),
    ]
    for index, lines, payment in plans:
        if index >= len(clients):
            break
        client = clients[index]
        key = f"{client}:{index}"
        invoice = await stub.CreateInvoice(
            billing_pb2.CreateInvoiceRequest(
                invoice=billing_pb2.Invoice(
                    client=client,
                    lines=[billing_pb2.InvoiceLine(price_list_item=items[sku], quantity=q) for sku, q in lines],
                ),
                request_id=demo_id("invoice", key),
            ),
            metadata=metadata,
        )
        if payment == "partial-cash":
            await stub.CreatePayment(
                billing_pb2.CreatePaymentRequest(
                    payment=billing_pb2.Payment(
                        invoice=invoice.name, amount=_usd(5000), method=billing_pb2.PAYMENT_METHOD_CASH
                    ),
                    request_id=demo_id("payment", key),
                ),
                metadata=metadata,
            )
        elif payment == "full-card":
            await stub.CreatePayment(
                billing_pb2.CreatePaymentRequest(
                    payment=billing_pb2.Payment(
                        invoice=invoice.name, amount=invoice.total, method=billing_pb2.PAYMENT_METHOD_CARD
                    ),
                    request_id=demo_id("payment", key),
                ),
                metadata=metadata,
            )
        else:
            deposit = await stub.CreateDeposit(
                billing_pb2.CreateDepositRequest(
                    deposit=billing_pb2.Deposit(
                        client=client, amount=_usd(5000), method=billing_pb2.PAYMENT_METHOD_CASH, note="Demo deposit"
                    ),
                    request_id=demo_id("deposit", key),
                ),
                metadata=metadata,
            )
            await stub.ApplyDeposit(
                billing_pb2.ApplyDepositRequest(
                    name=deposit.name, invoice=invoice.name, amount=_usd(2500), request_id=demo_id("apply", key)
                ),
                metadata=metadata,
            )
