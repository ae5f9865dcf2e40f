"""Demo data for `make run`, created through the scheduling service's own gRPC API:
two locations in different time zones, staff and rooms, the shared catalogue's session
types, appointment types and statuses, and a few weeks of sessions and appointments.

Idempotent: every create carries a deterministic request_id (a retry returns the first
result), and sessions and appointments are only booked when the company has none yet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import grpc

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2, money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.tenancy import CallContext
from shutterbook_scheduling.company_demo import seed_demo_company

T = TypeVar("T")
CALLER = "demo-seed"
# Display prices of the online types (informational; the shared catalogue's session fees).
DISPLAY_PRICES = {"Family Portrait": 15000, "Mini Session": 7500}
# How the online types are paid (reference page 05, "Payment Options"): Family Portrait takes
# 50.00 of its session fee invoice at booking; Mini Session books without payment.
ONLINE_PAYMENTS = {"Family Portrait": (pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE, 5000)}
# What a customer who cancels online gets back: Family Portrait keeps a 25.00 fee of the 50.00
# taken; Mini Session (nothing taken) is free to cancel.
CANCELLATION = {
    "Family Portrait": (pb.CANCELLATION_POLICY_KEEP_FEE, 2500),
    "Mini Session": (pb.CANCELLATION_POLICY_REFUND_IN_FULL, 0),
}
CLIENT_WAIT_SECONDS = 30.0
WEEKS = 3
SESSIONS_A_DAY = 3  # at each location
# Clients the demo books: one per session at most (3 weeks x 5 days x 2 locations x 3).
BOOKED_CLIENTS = WEEKS * 5 * 2 * SESSIONS_A_DAY


def _rid(kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shutterbook-demo:{kind}:{key}"))


WEEKDAYS = [
    pb.DAY_OF_WEEK_MONDAY,
    pb.DAY_OF_WEEK_TUESDAY,
    pb.DAY_OF_WEEK_WEDNESDAY,
    pb.DAY_OF_WEEK_THURSDAY,
    pb.DAY_OF_WEEK_FRIDAY,
]


def _hours(start: int, end: int, days: list[pb.DayOfWeek.ValueType] = WEEKDAYS) -> list[pb.WeeklyHours]:
    return [pb.WeeklyHours(day=d, start=pb.TimeOfDay(hours=start), end=pb.TimeOfDay(hours=end)) for d in days]


LOCATIONS = [
    ("Downtown Studio", "America/New_York", ["120 Main Street"], "New York", "NY", "10001"),
    ("Bayside Studio", "America/Los_Angeles", ["8 Harbor Way"], "San Francisco", "CA", "94105"),
]
STAFF = [
    ("John Doe", [pb.STAFF_ROLE_PHOTOGRAPHER], "john@example.com"),
    ("Mary Smith", [pb.STAFF_ROLE_ASSISTANT], "mary@example.com"),
    ("Amanda Anderson", [pb.STAFF_ROLE_MAKEUP_ARTIST], "amanda@example.com"),
    ("Jane Peterson", [pb.STAFF_ROLE_VIDEOGRAPHER, pb.STAFF_ROLE_PHOTOGRAPHER], "jane@example.com"),
]
# (name, minutes, color, SKUs, auto-create invoice, available online)
SESSION_TYPES = [
    ("Family Portrait", 60, "#4A90D9", ["SESSION-FEE-FAMILY"], True, True),
    ("Deluxe Portrait", 90, "#9B59B6", ["SESSION-FEE-DELUXE", "PRINT-8X10"], True, False),
    ("School Portrait", 15, "#27AE60", ["SESSION-FEE-SCHOOL"], True, False),
    ("Mini Session", 30, "#E67E22", ["SESSION-FEE-MINI"], True, True),
]
APPOINTMENT_TYPES = [
    ("Consultation", 30, "#F1C40F", True),
    ("Sales Presentation", 60, "#E74C3C", True),
    ("Staff Meeting", 45, "#7F8C8D", False),
]


@dataclass(frozen=True)
class DemoCatalogue:
    """What the demo bookings are made with."""

    locations: list[pb.Location]
    photographers: list[pb.Schedule]
    assistants: list[pb.Schedule]
    rooms: list[pb.Schedule]
    session_types: list[pb.SessionType]
    appointment_types: list[pb.AppointmentType]


def _meta(company_id: str) -> tuple[tuple[str, str], ...]:
    return call_metadata(CallContext(company_id, CALLER))


async def seed_demo(
    channel: grpc.aio.Channel, company_id: str, clients: list[str], price_list_items: dict[str, str]
) -> None:
    """The catalogue, then (once scheduling has learned `clients` from their events) the bookings."""
    catalogue = await seed_demo_catalogue(channel, company_id, price_list_items)
    stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    meta = _meta(company_id)
    if (await stub.ListSessions(pb.ListSessionsRequest(page_size=1), metadata=meta)).sessions:
        return  # booked on an earlier run
    known = await _wait_for_clients(stub, meta, clients)
    if known:
        await _book_weeks(stub, meta, known, catalogue)


async def seed_demo_bookings(
    channel: grpc.aio.Channel, company_id: str, catalogue: DemoCatalogue, clients: list[clients_pb2.Client]
) -> None:
    """Three weeks of sessions and appointments for `clients` (as the clients service returned
    them), handed to scheduling at once with EnsureKnownClient instead of waiting for their
    events. Nothing when the company has sessions already."""
    stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    meta = _meta(company_id)
    if not clients or (await stub.ListSessions(pb.ListSessionsRequest(page_size=1), metadata=meta)).sessions:
        return
    booked = clients[:BOOKED_CLIENTS]
    for start in range(0, len(booked), 20):
        await asyncio.gather(
            *(
                stub.EnsureKnownClient(pb.EnsureKnownClientRequest(client=c), metadata=meta)
                for c in booked[start : start + 20]
            )
        )
    await _book_weeks(stub, meta, [c.name for c in booked], catalogue)


async def seed_demo_catalogue(
    channel: grpc.aio.Channel, company_id: str, price_list_items: dict[str, str]
) -> DemoCatalogue:
    """The company profile, statuses, locations, staff, schedules, session and appointment types
    (no clients needed)."""
    stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    meta = _meta(company_id)
    await seed_demo_company(channel, meta)

    statuses = {
        s.display_name: s
        for s in (await stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=meta)).session_statuses
    }
    for name, days in (("Session Booked - Online", 7), ("Session Cancelled - Online", 0), ("Proofs Ready", 14)):
        if name not in statuses:
            statuses[name] = await stub.CreateSessionStatus(
                pb.CreateSessionStatusRequest(
                    session_status=pb.SessionStatus(display_name=name, due_in_days=days),
                    request_id=_rid("status", name),
                ),
                metadata=meta,
            )

    locations: list[pb.Location] = []
    for name, zone, lines, city, region, postal in LOCATIONS:
        locations.append(
            await stub.CreateLocation(
                pb.CreateLocationRequest(
                    location=pb.Location(
                        display_name=name,
                        time_zone=zone,
                        address=pb.PostalAddress(
                            address_lines=lines,
                            locality=city,
                            administrative_area=region,
                            postal_code=postal,
                            region_code="US",
                        ),
                        studio_hours=_hours(9, 18),
                        lunch_periods=_hours(12, 13),
                    ),
                    request_id=_rid("location", name),
                ),
                metadata=meta,
            )
        )

    staff: list[pb.StaffMember] = []
    for name, roles, email in STAFF:
        staff.append(
            await stub.CreateStaffMember(
                pb.CreateStaffMemberRequest(
                    staff_member=pb.StaffMember(display_name=name, roles=roles, email=email),
                    request_id=_rid("staff", name),
                ),
                metadata=meta,
            )
        )

    photographers: list[pb.Schedule] = []
    assistants: list[pb.Schedule] = []
    rooms: list[pb.Schedule] = []
    for location in locations:
        short = location.display_name.split()[0]
        for member in staff:
            schedule = await stub.CreateSchedule(
                pb.CreateScheduleRequest(
                    schedule=pb.Schedule(
                        display_name=f"{member.display_name} ({short})",
                        kind=pb.SCHEDULE_KIND_STAFF,
                        staff_member=member.name,
                        location=location.name,
                        working_hours=_hours(9, 17),
                    ),
                    request_id=_rid("schedule", f"{location.display_name}:{member.display_name}"),
                ),
                metadata=meta,
            )
            if pb.STAFF_ROLE_PHOTOGRAPHER in member.roles and member.display_name == "John Doe":
                photographers.append(schedule)
            if pb.STAFF_ROLE_ASSISTANT in member.roles:
                assistants.append(schedule)
        for room in ("Camera room", "Presentation room 1", "Presentation room 2"):
            schedule = await stub.CreateSchedule(
                pb.CreateScheduleRequest(
                    schedule=pb.Schedule(
                        display_name=f"{room} ({short})", kind=pb.SCHEDULE_KIND_RESOURCE, location=location.name
                    ),
                    request_id=_rid("schedule", f"{location.display_name}:{room}"),
                ),
                metadata=meta,
            )
            if room == "Camera room":
                rooms.append(schedule)

    session_types: list[pb.SessionType] = []
    for name, minutes, color, skus, invoice, online in SESSION_TYPES:
        online_settings = pb.OnlineBookingSettings(
            available_online=online,
            online_description=name if online else "",
            marketing_description=f"{name}: {minutes} minutes in the studio." if online else "",
            auto_remove_conflicting_slots=online,
            booked_online_status=statuses["Session Booked - Online"].name if online else "",
            cancelled_online_status=statuses["Session Cancelled - Online"].name if online else "",
        )
        if online:
            online_settings.display_price.CopyFrom(
                money_pb2.Money(currency_code="USD", amount_minor=DISPLAY_PRICES.get(name, 0))
            )
        if online and name in ONLINE_PAYMENTS:
            option, amount = ONLINE_PAYMENTS[name]
            online_settings.online_payment = True
            online_settings.payment_option = option
            if amount:
                online_settings.payment_amount.CopyFrom(money_pb2.Money(currency_code="USD", amount_minor=amount))
        if online and name in CANCELLATION:
            policy, fee = CANCELLATION[name]
            online_settings.cancellation_policy = policy
            if fee:
                online_settings.cancellation_fee.CopyFrom(money_pb2.Money(currency_code="USD", amount_minor=fee))
        session_types.append(
            await stub.CreateSessionType(
                pb.CreateSessionTypeRequest(
                    session_type=pb.SessionType(
                        display_name=name,
                        color=color,
                        default_duration_minutes=minutes,
                        buffer_after_minutes=15 if minutes >= 60 else 0,
                        price_list_items=[price_list_items[s] for s in skus if s in price_list_items],
                        auto_create_invoice=invoice,
                        online=online_settings,
                    ),
                    request_id=_rid("session-type", name),
                ),
                metadata=meta,
            )
        )
    appointment_types: list[pb.AppointmentType] = []
    for name, minutes, color, linked in APPOINTMENT_TYPES:
        appointment_types.append(
            await stub.CreateAppointmentType(
                pb.CreateAppointmentTypeRequest(
                    appointment_type=pb.AppointmentType(
                        display_name=name, color=color, default_duration_minutes=minutes, linked=linked
                    ),
                    request_id=_rid("appointment-type", name),
                ),
                metadata=meta,
            )
        )

    return DemoCatalogue(locations, photographers, assistants, rooms, session_types, appointment_types)


async def _wait_for_clients(
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub, meta: tuple[tuple[str, str], ...], clients: list[str]
) -> list[str]:
    """The given clients once scheduling has learned them from the clients events (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CLIENT_WAIT_SECONDS
    wanted = set(clients)
    while True:
        listed = await stub.ListKnownClients(pb.ListKnownClientsRequest(page_size=1000), metadata=meta)
        have = {k.client for k in listed.known_clients} & wanted
        if have == wanted or loop.time() > deadline:
            return [c for c in clients if c in have]
        await asyncio.sleep(0.25)


# Day-locations booked at once: each books its own photographer, assistant and room, so they
# never conflict with each other; overlapping their calls keeps both cores busy on the first
# `make run` (sequential, 90 sessions took about half of the demo's seconds).
PARALLEL_DAYS = 6


async def _book_weeks(
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub,
    meta: tuple[tuple[str, str], ...],
    clients: list[str],
    catalogue: DemoCatalogue,
) -> None:
    """Three weeks of weekday sessions from next Monday, a consult before some, a weekly
    meeting, booked one location's day at a time, a few of them side by side."""
    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    days = [monday + timedelta(days=7 * week + weekday) for week in range(WEEKS) for weekday in range(5)]
    units = [(day, li) for day in days for li in range(len(catalogue.locations))]
    gate = asyncio.Semaphore(PARALLEL_DAYS)

    async def book(n: int, day: date, li: int) -> None:
        async with gate:
            first = n * SESSIONS_A_DAY  # the unit's first client and session-type offset
            await _book_day(stub, meta, catalogue, day, li, clients, first, first_week=day < monday + timedelta(days=7))

    await asyncio.gather(*(book(n, day, li) for n, (day, li) in enumerate(units)))


async def _book_day(
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub,
    meta: tuple[tuple[str, str], ...],
    catalogue: DemoCatalogue,
    day: date,
    li: int,
    clients: list[str],
    first: int,
    *,
    first_week: bool,
) -> None:
    """One location's day: a Monday staff meeting, three sessions, a consult before Tuesday's first."""
    location, photographer, assistant = catalogue.locations[li], catalogue.photographers[li], catalogue.assistants[li]
    session_types, appointment_types = catalogue.session_types, catalogue.appointment_types
    d = date_pb2.Date(year=day.year, month=day.month, day=day.day)
    if day.weekday() == 0:
        await _try(
            stub.CreateAppointment(
                pb.CreateAppointmentRequest(
                    appointment=pb.Appointment(
                        appointment_type=appointment_types[2].name,
                        location=location.name,
                        appointment_date=d,
                        start=pb.TimeOfDay(hours=8, minutes=0),
                        schedules=[photographer.name, assistant.name],
                        description="Weekly staff meeting",
                    ),
                    request_id=_rid("meeting", f"{day}:{li}"),
                ),
                metadata=meta,
            )
        )
    for si, (hour, minute) in enumerate([(10, 0), (13, 30), (15, 30)]):
        count = first + si
        session_type = session_types[(count + si) % len(session_types)]
        session = await _try(
            stub.CreateSession(
                pb.CreateSessionRequest(
                    session=pb.Session(
                        client=clients[count % len(clients)],
                        description=f"{session_type.display_name} session",
                        session_type=session_type.name,
                        location=location.name,
                        session_date=d,
                        start=pb.TimeOfDay(hours=hour, minutes=minute),
                        photographer=photographer.name,
                        assistant=assistant.name if si == 0 else "",
                        camera_room=catalogue.rooms[li].name,
                        reminder_minutes=1440,
                        confirmed=first_week,
                    ),
                    request_id=_rid("session", f"{day}:{li}:{si}"),
                ),
                metadata=meta,
            )
        )
        if session is not None and si == 0 and day.weekday() == 1:
            await _try(
                stub.CreateAppointment(
                    pb.CreateAppointmentRequest(
                        appointment=pb.Appointment(
                            appointment_type=appointment_types[0].name,
                            session=session.name,
                            location=location.name,
                            appointment_date=d,
                            start=pb.TimeOfDay(hours=9, minutes=0),
                            schedules=[photographer.name],
                            description="Pre-session consult",
                        ),
                        request_id=_rid("consult", f"{day}:{li}"),
                    ),
                    metadata=meta,
                )
            )


async def _try(call: Awaitable[T]) -> T | None:
    """A booking that conflicts is skipped (the demo never books over a conflict)."""
    try:
        return await call
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.FAILED_PRECONDITION:
            return None
        raise
