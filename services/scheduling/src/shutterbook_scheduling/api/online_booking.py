"""Online time slots, holds and online booking (issue 6): the gRPC service and its workers.

Wired into the scheduling service by main.py: `SERVICE_NAMES` (health and reflection),
`register` (adds the servicer to the server), `workers` (background tasks: none, holds
expire by themselves) and `listeners` (the open-slot answers' event feed).

ListOpenSlots answers from the process's read model of its answers
(`application.open_slot_answers`), kept as the response's bytes: its handler is registered
with no response serializer, so grpc sends the bytes as they are instead of a message parsed
back from them and serialized again (the interceptors, permission check and tracing wrap it as
they wrap every other method).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any, cast

import grpc
from google.protobuf import empty_pb2

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.broadcast import CacheFeed
from shutterbook_kit.db import Database
from shutterbook_kit.errors import PermissionDenied
from shutterbook_kit.grpc_server import Worker
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.permissions import Permission, grants
from shutterbook_kit.settings import ServiceSettings
from shutterbook_scheduling import events
from shutterbook_scheduling.api import hold_convert, online_entry_convert, slot_convert
from shutterbook_scheduling.application import holds, online_slots, reference_cache
from shutterbook_scheduling.application.open_slot_answers import OpenSlotAnswers
from shutterbook_scheduling.settings import HoldSettings, SchedulingSettings

SERVICE = opb.DESCRIPTOR.services_by_name["OnlineBookingService"].full_name
SERVICE_NAMES: list[str] = [SERVICE]

Context = grpc.aio.ServicerContext[Any, Any]


def _company() -> str:
    return tenancy.current().company_id


def _require(permission: Permission) -> None:
    """PERMISSION_DENIED unless the caller has `permission` besides the method's own."""
    caller = tenancy.current_caller()
    if caller is not None and permission not in grants(caller):
        raise PermissionDenied(f"this request needs {permission.value}", metadata={"permission": permission.value})


class OnlineBookingServicer(online_pb2_grpc.OnlineBookingServiceServicer):
    def __init__(self, db: Database, holds: HoldSettings, answers: OpenSlotAnswers) -> None:
        self.db = db
        self.holding = hold_convert.holding(holds)
        self.answers = answers

    async def CreateTimeSlot(self, request: opb.CreateTimeSlotRequest, context: Context) -> opb.TimeSlot:
        return await slot_convert.create_time_slot(self.db, _company(), request)

    async def GenerateTimeSlots(
        self, request: opb.GenerateTimeSlotsRequest, context: Context
    ) -> opb.GenerateTimeSlotsResponse:
        return await slot_convert.generate_time_slots(self.db, _company(), request)

    async def GetTimeSlot(self, request: opb.GetTimeSlotRequest, context: Context) -> opb.TimeSlot:
        return await slot_convert.get_time_slot(self.db, _company(), request.name)

    async def ListTimeSlots(self, request: opb.ListTimeSlotsRequest, context: Context) -> opb.ListTimeSlotsResponse:
        return await slot_convert.list_time_slots(self.db, _company(), request)

    async def UpdateTimeSlot(self, request: opb.UpdateTimeSlotRequest, context: Context) -> opb.TimeSlot:
        return await slot_convert.update_time_slot(self.db, _company(), request)

    async def DeleteTimeSlot(self, request: opb.DeleteTimeSlotRequest, context: Context) -> empty_pb2.Empty:
        await slot_convert.delete_time_slot(self.db, _company(), request.name)
        return empty_pb2.Empty()

    async def ListOpenSlots(self, request: opb.ListOpenSlotsRequest, context: Context) -> bytes:  # type: ignore[override]
        """The serialized ListOpenSlotsResponse (sent as it is: see `register`)."""
        company_id = _company()
        enabled = self.answers.enabled

        async def compute() -> online_slots.OpenSlotsAnswer:
            return await slot_convert.open_slots_answer(self.db, company_id, request, with_changes=enabled)

        # `cache-control: no-cache` (HTTP's meaning): compute now, whatever this process keeps
        fresh = any(k == "cache-control" and v == "no-cache" for k, v in context.invocation_metadata() or ())
        known = opb.ListOpenSlotsRequest()
        known.CopyFrom(request)
        known.DiscardUnknownFields()  # the key: what the answer depends on, nothing a caller pads it with
        return await self.answers.answer(company_id, known.SerializeToString(deterministic=True), compute, fresh=fresh)

    async def HoldSlot(self, request: opb.HoldSlotRequest, context: Context) -> opb.SlotHold:
        if request.HasField("client_details"):
            _require(Permission.CLIENTS_WRITE)  # the hold then records the client, as EnsureKnownClient does
        hold = hold_convert.hold_request(request)
        once = hold_convert.hold_once(self.db, _company(), request)
        return await holds.hold_slot(_company(), hold, self.holding, once)

    async def ReleaseHold(self, request: opb.ReleaseHoldRequest, context: Context) -> opb.SlotHold:
        once = hold_convert.release_once(self.db, _company(), request)
        released = self.holding.released
        return await holds.release_hold(_company(), request.name, request.request_id, released, once)

    async def BookOnline(self, request: opb.BookOnlineRequest, context: Context) -> pb.Session:
        if request.HasField("client_details"):
            _require(Permission.CLIENTS_WRITE)  # the booking then records the client, as EnsureKnownClient does
        return await online_entry_convert.book_online(self.db, _company(), request, self.holding)

    async def CancelOnlineBooking(self, request: opb.CancelOnlineBookingRequest, context: Context) -> pb.Session:
        return await online_entry_convert.cancel_online_booking(self.db, _company(), request)

    async def RescheduleOnlineBooking(
        self, request: opb.RescheduleOnlineBookingRequest, context: Context
    ) -> pb.Session:
        return await online_entry_convert.reschedule_online_booking(self.db, _company(), request, self.holding)

    async def BookAppointmentOnline(
        self, request: opb.BookAppointmentOnlineRequest, context: Context
    ) -> pb.Appointment:
        if request.HasField("client_details"):
            _require(Permission.CLIENTS_WRITE)
        return await online_entry_convert.book_appointment_online(self.db, _company(), request, self.holding)

    async def CancelOnlineAppointment(
        self, request: opb.CancelOnlineAppointmentRequest, context: Context
    ) -> pb.Appointment:
        return await online_entry_convert.cancel_online_appointment(self.db, _company(), request)

    async def RescheduleOnlineAppointment(
        self, request: opb.RescheduleOnlineAppointmentRequest, context: Context
    ) -> pb.Appointment:
        return await online_entry_convert.reschedule_online_appointment(self.db, _company(), request, self.holding)


