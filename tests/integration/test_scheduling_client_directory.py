"""Scheduling's client directory from real `clients.client.*` events: family members (the
only allowed participants), updates, deletes (no new sessions), and merges (sessions and
appointments follow the surviving client)."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.scheduling_support import (
    COMPANY_A,
    A,
    SchedulingService,
    at,
    day,
    known,
    make_known_client,
    make_studio,
    publish_client_event,
    scheduling_service,
    session_request,
)


async def _revision(svc: SchedulingService, client_name: str) -> int:
    db = Database(svc.database_url)
    try:
        async with db.engine.connect() as conn:
            value = await conn.scalar(
                select(KnownClientRow.revision).where(KnownClientRow.client_id == client_name.removeprefix("clients/"))
            )
            return int(value or 0)
    finally:
        await db.dispose()


async def test_family_update_delete_merge(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        ivy = await make_known_client(svc, COMPANY_A, "Ivy", members=["Jo"])
        kim = await make_known_client(svc, COMPANY_A, "Kim", members=["Lu"])
        seen = await known(svc, COMPANY_A, ivy)
        assert seen is not None
        assert [(m.name, m.display_name) for m in seen.family_members] == [(ivy.family_members[0].name, "Jo Tester")]

        # an update adds a family member, who may then take part
        ivy.family_members.add(name=f"{ivy.name}/familyMembers/8d0c1c8e-5a55-4d6b-9d7e-3f1b2a4c5d6e", given_name="Max")
        ivy.update_time.FromDatetime(utcnow())
        await publish_client_event(
            svc.nats_url,
            COMPANY_A,
            "clients.client.updated",
            client_events.ClientUpdatedEvent(client=ivy, changed_paths=["family_members"]),
        )

        async def has_two_members() -> bool:
            found = await known(svc, COMPANY_A, ivy)
            return found is not None and len(found.family_members) == 2

        await eventually(has_two_members, what="the new family member")
        assert await _revision(svc, ivy.name) == 2
        session = await s.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(
                    studio, ivy, day(2026, 9, 1), at(10), participants=[m.name for m in ivy.family_members]
                )
            ),
            metadata=A,
        )
        kim_session = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, kim, day(2026, 9, 2), at(10))), metadata=A
        )
        consult = await s.CreateAppointment(
            pb.CreateAppointmentRequest(
                appointment=pb.Appointment(
                    appointment_type=studio.appointment_type.name,
                    client=kim.name,
                    location=studio.location.name,
                    appointment_date=day(2026, 9, 1),
                    start=at(15),
                )
            ),
            metadata=A,
        )

        # Kim merged into Ivy: Kim's session and appointment are Ivy's now
        await publish_client_event(
            svc.nats_url,
            COMPANY_A,
            "clients.client.merged",
            client_events.ClientMergedEvent(surviving_client=ivy, merged_client=kim.name),
        )

        async def merged() -> bool:
            tab = await s.ListSessions(pb.ListSessionsRequest(client=ivy.name), metadata=A)
            return len(tab.sessions) == 2

        await eventually(merged, what="Kim's session under Ivy")
        moved = await s.GetSession(pb.GetSessionRequest(name=kim_session.name), metadata=A)
        assert moved.client == ivy.name
        assert not (await s.ListSessions(pb.ListSessionsRequest(client=kim.name), metadata=A)).sessions
        appointments = await s.ListAppointments(pb.ListAppointmentsRequest(client=ivy.name), metadata=A)
        assert [a.name for a in appointments.appointments] == [consult.name]
        assert appointments.appointments[0].client == ivy.name
        gone = await known(svc, COMPANY_A, kim)
        assert gone is not None
        assert gone.merged_into == ivy.name
        with pytest.raises(grpc.aio.AioRpcError) as merged_away:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, kim, day(2026, 9, 3), at(10))), metadata=A
            )
        assert list(rpc_violations(merged_away.value)) == ["session.client"]

        # a deleted client takes no new sessions; its sessions stay readable and cancellable
        await publish_client_event(
            svc.nats_url, COMPANY_A, "clients.client.deleted", client_events.ClientDeletedEvent(client=ivy)
        )

        async def deleted() -> bool:
            found = await known(svc, COMPANY_A, ivy)
            return found is not None and found.deleted

        await eventually(deleted, what="the delete")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, ivy, day(2026, 9, 4), at(10))), metadata=A
            )
        assert list(rpc_violations(refused.value)) == ["session.client"]
        cancelled = await s.CancelSession(pb.CancelSessionRequest(name=session.name), metadata=A)
        assert cancelled.cancelled
        assert await _revision(svc, ivy.name) == 4  # created, updated, merged (as survivor), deleted
