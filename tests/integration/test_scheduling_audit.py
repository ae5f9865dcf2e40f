"""Scheduling's audit trail through gRPC: a session booked, changed, rescheduled, held,
released and cancelled, an appointment, a session type and a time slot, each change an entry
naming the verified caller and the fields that changed; a refused change writes none; another
company's record, or one at a location the caller is not given, is NOT_FOUND. SQLite and
PostgreSQL."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2

from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, caller_metadata
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.audit_support import CALLER, changes, history
from tests.clients_support import rpc_error, violations
from tests.online_support import create_slot, future_day, online_service, slot
from tests.scheduling_support import COMPANY_A, A, B, at, day, make_known_client, make_studio, session_request

FRONT_DESK = Caller(
    COMPANY_A,
    CallerKind.STAFF,
    "staff-17",
    display_name="Ada Front",
    roles=frozenset({Role.FRONT_DESK}),
)
DESK = caller_metadata(FRONT_DESK)

Metadata = tuple[tuple[str, str], ...]


async def test_sessions_appointments_types_and_slots_keep_their_history(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub

        async def entries(parent: str, meta: Metadata = A, page_size: int = 0) -> list[audit_pb2.AuditEntry]:
            async def page(parent: str, page_size: int, page_token: str) -> audit_pb2.ListAuditEntriesResponse:
                request = audit_pb2.ListAuditEntriesRequest(parent=parent, page_size=page_size, page_token=page_token)
                return await s.ListAuditEntries(request, metadata=meta)

            return await history(page, parent, page_size)

        studio = await make_studio(o.svc)
        client = await make_known_client(o.svc, COMPANY_A, "Ada")
        june = day(2026, 6, 1)
        session = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, june, at(10))), metadata=DESK
        )
        other = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, june, at(14))), metadata=A
        )
        await s.UpdateSession(
            pb.UpdateSessionRequest(
                session=pb.Session(
                    name=session.name, description="Twins", notes="Bring the dog.\nPark round the back."
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["description", "notes"]),
            ),
            metadata=DESK,
        )
        # notes past their limit are a field violation, and change nothing
        too_long = await rpc_error(
            s.UpdateSession(
                pb.UpdateSessionRequest(
                    session=pb.Session(name=session.name, notes="x" * 10_001),
                    update_mask=field_mask_pb2.FieldMask(paths=["notes"]),
                ),
                metadata=DESK,
            )
        )
        assert "session.notes" in violations(too_long)
        kept = await s.GetSession(pb.GetSessionRequest(name=session.name), metadata=A)
        assert kept.notes == "Bring the dog.\nPark round the back."
        await s.RescheduleSession(
            pb.RescheduleSessionRequest(name=session.name, session_date=june, start=at(11)), metadata=DESK
        )
        # refused: the other session holds 14:00; no entry is written
        conflict = await rpc_error(
            s.RescheduleSession(
                pb.RescheduleSessionRequest(name=session.name, session_date=june, start=at(14)), metadata=DESK
            )
        )
        assert conflict.code() == grpc.StatusCode.FAILED_PRECONDITION
        await s.HoldSession(pb.HoldSessionRequest(name=session.name, on_hold=True), metadata=DESK)
        await s.HoldSession(pb.HoldSessionRequest(name=session.name, on_hold=False), metadata=DESK)
        await s.CancelSession(pb.CancelSessionRequest(name=session.name), metadata=DESK)

        found = await entries(session.name, page_size=2)  # paged: three pages, newest first
        assert [e.action for e in found] == ["cancelled", "released", "held", "rescheduled", "updated", "booked"]
        assert {(e.caller, e.caller_display_name) for e in found} == {("staff:staff-17", "Ada Front")}
        assert {e.record for e in found} == {session.name}
        cancelled, released, held, rescheduled, updated, booked = (changes(e) for e in found)
        assert updated == {
            "description": {"before": "Family portrait", "after": "Twins"},
            "notes": {"after": "Bring the dog.\nPark round the back."},
        }
        assert rescheduled["start.hours"] == {"before": 10, "after": 11}
        assert rescheduled["start_time"] == {"before": "2026-06-01T14:00:00Z", "after": "2026-06-01T15:00:00Z"}
        assert held == {"on_hold": {"before": False, "after": True}}
        assert released == {"on_hold": {"before": True, "after": False}}
        assert cancelled == {"cancelled": {"before": False, "after": True}}
        assert booked["booked_by"] == {"after": "Ada Front"}
        assert booked["location"] == {"after": studio.location.name}
        assert "update_time" not in booked
        # another session's history is its own, by its own caller
        assert [(e.action, e.caller) for e in await entries(other.name)] == [("booked", CALLER)]

        # an appointment
        appointment = await s.CreateAppointment(
            pb.CreateAppointmentRequest(
                appointment=pb.Appointment(
                    appointment_type=studio.appointment_type.name,
                    location=studio.location.name,
                    appointment_date=june,
                    start=at(16),
                    schedules=[studio.photographer.name],
                    description="Consult",
                )
            ),
            metadata=DESK,
        )
        await s.CancelAppointment(pb.CancelAppointmentRequest(name=appointment.name), metadata=DESK)
        assert [e.action for e in await entries(appointment.name)] == ["cancelled", "booked"]

        # a session type, changed by the test's service caller
        await s.UpdateSessionType(
            pb.UpdateSessionTypeRequest(
                session_type=pb.SessionType(name=studio.session_type.name, color="#000000"),
                update_mask=field_mask_pb2.FieldMask(paths=["color"]),
            ),
            metadata=A,
        )
        type_history = await entries(studio.session_type.name)
        assert [e.action for e in type_history] == ["updated", "created"]
        assert changes(type_history[0]) == {"color": {"before": "#4A90D9", "after": "#000000"}}

        # a time slot
        time_slot = await create_slot(o, slot(studio, future_day(studio), (9, 0), (10, 0)))
        await o.online.UpdateTimeSlot(
            opb.UpdateTimeSlotRequest(
                time_slot=opb.TimeSlot(name=time_slot.name, published=False),
                update_mask=field_mask_pb2.FieldMask(paths=["published"]),
            ),
            metadata=A,
        )
        slot_history = await entries(time_slot.name)
        assert [e.action for e in slot_history] == ["updated", "created"]
        assert changes(slot_history[0]) == {"published": {"before": True, "after": False}}

        # another company's record, and one at a location the caller is not given: NOT_FOUND
        assert (await rpc_error(entries(session.name, B))).code() == grpc.StatusCode.NOT_FOUND
        elsewhere = caller_metadata(
            Caller(
                COMPANY_A,
                CallerKind.STAFF,
                "staff-9",
                roles=frozenset({Role.FRONT_DESK}),
                location_ids=frozenset({"x"}),
            )
        )
        assert (await rpc_error(entries(session.name, elsewhere))).code() == grpc.StatusCode.NOT_FOUND
        company_wide = await entries(studio.session_type.name, elsewhere)
        assert [e.action for e in company_wide] == ["updated", "created"]
        # a parent that names no record of scheduling
        assert "parent" in violations(await rpc_error(entries("invoices/1")))
