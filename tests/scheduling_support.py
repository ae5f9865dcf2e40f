"""Helpers of the scheduling service's tests: the service in this process on a loopback
port, clients made known to it by real `clients.client.*` events on the real NATS server,
and a small studio (location, staff, schedules, types) to book on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import grpc
import nats
import nats.js.errors
from google.protobuf.message import Message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.common.v1 import date_pb2
from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_devstack.loopback import read_outbox
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually, running, service_settings
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.messaging import StreamSpec
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.settings import SchedulingSettings

COMPANY_A = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
COMPANY_B = "0b7e6f3a-2222-4b4b-8b8b-00000000000b"
A = company_metadata(COMPANY_A)
B = company_metadata(COMPANY_B)


@dataclass
class SchedulingService:
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub
    database_url: str
    nats_url: str
    host: ServiceHost

    async def outbox(self, subject_prefix: str = "scheduling.") -> list[common_events.EventEnvelope]:
        """The events written so far (published or not), oldest first."""
        return await read_outbox(self.database_url, subject_prefix)


@asynccontextmanager
async def scheduling_service(
    databases: DatabaseFactory,
    nats_url: str,
    *,
    database_url: str | None = None,
    reminder_interval: float = 5.0,
    own: SchedulingSettings | None = None,
) -> AsyncIterator[SchedulingService]:
    """The scheduling service on a fresh migrated database (or the given one: a replica),
    started with its own settings `own` (default: the defaults, reminders every
    `reminder_interval` seconds); nothing is read from the environment."""
    url = database_url or await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    settings = own if own is not None else SchedulingSettings(reminder_interval_seconds=reminder_interval)
    host = scheduling_main.build(service_settings("scheduling", url, nats_url), settings)

    async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        yield SchedulingService(scheduling_pb2_grpc.SchedulingServiceStub(channel), url, nats_url, host)


# --- clients, as the clients service announces them ----------------------------------------


def client_message(given: str, *, members: list[str] | None = None, family: str = "Tester") -> clients_pb2.Client:
    client_id = str(uuid.uuid4())
    client = clients_pb2.Client(name=f"clients/{client_id}", given_name=given, family_name=family)
    client.update_time.FromDatetime(utcnow())
    client.create_time.FromDatetime(utcnow())
    for member in members or []:
        client.family_members.add(
            name=f"clients/{client_id}/familyMembers/{uuid.uuid4()}",
            given_name=member,
            relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD,
        )
    return client


async def publish_client_event(
    nats_url: str, company_id: str, subject: str, event: Message, *, event_id: str = "", again: bool = False
) -> str:
    """Publish a clients event on the real CLIENTS stream, as the clients service's relay does
    (the stream exists once scheduling's consumer has started). Returns its event id (`event_id`,
    else a new one); `again`: under a new message id, as a redelivery brings the event again."""
    connection = await nats.connect(nats_url, name="test-clients-publisher")
    try:
        js = connection.jetstream(timeout=5)

        async def stream_ready() -> bool:
            try:
                await js.stream_info(StreamSpec("clients").name)
                return True
            except nats.js.errors.NotFoundError:
                return False

        await eventually(stream_ready, what="the CLIENTS stream")
        envelope = common_events.EventEnvelope(
            event_id=event_id or str(uuid.uuid4()), subject=subject, company_id=company_id, source="clients"
        )
        envelope.occur_time.FromDatetime(utcnow())
        envelope.payload.Pack(event)
        msg_id = str(uuid.uuid4()) if again else envelope.event_id
        await js.publish(subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": msg_id})
    finally:
        await connection.close()
    return envelope.event_id


async def apply_a_member_concurrently(conn: AsyncConnection, company_id: str, client_id: str) -> None:
    """On `conn` (its transaction left open: the client's row stays locked until it ends), what a
    concurrent applier of a version with a family member writes: the row counted, the member added."""
    key = {"company": company_id, "client": client_id}
    await conn.execute(
        text("UPDATE known_clients SET revision = revision + 1 WHERE company_id = :company AND client_id = :client"),
        key,
    )
    await conn.execute(
        text(
            "INSERT INTO known_family_members (company_id, client_id, member_id, display_name)"
            " VALUES (:company, :client, :member, 'Kid Tester')"
        ),
        {**key, "member": str(uuid.uuid4())},
    )


async def known(svc: SchedulingService, company_id: str, client: clients_pb2.Client) -> pb.KnownClient | None:
    try:
        return await svc.stub.GetKnownClient(
            pb.GetKnownClientRequest(name=client.name.replace("clients/", "knownClients/")),
            metadata=company_metadata(company_id),
        )
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


async def make_known_client(
    svc: SchedulingService, company_id: str, given: str, *, members: list[str] | None = None
) -> clients_pb2.Client:
    client = client_message(given, members=members)
    await publish_client_event(
        svc.nats_url, company_id, "clients.client.created", client_events.ClientCreatedEvent(client=client)
    )
    await eventually(lambda: known(svc, company_id, client), what=f"client {given} known to scheduling")
    return client


# --- a studio to book on ----------------------------------------------------------------------


@dataclass
class Studio:
    location: pb.Location
    photographer: pb.Schedule
    assistant: pb.Schedule
    room: pb.Schedule
    session_type: pb.SessionType
    appointment_type: pb.AppointmentType
    other_photographers: list[pb.Schedule] = field(default_factory=list)


async def make_studio(
    svc: SchedulingService,
    meta: tuple[tuple[str, str], ...] = A,
    *,
    time_zone: str = "America/New_York",
    buffers: tuple[int, int] = (0, 0),
    name: str = "Downtown Studio",
) -> Studio:
    s = svc.stub
    location = await s.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name=name, time_zone=time_zone)), metadata=meta
    )

    async def staff_schedule(person: str, role: pb.StaffRole.ValueType) -> pb.Schedule:
        staff = await s.CreateStaffMember(
            pb.CreateStaffMemberRequest(staff_member=pb.StaffMember(display_name=person, roles=[role])), metadata=meta
        )
        return await s.CreateSchedule(
            pb.CreateScheduleRequest(
                schedule=pb.Schedule(
                    display_name=person,
                    kind=pb.SCHEDULE_KIND_STAFF,
                    staff_member=staff.name,
                    location=location.name,
                )
            ),
            metadata=meta,
        )

    photographer = await staff_schedule("John Doe", pb.STAFF_ROLE_PHOTOGRAPHER)
    assistant = await staff_schedule("Mary Smith", pb.STAFF_ROLE_ASSISTANT)
    room = await s.CreateSchedule(
        pb.CreateScheduleRequest(
            schedule=pb.Schedule(display_name="Camera room", kind=pb.SCHEDULE_KIND_RESOURCE, location=location.name)
        ),
        metadata=meta,
    )
    session_type = await s.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name=f"Family Portrait {uuid.uuid4().hex[:4]}",
                color="#4A90D9",
                default_duration_minutes=60,
                buffer_before_minutes=buffers[0],
                buffer_after_minutes=buffers[1],
                auto_create_invoice=True,
                price_list_items=[f"priceListItems/{uuid.uuid4()}"],
            )
        ),
        metadata=meta,
    )
    appointment_type = await s.CreateAppointmentType(
        pb.CreateAppointmentTypeRequest(
            appointment_type=pb.AppointmentType(
                display_name=f"Consultation {uuid.uuid4().hex[:4]}", color="#E67E22", default_duration_minutes=30
            )
        ),
        metadata=meta,
    )
    return Studio(location, photographer, assistant, room, session_type, appointment_type)


def day(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


def at(hours: int, minutes: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=hours, minutes=minutes)


def session_request(
    studio: Studio,
    client: clients_pb2.Client,
    when: date_pb2.Date,
    start: pb.TimeOfDay,
    end: pb.TimeOfDay | None = None,
    **fields: object,
) -> pb.Session:
    session = pb.Session(
        client=client.name,
        session_type=studio.session_type.name,
        location=studio.location.name,
        session_date=when,
        start=start,
        photographer=studio.photographer.name,
        description="Family portrait",
    )
    if end is not None:
        session.end.CopyFrom(end)
    for key, value in fields.items():
        if isinstance(value, Message):
            getattr(session, key).CopyFrom(value)
        elif isinstance(value, list):
            getattr(session, key).extend(value)
        else:
            setattr(session, key, value)
    return session


def zone_with_room() -> str:
    """A zone where a session 40 to 50 minutes from now starts and ends on the same local day."""
    for name in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney", "Europe/Berlin"):
        if 1 <= datetime.now(UTC).astimezone(ZoneInfo(name)).hour <= 21:
            return name
    raise AssertionError("no zone with room")


async def announce_client(svc: SchedulingService, given: str, family: str, email: str) -> clients_pb2.Client:
    """A client of COMPANY_A with an email, as the clients service announces it, once scheduling
    knows it."""
    client = client_message(given, family=family)
    client.emails.append(email)
    await publish_client_event(
        svc.nats_url, COMPANY_A, "clients.client.created", client_events.ClientCreatedEvent(client=client)
    )

    async def seen() -> bool:
        return await known(svc, COMPANY_A, client) is not None

    await eventually(seen, what=f"client {given} known to scheduling")
    return client
