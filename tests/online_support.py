"""Helpers of the online-booking tests: the scheduling service with an OnlineBookingService
stub on the same port, a studio whose session type is offered online, and slot builders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
from google.protobuf import field_mask_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.settings import SchedulingSettings
from tests.scheduling_support import A, SchedulingService, Studio, make_studio, scheduling_service


@dataclass
class OnlineService:
    svc: SchedulingService
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub


@asynccontextmanager
async def online_service(
    databases: DatabaseFactory,
    nats_url: str,
    *,
    database_url: str | None = None,
    own: SchedulingSettings | None = None,
) -> AsyncIterator[OnlineService]:
    """The scheduling service (see `scheduling_service`) with a stub of its online booking."""
    async with (
        scheduling_service(databases, nats_url, database_url=database_url, own=own) as svc,
        grpc.aio.insecure_channel(f"127.0.0.1:{svc.host.port}") as channel,
    ):
        yield OnlineService(svc, online_pb2_grpc.OnlineBookingServiceStub(channel))


async def make_online_studio(
    svc: SchedulingService,
    meta: tuple[tuple[str, str], ...] = A,
    *,
    auto_remove: bool = True,
    time_zone: str = "America/New_York",
    buffers: tuple[int, int] = (0, 0),
) -> Studio:
    """A studio whose session type is available online, with the online statuses set."""
    studio = await make_studio(svc, meta, time_zone=time_zone, buffers=buffers)
    statuses = {}
    for label in ("Booked - Online", "Cancelled - Online", "Rescheduled - Online"):
        statuses[label] = await svc.stub.CreateSessionStatus(
            pb.CreateSessionStatusRequest(
                session_status=pb.SessionStatus(display_name=f"{label} {studio.session_type.name[-4:]}")
            ),
            metadata=meta,
        )
    online = pb.OnlineBookingSettings(
        available_online=True,
        auto_remove_conflicting_slots=auto_remove,
        booked_online_status=statuses["Booked - Online"].name,
        cancelled_online_status=statuses["Cancelled - Online"].name,
        rescheduled_online_status=statuses["Rescheduled - Online"].name,
    )
    studio.session_type = await svc.stub.UpdateSessionType(
        pb.UpdateSessionTypeRequest(
            session_type=pb.SessionType(name=studio.session_type.name, online=online),
            update_mask=field_mask_pb2.FieldMask(paths=["online"]),
        ),
        metadata=meta,
    )
    return studio


def pdate(value: date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def future_day(studio: Studio, days: int = 7) -> date:
    """A local date `days` from today in the studio's zone."""
    return utcnow().astimezone(ZoneInfo(studio.location.time_zone)).date() + timedelta(days=days)


def slot(
    studio: Studio, when: date, start: tuple[int, int], end: tuple[int, int], schedules: list[str] | None = None
) -> opb.TimeSlot:
    return opb.TimeSlot(
        location=studio.location.name,
        session_type=studio.session_type.name,
        schedules=schedules if schedules is not None else [studio.photographer.name],
        date=pdate(when),
        start=pb.TimeOfDay(hours=start[0], minutes=start[1]),
        end=pb.TimeOfDay(hours=end[0], minutes=end[1]),
        published=True,
    )


async def create_slot(o: OnlineService, slot_msg: opb.TimeSlot, meta: tuple[tuple[str, str], ...] = A) -> opb.TimeSlot:
    return await o.online.CreateTimeSlot(opb.CreateTimeSlotRequest(time_slot=slot_msg), metadata=meta)


async def open_names(o: OnlineService, studio: Studio, first: date, last: date | None = None) -> list[str]:
    found = await o.online.ListOpenSlots(
        opb.ListOpenSlotsRequest(
            session_type=studio.session_type.name,
            location=studio.location.name,
            start_date=pdate(first),
            end_date=pdate(last or first),
        ),
        metadata=A,
    )
    return [s.name for s in found.time_slots]


async def offer_appointment_type_online(
    svc: SchedulingService, studio: Studio, meta: tuple[tuple[str, str], ...] = A, *, auto_remove: bool = True
) -> pb.AppointmentType:
    """Make the studio's appointment type available online (with auto-remove)."""
    studio.appointment_type = await svc.stub.UpdateAppointmentType(
        pb.UpdateAppointmentTypeRequest(
            appointment_type=pb.AppointmentType(
                name=studio.appointment_type.name,
                online=pb.OnlineBookingSettings(available_online=True, auto_remove_conflicting_slots=auto_remove),
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["online"]),
        ),
        metadata=meta,
    )
    return studio.appointment_type


def appointment_slot(
    studio: Studio, when: date, start: tuple[int, int], end: tuple[int, int], schedules: list[str] | None = None
) -> opb.TimeSlot:
    """A slot selling the studio's appointment type."""
    msg = slot(studio, when, start, end, schedules)
    msg.session_type = ""
    msg.appointment_type = studio.appointment_type.name
    return msg


async def open_appointment_names(o: OnlineService, studio: Studio, first: date) -> list[str]:
    found = await o.online.ListOpenSlots(
        opb.ListOpenSlotsRequest(
            appointment_type=studio.appointment_type.name,
            location=studio.location.name,
            start_date=pdate(first),
            end_date=pdate(first),
        ),
        metadata=A,
    )
    return [s.name for s in found.time_slots]


async def until(instant: datetime) -> None:
    """Wait (bounded) until the clock has passed `instant` (a hold's expiry, say)."""
    for _ in range(100):
        left = (instant - utcnow()).total_seconds()
        if left < 0:
            return
        await asyncio.sleep(min(left + 0.05, 1.0))
    raise AssertionError("the clock did not pass the hold's expiry")
