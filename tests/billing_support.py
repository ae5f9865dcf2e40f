"""Helpers of the billing tests: the billing service in this process on a loopback port,
with its sandbox payment provider at hand, and short builders of requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_billing import main as billing_main
from shutterbook_billing.providers.sandbox import SandboxProvider
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, running, service_settings
from shutterbook_kit.consumer import EventConsumer
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.relay import OutboxRelay

COMPANY_A = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
COMPANY_B = "0b7e6f3a-2222-4b4b-8b8b-00000000000b"


@dataclass
class Billing:
    stub: billing_pb2_grpc.BillingServiceAsyncStub
    provider: SandboxProvider
    database_url: str
    port: int
    host: ServiceHost

    @property
    def consumer(self) -> EventConsumer:
        """The consumer of scheduling's events."""
        return self.host.parts.consumers[0]

    @property
    def clients_consumer(self) -> EventConsumer:
        """The consumer of the clients service's events."""
        return self.host.parts.consumers[1]


@asynccontextmanager
async def billing_service(
    databases: DatabaseFactory, nats_url: str, *, database_url: str = "", slow_seconds: float = 0.5
) -> AsyncIterator[Billing]:
    url = database_url or await databases.new("billing", migrate_with=billing_main.MIGRATIONS)
    provider = SandboxProvider(slow_seconds=slow_seconds)
    host = billing_main.build(service_settings("billing", url, nats_url), provider=provider)
    async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        yield Billing(
            stub=billing_pb2_grpc.BillingServiceStub(channel),
            provider=provider,
            database_url=url,
            port=host.port,
            host=host,
        )


@asynccontextmanager
async def producer(
    databases: DatabaseFactory, nats_url: str, service: str, migrations: Path
) -> AsyncIterator[Database]:
    """Another service's database (migrated with its migrations) whose outbox a real
    OutboxRelay publishes to that service's stream: events produced the way it will."""
    url = await databases.new(service, migrate_with=migrations)
    db = Database(url)
    connection = NatsConnection(nats_url, name=f"{service}-producer")
    connection.start()
    relay = OutboxRelay(db, connection, StreamSpec(service))
    relay.start()
    try:
        yield db
    finally:
        await relay.stop()
        await connection.close()
        await db.dispose()


def md(company: str = COMPANY_A) -> tuple[tuple[str, str], ...]:
    return company_metadata(company)


def usd(amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", amount_minor=amount_minor)


def new_client() -> str:
    return f"clients/{uuid.uuid4()}"


async def known_client(
    stub: billing_pb2_grpc.BillingServiceAsyncStub, company: str = COMPANY_A, name: str = "", given_name: str = "Ada"
) -> str:
    """A client billing knows (as if its clients.client.created event had arrived); its name."""
    client = clients_pb2.Client(name=name or new_client(), given_name=given_name, family_name="Lovelace")
    client.update_time.GetCurrentTime()
    await stub.EnsureKnownClient(billing_pb2.EnsureKnownClientRequest(client=client), metadata=md(company))
    return client.name


async def create_item(
    stub: billing_pb2_grpc.BillingServiceAsyncStub,
    sku: str,
    price: int,
    tax_bps: int = 0,
    company: str = COMPANY_A,
    currency: str = "USD",
) -> billing_pb2.PriceListItem:
    return await stub.CreatePriceListItem(
        billing_pb2.CreatePriceListItemRequest(
            price_list_item=billing_pb2.PriceListItem(
                display_name=sku.title(),
                sku=sku,
                unit_price=money_pb2.Money(currency_code=currency, amount_minor=price),
                tax_rate_bps=tax_bps,
            )
        ),
        metadata=md(company),
    )


async def create_invoice(
    stub: billing_pb2_grpc.BillingServiceAsyncStub,
    client: str,
    lines: list[billing_pb2.InvoiceLine],
    company: str = COMPANY_A,
    currency_code: str = "",
    session: str = "",
) -> billing_pb2.Invoice:
    invoice = billing_pb2.Invoice(client=client, lines=lines, currency_code=currency_code, session=session)
    return await stub.CreateInvoice(
        billing_pb2.CreateInvoiceRequest(invoice=invoice),
        metadata=md(company),
    )


def free_line(description: str, price: int, tax_bps: int = 0, quantity: int = 1) -> billing_pb2.InvoiceLine:
    return billing_pb2.InvoiceLine(
        description=description, unit_price=usd(price), tax_rate_bps=tax_bps, quantity=quantity
    )


async def pay(
    stub: billing_pb2_grpc.BillingServiceAsyncStub,
    invoice: str,
    amount: int,
    method: billing_pb2.PaymentMethod.ValueType = billing_pb2.PAYMENT_METHOD_CASH,
    *,
    token: str = "",
    request_id: str = "",
    company: str = COMPANY_A,
    currency: str = "USD",
) -> billing_pb2.Payment:
    return await stub.CreatePayment(
        billing_pb2.CreatePaymentRequest(
            payment=billing_pb2.Payment(
                invoice=invoice, amount=money_pb2.Money(currency_code=currency, amount_minor=amount), method=method
            ),
            payment_token=token,
            request_id=request_id,
        ),
        metadata=md(company),
    )


def error_field(err: grpc.aio.AioRpcError) -> tuple[str, str]:
    """(reason, metadata field) of a gRPC error's ErrorInfo."""
    from google.rpc import error_details_pb2, status_pb2

    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return info.reason, info.metadata.get("field", "")
    return "", ""


def snapshot(
    client: str, items: list[str], *, auto: bool = True, session_type: str = ""
) -> scheduling_events.SessionSnapshot:
    start = timestamp_pb2.Timestamp()
    start.FromDatetime(datetime(2026, 12, 5, 15, 0, tzinfo=UTC))
    end = timestamp_pb2.Timestamp()
    end.FromDatetime(datetime(2026, 12, 5, 15, 0, tzinfo=UTC) + timedelta(minutes=90))
    return scheduling_events.SessionSnapshot(
        session=f"sessions/{uuid.uuid4()}",
        session_number="S-000042",
        client=client,
        session_type=session_type or f"sessionTypes/{uuid.uuid4()}",
        session_type_display_name="Deluxe Portrait",
        start_time=start,
        end_time=end,
        location=f"locations/{uuid.uuid4()}",
        time_zone="America/New_York",
        location_display_name="Downtown Studio",
        location_address="120 Main Street, New York, NY 10001",
        price_list_items=items,
        auto_create_invoice=auto,
    )


async def create_deposit(
    stub: billing_pb2_grpc.BillingServiceAsyncStub, client: str, amount: int, company: str = COMPANY_A
) -> billing_pb2.Deposit:
    """A deposit paid in cash, held on `client`."""
    deposit = billing_pb2.Deposit(client=client, amount=usd(amount), method=billing_pb2.PAYMENT_METHOD_CASH)
    return await stub.CreateDeposit(billing_pb2.CreateDepositRequest(deposit=deposit), metadata=md(company))