# One read model per database of this process (a test may run two replicas in one process).
_ANSWERS: weakref.WeakKeyDictionary[Database, OpenSlotAnswers] = weakref.WeakKeyDictionary()


def answers_for(db: Database, own: SchedulingSettings) -> OpenSlotAnswers:
    """The process's open-slot answers over `db`, hearing `db`'s commits (made once)."""
    answers = _ANSWERS.get(db)
    if answers is None:
        answers = _ANSWERS[db] = OpenSlotAnswers(own.open_slots)
        db.commit_listeners.append(answers.committed)
    return answers


class _Capture:
    """Stands in for the server while the generated code builds the service's handlers."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    def add_generic_rpc_handlers(self, _handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        pass

    def add_registered_method_handlers(self, _service: str, handlers: Mapping[str, Any]) -> None:
        self.handlers.update(handlers)


def register(server: grpc.aio.Server, db: Database, settings: ServiceSettings, own: SchedulingSettings) -> None:
    """Add the OnlineBookingService servicer to the server: the generated handlers, but
    ListOpenSlots' without a response serializer (its servicer method returns the bytes)."""
    servicer = OnlineBookingServicer(db, own.holds, answers_for(db, own))
    reference_cache.install(db, own.reference_ttl_seconds)
    capture = _Capture()
    online_pb2_grpc.add_OnlineBookingServiceServicer_to_server(servicer, cast(grpc.aio.Server, capture))
    generated = capture.handlers["ListOpenSlots"]
    handlers = {
        **capture.handlers,
        "ListOpenSlots": grpc.unary_unary_rpc_method_handler(
            servicer.ListOpenSlots, request_deserializer=generated.request_deserializer, response_serializer=None
        ),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_registered_method_handlers(SERVICE, handlers)


def workers(db: Database, nats: NatsConnection, settings: ServiceSettings, own: SchedulingSettings) -> list[Worker]:
    """None: an expired hold frees its slot by itself (reads ignore it, writes clean it up)."""
    return []


def listeners(db: Database, nats: NatsConnection, own: SchedulingSettings) -> list[CacheFeed]:
    """The open-slot answers' feed of scheduling's events and the reference cache's feed of
    setup changes (none for what is off)."""
    answers = answers_for(db, own)
    references = reference_cache.install(db, own.reference_ttl_seconds)
    return [
        *([CacheFeed(nats, answers, events.PUBLISHED, name="scheduling-open-slot-answers")] if answers.enabled else []),
        *(
            [CacheFeed(nats, references, events.REFERENCE_EVENTS, name="scheduling-reference-cache")]
            if references.enabled
            else []
        ),
    ]
