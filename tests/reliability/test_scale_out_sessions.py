"""Scale-out with the booking load of issue 9: two scheduling replicas and two billing
replicas on loopback, callers balancing per call over both addresses with round robin;
CreateSession calls (each with its request_id) while one replica of each is SIGKILLed.
No call fails that a retry could have saved; every session is created once, its
scheduling.session.booked event published once, and billing auto-invoices it once (the
surviving billing replica takes over the shared durable consumer)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from pathlib import Path

import grpc
from sqlalchemy import func, select

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_billing import main as billing_main
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually
from shutterbook_gateway.upstreams import BILLING_IDEMPOTENT, BILLING_SERVICE, SCHEDULING_IDEMPOTENT, SCHEDULING_SERVICE
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_client import open_channel
from shutterbook_kit.messaging import NatsConnection
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.storage.models import SessionRow
from tests.helpers import COMPANY_A, start_service_process, wait_serving
from tests.scheduling_support import at, client_message, day, publish_client_event

CALLS = 120
CONCURRENCY = 6
KILL_AFTER = CALLS // 3
FAST = {
    "SHUTTERBOOK_OUTBOX_LEASE_SECONDS": "2",
    "SHUTTERBOOK_CONSUMER_ACK_WAIT_SECONDS": "2",
    "SHUTTERBOOK_SHUTDOWN_DRAIN_SECONDS": "0",
}
META = company_metadata(COMPANY_A)


async def _sessions(url: str) -> int:
    db = Database(url)
    try:
        async with db.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(SessionRow)) or 0)
    finally:
        await db.dispose()


async def _invoices(stub: billing_pb2_grpc.BillingServiceAsyncStub) -> list[billing_pb2.Invoice]:
    found: list[billing_pb2.Invoice] = []
    token = ""
    for _ in range(50):  # bounded paging
        page = await stub.ListInvoices(billing_pb2.ListInvoicesRequest(page_size=100, page_token=token), metadata=META)
        found += page.invoices
        token = page.next_page_token
        if not token:
            break
    return found


async def test_scheduling_and_billing_replicas_survive_a_kill_under_booking_load(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    scheduling_db = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    billing_db = await databases.new("billing", migrate_with=billing_main.MIGRATIONS)
    replicas: dict[str, subprocess.Popen[bytes]] = {}
    ports: dict[str, int] = {}
    for name in ("scheduling-a", "scheduling-b", "billing-a", "billing-b"):
        service = name.split("-")[0]
        ports[name] = free_port()
        url = scheduling_db if service == "scheduling" else billing_db
        replicas[name] = start_service_process(
            service, url, nats_server.url, ports[name], tmp_path / f"{name}.log", **FAST
        )
    channels: list[grpc.aio.Channel] = []
    try:
        for name, process in replicas.items():
            await wait_serving(ports[name], process)

        def balanced(service: str, full_name: str, methods: list[str]) -> grpc.aio.Channel:
            target = f"ipv4:127.0.0.1:{ports[service + '-a']},127.0.0.1:{ports[service + '-b']}"
            channel = open_channel(target, full_name, methods)
            channels.append(channel)
            return channel

        scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(
            balanced("scheduling", SCHEDULING_SERVICE, SCHEDULING_IDEMPOTENT)
        )
        billing: billing_pb2_grpc.BillingServiceAsyncStub = billing_pb2_grpc.BillingServiceStub(
            balanced("billing", BILLING_SERVICE, BILLING_IDEMPOTENT)
        )

        # a studio: a priced session type, a location, a photographer; one known client
        item = await billing.CreatePriceListItem(
            billing_pb2.CreatePriceListItemRequest(
                price_list_item=billing_pb2.PriceListItem(
                    display_name="Session Fee",
                    sku="FEE",
                    unit_price=money_pb2.Money(currency_code="USD", amount_minor=5000),
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=META,
        )
        location = await scheduling.CreateLocation(
            pb.CreateLocationRequest(
                location=pb.Location(display_name="Downtown", time_zone="America/New_York"),
                request_id=str(uuid.uuid4()),
            ),
            metadata=META,
        )
        staff = await scheduling.CreateStaffMember(
            pb.CreateStaffMemberRequest(
                staff_member=pb.StaffMember(display_name="John Doe", roles=[pb.STAFF_ROLE_PHOTOGRAPHER]),
                request_id=str(uuid.uuid4()),
            ),
            metadata=META,
        )
        photographer = await scheduling.CreateSchedule(
            pb.CreateScheduleRequest(
                schedule=pb.Schedule(
                    display_name="John Doe",
                    kind=pb.SCHEDULE_KIND_STAFF,
                    staff_member=staff.name,
                    location=location.name,
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=META,
        )
        session_type = await scheduling.CreateSessionType(
            pb.CreateSessionTypeRequest(
                session_type=pb.SessionType(
                    display_name="Mini Session",
                    color="#E67E22",
                    default_duration_minutes=30,
                    auto_create_invoice=True,
                    price_list_items=[item.name],
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=META,
        )
        client = client_message("Scale")
        await publish_client_event(
            nats_server.url, COMPANY_A, "clients.client.created", client_events.ClientCreatedEvent(client=client)
        )

        async def client_known() -> bool:
            listed = await scheduling.ListKnownClients(pb.ListKnownClientsRequest(), metadata=META)
            return len(listed.known_clients) == 1

        await eventually(client_known, what="the client known to scheduling")

        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(CALLS):
            queue.put_nowait(i)
        failures: list[str] = []
        done = 0

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                i = queue.get_nowait()
                # 20 back-to-back half hours a day for the one photographer: no two overlap
                session = pb.Session(
                    client=client.name,
                    session_type=session_type.name,
                    location=location.name,
                    session_date=day(2027, 3, 1 + i // 20),
                    start=at(8 + (i % 20) // 2, 30 * (i % 2)),
                    photographer=photographer.name,
                    description=f"Load {i}",
                )
                request = pb.CreateSessionRequest(
                    session=session, request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"s{i}"))
                )
                try:
                    await scheduling.CreateSession(request, metadata=META, timeout=20)
                except Exception as exc:  # recorded and asserted below
                    failures.append(f"{i}: {exc!r}")
                done += 1
                if done == KILL_AFTER:
                    replicas["scheduling-a"].send_signal(signal.SIGKILL)
                    replicas["billing-a"].send_signal(signal.SIGKILL)

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(CONCURRENCY))), timeout=180)
        assert replicas["scheduling-a"].wait(10) == -signal.SIGKILL
        assert replicas["billing-a"].wait(10) == -signal.SIGKILL
        assert failures == []
        assert await _sessions(scheduling_db) == CALLS

        async def all_invoiced() -> list[billing_pb2.Invoice] | None:
            invoices = await _invoices(billing)
            return invoices if len(invoices) >= CALLS else None

        await eventually(all_invoiced, timeout=90, what="an auto-invoice for every session")
        await asyncio.sleep(3)  # room for a late redelivery to show up as a second invoice
        invoices = await _invoices(billing)
        assert len(invoices) == CALLS
        assert len({inv.session for inv in invoices}) == CALLS  # one per session

        probe = NatsConnection(nats_server.url, name="probe")
        probe.start()
        js = await probe.jetstream()
        booked = await js.pull_subscribe("scheduling.session.booked", stream="SCHEDULING")
        seen: list[str] = []
        for _ in range(100):  # bounded
            try:
                batch = await booked.fetch(100, timeout=1)
            except TimeoutError:
                break
            seen += [m.headers.get("Nats-Msg-Id", "") if m.headers else "" for m in batch]
        await probe.close()
        assert len(seen) == CALLS  # one booked event per session, whichever replica relayed it
        assert len(set(seen)) == CALLS
    finally:
        for channel in channels:
            await channel.close()
        for process in replicas.values():
            if process.poll() is None:
                process.terminate()
        for process in replicas.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
