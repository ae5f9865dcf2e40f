"""EnsureKnownClient: the booking gateway makes a client it has just created known to
scheduling and books at once, without waiting for `clients.client.created`; the version is
applied as the event handler applies it (family members included), a version not newer than
the one held changes nothing (not even the revision count), the company comes from the call,
and bad input names the field; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.online_support import create_slot, future_day, make_online_studio, online_service, slot
from tests.scheduling_support import COMPANY_A, A, B, SchedulingService, client_message, publish_client_event


async def _revision(svc: SchedulingService, company_id: str, client: clients_pb2.Client) -> int:
    db = Database(svc.database_url)
    try:
        async with db.engine.connect() as conn:
            value = await conn.scalar(
                select(KnownClientRow.revision).where(
                    KnownClientRow.company_id == company_id,
                    KnownClientRow.client_id == client.name.removeprefix("clients/"),
                )
            )
            return int(value or 0)
    finally:
        await db.dispose()


def _ensure(client: clients_pb2.Client) -> pb.EnsureKnownClientRequest:
    return pb.EnsureKnownClientRequest(client=client)


async def test_ensure_then_book_at_once(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        studio = await make_online_studio(o.svc)
        when = future_day(studio)
        first = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        second = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        # a client no event announced (yet): scheduling does not know it
        ann = client_message("Ann", members=["Kid"])
        ann.emails.append("ann@example.com")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.HoldSlot(
                opb.HoldSlotRequest(time_slot=first.name, client=ann.name, request_id=str(uuid.uuid4())), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        known = await s.EnsureKnownClient(_ensure(ann), metadata=A)
        assert (known.name, known.client, known.display_name, known.primary_email) == (
            ann.name.replace("clients/", "knownClients/"),
            ann.name,
            "Ann Tester",
            "ann@example.com",
        )
        assert [(m.name, m.display_name) for m in known.family_members] == [(ann.family_members[0].name, "Kid Tester")]
        assert not known.deleted
        assert await s.GetKnownClient(pb.GetKnownClientRequest(name=known.name), metadata=A) == known
        assert await _revision(o.svc, COMPANY_A, ann) == 1

        # booked at once, with the family member taking part
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=first.name, client=ann.name, request_id=str(uuid.uuid4())), metadata=A
        )
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(
                hold=hold.name, client=ann.name, participants=[ann.family_members[0].name], request_id=str(uuid.uuid4())
            ),
            metadata=A,
        )
        assert (session.client, list(session.participants)) == (ann.name, [ann.family_members[0].name])

        # the same version again (a retry) and an older one change nothing, not even the count
        assert await s.EnsureKnownClient(_ensure(ann), metadata=A) == known
        older = clients_pb2.Client()
        older.CopyFrom(ann)
        older.given_name = "Annabel"
        del older.family_members[:]
        older.update_time.FromDatetime(ann.update_time.ToDatetime() - timedelta(minutes=5))
        assert await s.EnsureKnownClient(_ensure(older), metadata=A) == known
        assert await _revision(o.svc, COMPANY_A, ann) == 1

        # a newer version is applied: name and family members replaced
        newer = clients_pb2.Client()
        newer.CopyFrom(ann)
        newer.given_name = "Anna"
        del newer.family_members[:]
        newer.family_members.add(name=f"{ann.name}/familyMembers/{uuid.uuid4()}", given_name="Baby")
        newer.update_time.FromDatetime(utcnow() + timedelta(seconds=1))
        updated = await s.EnsureKnownClient(_ensure(newer), metadata=A)
        assert updated.display_name == "Anna Tester"
        assert [m.name for m in updated.family_members] == [newer.family_members[0].name]
        assert await _revision(o.svc, COMPANY_A, ann) == 2
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(
                    time_slot=second.name,
                    client=ann.name,
                    participants=[ann.family_members[0].name],
                    request_id=str(uuid.uuid4()),
                ),
                metadata=A,
            )
        assert list(rpc_violations(err.value)) == ["participants[0]"]

        # the late event of the first version does not undo the newer one
        await publish_client_event(
            nats_server.url, COMPANY_A, "clients.client.created", client_events.ClientCreatedEvent(client=ann)
        )

        async def counted() -> bool:
            return await _revision(o.svc, COMPANY_A, ann) == 3

        await eventually(counted, what="the late created event applied")
        after = await s.GetKnownClient(pb.GetKnownClientRequest(name=known.name), metadata=A)
        assert after.display_name == "Anna Tester"

        # a version with a delete time marks the client deleted: no new bookings
        gone = clients_pb2.Client()
        gone.CopyFrom(newer)
        gone.update_time.FromDatetime(utcnow() + timedelta(seconds=2))
        gone.delete_time.FromDatetime(utcnow())
        assert (await s.EnsureKnownClient(_ensure(gone), metadata=A)).deleted
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=second.name, client=ann.name, request_id=str(uuid.uuid4())),
                metadata=A,
            )
        assert list(rpc_violations(err.value)) == ["client"]


async def test_company_from_the_call_and_bad_input(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        bea = client_message("Bea")
        known = await s.EnsureKnownClient(_ensure(bea), metadata=B)
        assert known.display_name == "Bea Tester"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await s.GetKnownClient(pb.GetKnownClientRequest(name=known.name), metadata=A)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert await s.GetKnownClient(pb.GetKnownClientRequest(name=known.name), metadata=B) == known
        assert await _revision(o.svc, COMPANY_A, bea) == 0

        no_time = client_message("Cy")
        no_time.ClearField("update_time")
        bad_member = client_message("Di", members=["Ed"])
        bad_member.family_members[0].name = f"clients/{uuid.uuid4()}/familyMembers/{uuid.uuid4()}"
        cases: list[tuple[pb.EnsureKnownClientRequest, list[str]]] = [
            (pb.EnsureKnownClientRequest(), ["client"]),
            (_ensure(clients_pb2.Client(given_name="Nameless")), ["client.name", "client.update_time"]),
            (_ensure(no_time), ["client.update_time"]),
            (_ensure(client_message("Fay")), []),
            (_ensure(bad_member), ["client.family_members[0].name"]),
        ]
        for name in ("people/1", "clients/not-a-uuid", f"clients/{str(uuid.uuid4()).upper()}"):
            wrong = client_message("Gus")
            wrong.name = name
            cases.append((_ensure(wrong), ["client.name"]))
        for request, fields in cases:
            if not fields:
                await s.EnsureKnownClient(request, metadata=A)
                continue
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await s.EnsureKnownClient(request, metadata=A)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert sorted(rpc_violations(err.value)) == fields
        listed = await s.ListKnownClients(pb.ListKnownClientsRequest(), metadata=A)
        assert [k.display_name for k in listed.known_clients] == ["Fay Tester"]
