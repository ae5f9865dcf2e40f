""" "Booked By" records the verified caller of the signed token: a staff member's name, the
partner key (`partner:<key id>`), never what an `x-shutterbook-caller` header says."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

import grpc
import httpx
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, caller_metadata, company_metadata
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.bulk_support import bulk_slice, seed_known_clients, template, wait_finished, weekday_rows
from tests.bulk_support import day as bulk_day
from tests.scheduling_support import (
    COMPANY_A,
    A,
    at,
    day,
    make_known_client,
    make_studio,
    scheduling_service,
    session_request,
)
from tests.stack_support import booking_body, booking_stack, offer_online

FRONT_DESK = Caller(
    COMPANY_A, CallerKind.STAFF, "staff-17", display_name="Ada Front", roles=frozenset({Role.FRONT_DESK})
)
PARTNER = Caller(COMPANY_A, CallerKind.PARTNER, "k3y1d")


async def test_booked_by_is_the_verified_caller(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        studio = await make_studio(svc)
        client = await make_known_client(svc, COMPANY_A, "Ada")
        # a header claiming someone else rides along, and is ignored
        metadata = (*caller_metadata(FRONT_DESK), ("x-shutterbook-caller", "somebody else"))
        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(10))),
            metadata=metadata,
        )
        assert session.booked_by == "Ada Front"
        # a partner key books online only (through the gateway), never as staff
        with pytest.raises(grpc.aio.AioRpcError) as partner:
            await svc.stub.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(12))),
                metadata=caller_metadata(PARTNER),
            )
        assert partner.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # a photographer may read the calendar but not book
        photographer = Caller(COMPANY_A, CallerKind.STAFF, "staff-9", roles=frozenset({Role.PHOTOGRAPHER}))
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await svc.stub.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(14))),
                metadata=caller_metadata(photographer),
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        listed = await svc.stub.ListSessions(pb.ListSessionsRequest(), metadata=caller_metadata(photographer))
        assert [x.name for x in listed.sessions] == [session.name]


async def test_booked_by_of_a_gateway_booking_is_the_partner_key(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
        assert created.status_code == 201, created.text
        session = await stack.services.scheduling.GetSession(
            pb.GetSessionRequest(name=f"sessions/{created.json()['id']}"), metadata=company_metadata(COMPANY_A)
        )
        key_id = stack.keys[COMPANY_A].split("_")[1]
        assert session.booked_by == f"partner:{key_id}"


async def test_a_photographer_changes_only_the_photo_day_fields_of_own_sessions(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        studio = await make_studio(svc)
        client = await make_known_client(svc, COMPANY_A, "Ada")
        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, client, day(2026, 6, 1), at(10), assistant=studio.assistant.name)
            ),
            metadata=caller_metadata(FRONT_DESK),
        )

        def photographer(schedule: str) -> tuple[tuple[str, str], ...]:
            return caller_metadata(
                Caller(
                    COMPANY_A,
                    CallerKind.STAFF,
                    f"staff-{schedule[-4:]}",
                    roles=frozenset({Role.PHOTOGRAPHER}),
                    staff_schedule_id=schedule.removeprefix("schedules/"),
                )
            )

        def update(metadata: tuple[tuple[str, str], ...], **fields: object) -> Awaitable[pb.Session]:
            changed = pb.Session(name=session.name, **fields)  # type: ignore[arg-type]
            return svc.stub.UpdateSession(
                pb.UpdateSessionRequest(session=changed, update_mask=field_mask_pb2.FieldMask(paths=list(fields))),
                metadata=metadata,
            )

        own, assisting = photographer(studio.photographer.name), photographer(studio.assistant.name)
        someone_else = photographer(f"schedules/{uuid.uuid4()}")
        assert (await update(own, confirmed=True)).confirmed
        assert (await update(assisting, no_show=True, redo=True)).redo
        for metadata, fields in (
            (someone_else, {"confirmed": False}),  # not their session
            (own, {"description": "Changed"}),  # not a photo-day field
            (own, {"confirmed": False, "description": "Changed"}),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await update(metadata, **fields)
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED, fields
        after = await svc.stub.GetSession(pb.GetSessionRequest(name=session.name), metadata=own)
        assert (after.confirmed, after.no_show, after.redo, after.description) == (
            True,
            True,
            True,
            session.description,
        )
        # the front desk changes anything
        assert (await update(caller_metadata(FRONT_DESK), description="Changed")).description == "Changed"


async def test_booked_by_of_a_bulk_job_is_the_staff_member_who_started_it(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """The runner books as a JOB caller named after the job's starter (from the starter's
    verified token): "Booked By" is the starter, the audit entry names the job and the starter,
    and a forged caller header on CreateBulkJob changes nothing."""
    manager = Caller(
        COMPANY_A, CallerKind.STAFF, "staff-3", display_name="Mia Manager", roles=frozenset({Role.MANAGER})
    )
    async with bulk_slice(databases, nats_server.url, with_clients=False) as s:
        studio = await make_studio(s.scheduling)
        clients = await seed_known_clients(s.scheduling.database_url, COMPANY_A, 3)
        rows = weekday_rows(bulk_day(2030, 3, 4), bulk_day(2030, 3, 4), minutes=20)
        forged = (*caller_metadata(manager), ("x-shutterbook-caller", "somebody else"))
        job = await s.bulk.CreateBulkJob(
            bpb.CreateBulkJobRequest(
                bulk_job=bpb.BulkJob(template=template(studio), time_slot_rows=rows), clients=clients
            ),
            metadata=forged,
        )
        assert job.created_by == "Mia Manager"
        finished = await wait_finished(s.bulk, job.name, A, timeout=60)
        assert (finished.done, finished.failures) == (3, 0)
        items = (await s.bulk.ListBulkJobItems(bpb.ListBulkJobItemsRequest(parent=job.name), metadata=A)).items
        for item in items:
            session = await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=item.session), metadata=A)
            assert session.booked_by == "Mia Manager"
            trail = await s.scheduling.stub.ListAuditEntries(
                audit_pb2.ListAuditEntriesRequest(parent=item.session), metadata=A
            )
            assert [(e.action, e.caller, e.caller_display_name) for e in trail.audit_entries] == [
                ("booked", f"job:{job.name.removeprefix('bulkJobs/')}", "Mia Manager")
            ]
