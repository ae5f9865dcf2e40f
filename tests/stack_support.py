"""The whole booking stack in this process, on loopback: clients, scheduling and billing
(real gRPC servers, real databases, real NATS) behind the gateway (uvicorn), with one partner
key per test company, and optionally the `make run` demo data with its demo key."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import cast

import grpc
from google.protobuf import field_mask_pb2

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_devstack.demo import seed_demo
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from shutterbook_kit.demo import (
    DEMO_API_KEY,
    DEMO_API_KEY_ID,
    DEMO_API_KEY_SECRET,
    DEMO_COMPANY_ID,
    DEMO_PUBLISHABLE_KEY_ID,
    DEMO_PUBLISHABLE_KEY_SECRET,
)
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_scheduling.settings import SchedulingSettings
from tests.billing_support import Billing, billing_service, create_item
from tests.grpc_gate import GrpcGate
from tests.helpers import COMPANY_A, COMPANY_B, Slice, clients_and_scheduling, gateway
from tests.online_support import future_day, make_online_studio, slot
from tests.scheduling_support import SchedulingService, Studio
from tests.tcp_proxy import TcpProxy


@dataclass
class Stack:
    base_url: str
    services: Slice
    billing: Billing
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub
    gateway_db: str
    # company id -> that company's partner key (COMPANY_A, COMPANY_B, and the demo company when seeded)
    keys: dict[str, str] = field(default_factory=dict)
    billing_proxy: TcpProxy | None = None
    scheduling_gate: GrpcGate | None = None
    console_db: str = ""  # with demo=True: a console database holding the demo staff

    def headers(self, company: str = COMPANY_A, **extra: str) -> dict[str, str]:
        return {"X-Api-Key": self.keys[company], **extra}


@asynccontextmanager
async def booking_stack(
    databases: DatabaseFactory,
    nats_url: str,
    *,
    demo: bool = False,
    scheduling_overrides: dict[str, object] | None = None,
    scheduling: SchedulingSettings | None = None,
    billing_slow_seconds: float = 0.2,
    billing_proxy: bool = False,
    scheduling_gate: bool = False,
    gateway_hears_events: bool = True,
) -> AsyncIterator[Stack]:
    """Start everything; `demo=True` seeds the demo company as `make run` does; `scheduling`:
    the scheduling service's own settings (holds, worker timing; default: the defaults);
    `billing_proxy`, `scheduling_gate`: the gateway reaches billing through a proxy the test can
    cut, scheduling through a gate that can refuse chosen methods; `gateway_hears_events=False`:
    the gateway reaches no NATS (its read model hears no change but its own writes)."""
    async with AsyncExitStack() as stack:
        services = await stack.enter_async_context(
            clients_and_scheduling(databases, nats_url, own=scheduling, **(scheduling_overrides or {}))
        )
        billing = await stack.enter_async_context(
            billing_service(databases, nats_url, slow_seconds=billing_slow_seconds)
        )
        gateway_db = await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
        upstreams = {
            "clients": f"127.0.0.1:{services.clients_port}",
            "scheduling": f"127.0.0.1:{services.scheduling_port}",
            "billing": f"127.0.0.1:{billing.port}",
        }
        proxy = None
        if billing_proxy:  # the gateway reaches billing through a proxy the test can cut
            proxy = TcpProxy(billing.port)
            await proxy.start()
            stack.push_async_callback(proxy.close)
            upstreams["billing"] = proxy.address
        gate = None
        if scheduling_gate:
            gate = GrpcGate(upstreams["scheduling"])
            await gate.start()
            stack.push_async_callback(gate.close)
            upstreams["scheduling"] = gate.address
        gateway_nats = {"nats_url": nats_url} if gateway_hears_events else {}
        base_url = await stack.enter_async_context(gateway(gateway_db, upstreams, **gateway_nats))
        keys = await _issue_keys(gateway_db, demo=demo)
        console_db = ""
        if demo:
            # the console's demo staff go into a console database of the test's own
            console_db = await databases.new("console", migrate_with=console_main.MIGRATIONS)
            await seed_demo(
                {"clients": services.clients_port, "scheduling": services.scheduling_port, "billing": billing.port},
                console_database_url=console_db,
            )
        channel = await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{services.scheduling_port}"))
        yield Stack(
            base_url=base_url,
            services=services,
            billing=billing,
            online=online_pb2_grpc.OnlineBookingServiceStub(channel),
            gateway_db=gateway_db,
            keys=keys,
            billing_proxy=proxy,
            scheduling_gate=gate,
            console_db=console_db,
        )


async def _issue_keys(gateway_db: str, *, demo: bool) -> dict[str, str]:
    db = Database(gateway_db)
    try:
        keys = {
            company: await issue_key(db, company, f"test partner {company[-1]}") for company in (COMPANY_A, COMPANY_B)
        }
        if demo:
            await issue_key(db, DEMO_COMPANY_ID, "demo partner", key_id=DEMO_API_KEY_ID, secret=DEMO_API_KEY_SECRET)
            keys[DEMO_COMPANY_ID] = DEMO_API_KEY
            await issue_key(  # the booking page's key, as `make run` seeds it
                db,
                DEMO_COMPANY_ID,
                "demo booking page",
                key_id=DEMO_PUBLISHABLE_KEY_ID,
                secret=DEMO_PUBLISHABLE_KEY_SECRET,
                publishable=True,
            )
        return keys
    finally:
        await db.dispose()


@dataclass
class OnlineStudio:
    """A company's studio with its session type offered online, and open slots on one day."""

    studio: Studio
    slots: list[opb.TimeSlot]
    day: date
    price_item: billing_pb2.PriceListItem | None

    @property
    def type_id(self) -> str:
        return self.studio.session_type.name.split("/", 1)[1]

    def slot_id(self, i: int = 0) -> str:
        return self.slots[i].name.split("/", 1)[1]


