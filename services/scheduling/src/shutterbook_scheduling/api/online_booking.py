"""Online time slots, holds and online booking (issue 6): the gRPC service and its workers.

Wired into the scheduling service by main.py: `SERVICE_NAMES` (health and reflection),
`register` (adds the servicer to the server) and `workers` (background tasks: none, holds
expire by themselves).
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import PermissionDenied
from shutterbook_kit.grpc_server import Worker
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.permissions import Permission, grants
from shutterbook_kit.settings import ServiceSettings
from shutterbook_scheduling.application import holds, online_appointments, online_bookings, online_slots
from shutterbook_scheduling.settings import HoldSettings, SchedulingSettings

SERVICE_NAMES: list[str] = [opb.DESCRIPTOR.services_by_name["OnlineBookingService"].full_name]

Context = grpc.aio.ServicerContext[Any, Any]


def _company() -> str:
    return tenancy.current().company_id


def _require(permission: Permission) -> None:
    """PERMISSION_DENIED unless the caller has `permission` besides the method's own."""
    caller = tenancy.current_caller()
    if caller is not None and permission not in grants(caller):
        raise PermissionDenied(f"this request needs {permission.value}", metadata={"permission": permission.value})


class OnlineBookingServicer(online_pb2_grpc.OnlineBookingServiceServicer):
    def __init__(self, db: Database, holds: HoldSettings) -> None:
        self.db = db
        self.holds = holds

    async def CreateTimeSlot(self, request: opb.CreateTimeSlotRequest, context: Context) -> opb.TimeSlot:
        return await online_slots.create_time_slot(self.db, _company(), request)

    async def GenerateTimeSlots(
        self, request: opb.GenerateTimeSlotsRequest, context: Context
    ) -> opb.GenerateTimeSlotsResponse:
        return await online_slots.generate_time_slots(self.db, _company(), request)

    async def GetTimeSlot(self, request: opb.GetTimeSlotRequest, context: Context) -> opb.TimeSlot:
        return await online_slots.get_time_slot(self.db, _company(), request.name)

    async def ListTimeSlots(self, request: opb.ListTimeSlotsRequest, context: Context) -> opb.ListTimeSlotsResponse:
        return await online_slots.list_time_slots(self.db, _company(), request)

    async def UpdateTimeSlot(self, request: opb.UpdateTimeSlotRequest, context: Context) -> opb.TimeSlot:
        return await online_slots.update_time_slot(self.db, _company(), request)

    async def DeleteTimeSlot(self, request: opb.DeleteTimeSlotRequest, context: Context) -> empty_pb2.Empty:
        await online_slots.delete_time_slot(self.db, _company(), request.name)
        return empty_pb2.Empty()

    async def ListOpenSlots(self, request: opb.ListOpenSlotsRequest, context: Context) -> opb.ListOpenSlotsResponse:
        return await online_slots.list_open_slots(self.db, _company(), request)

    async def HoldSlot(self, request: opb.HoldSlotRequest, context: Context) -> opb.SlotHold:
        if request.HasField("client_details"):
            _require(Permission.CLIENTS_WRITE)  # the hold then records the client, as EnsureKnownClient does
        return await holds.hold_slot(self.db, _company(), request, self.holds)

    async def ReleaseHold(self, request: opb.ReleaseHoldRequest, context: Context) -> opb.SlotHold:
        return await holds.release_hold(self.db, _company(), request)

    async def BookOnline(self, request: opb.BookOnlineRequest, context: Context) -> pb.Session:
        return await online_bookings.book_online(self.db, _company(), request, self.holds)

    async def CancelOnlineBooking(self, request: opb.CancelOnlineBookingRequest, context: Context) -> pb.Session:
        return await online_bookings.cancel_online_booking(self.db, _company(), request)

    async def RescheduleOnlineBooking(
        self, request: opb.RescheduleOnlineBookingRequest, context: Context
    ) -> pb.Session:
        return await online_bookings.reschedule_online_booking(self.db, _company(), request, self.holds)

    async def BookAppointmentOnline(
        self, request: opb.BookAppointmentOnlineRequest, context: Context
    ) -> pb.Appointment:
        return await online_appointments.book_appointment_online(self.db, _company(), request, self.holds)

    async def CancelOnlineAppointment(
        self, request: opb.CancelOnlineAppointmentRequest, context: Context
    ) -> pb.Appointment:
        return await online_appointments.cancel_online_appointment(self.db, _company(), request)

    async def RescheduleOnlineAppointment(
        self, request: opb.RescheduleOnlineAppointmentRequest, context: Context
    ) -> pb.Appointment:
        return await online_appointments.reschedule_online_appointment(self.db, _company(), request, self.holds)


def register(server: grpc.aio.Server, db: Database, settings: ServiceSettings, own: SchedulingSettings) -> None:
    """Add the OnlineBookingService servicer to the server."""
    online_pb2_grpc.add_OnlineBookingServiceServicer_to_server(OnlineBookingServicer(db, own.holds), server)


def workers(db: Database, nats: NatsConnection, settings: ServiceSettings, own: SchedulingSettings) -> list[Worker]:
    """None: an expired hold frees its slot by itself (reads ignore it, writes clean it up)."""
    return []