async def offer_online(
    stack: Stack,
    company: str = COMPANY_A,
    *,
    payment_option: pb.PaymentOption.ValueType = pb.PAYMENT_OPTION_NONE,
    payment_amount: int = 0,
    item_price: int = 0,
    tax_bps: int = 0,
    cancellation: tuple[pb.CancellationPolicy.ValueType, int] = (pb.CANCELLATION_POLICY_UNSPECIFIED, 0),
    slots: int = 4,
    time_zone: str = "America/New_York",
    days_ahead: int = 7,
    online_promotions: Sequence[str] = (),
) -> OnlineStudio:
    """Offer a session type online, optionally with payment (a price list item of `item_price`
    on its auto-created invoice) and promotions offered online (codes or `promotions/{id}`),
    with `slots` one-hour slots from 09:00 on one local day."""
    meta = company_metadata(company)
    svc = SchedulingService(
        stub=stack.services.scheduling,
        database_url=stack.services.scheduling_db,
        nats_url="",
        host=cast(ServiceHost, None),  # the helpers below only call the stub
    )
    studio = await make_online_studio(svc, meta, time_zone=time_zone)
    item = None
    if item_price:
        item = await create_item(
            stack.billing.stub, f"fee-{uuid.uuid4().hex[:6]}", item_price, tax_bps=tax_bps, company=company
        )
    online = pb.OnlineBookingSettings()
    online.CopyFrom(studio.session_type.online)
    online.online_description = "Family Portrait Online"
    online.marketing_description = "An hour in the studio for the whole family."
    online.location_text = "Downtown Studio, 1 Main St"
    online.online_promotions.extend(online_promotions)
    if payment_option != pb.PAYMENT_OPTION_NONE:
        online.online_payment = True
        online.payment_option = payment_option
        if payment_amount:
            online.payment_amount.CopyFrom(money_pb2.Money(currency_code="USD", amount_minor=payment_amount))
    online.cancellation_policy = cancellation[0]
    if cancellation[1]:
        online.cancellation_fee.CopyFrom(money_pb2.Money(currency_code="USD", amount_minor=cancellation[1]))
    change = pb.SessionType(name=studio.session_type.name, online=online, auto_create_invoice=item is not None)
    paths = ["online", "auto_create_invoice"]
    if item is not None:
        change.price_list_items.append(item.name)
        paths.append("price_list_items")
    studio.session_type = await stack.services.scheduling.UpdateSessionType(
        pb.UpdateSessionTypeRequest(session_type=change, update_mask=field_mask_pb2.FieldMask(paths=paths)),
        metadata=meta,
    )
    day = future_day(studio, days_ahead)
    made = []
    for i in range(slots):
        made.append(
            await stack.online.CreateTimeSlot(
                opb.CreateTimeSlotRequest(time_slot=slot(studio, day, (9 + i, 0), (10 + i, 0))), metadata=meta
            )
        )
    return OnlineStudio(studio=studio, slots=made, day=day, price_item=item)


def booking_body(slot_id: str, email: str = "", **extra: object) -> dict[str, object]:
    return {
        "slot_id": slot_id,
        "client": {
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": email or f"{uuid.uuid4().hex[:10]}@example.com",
        },
        **extra,
    }
