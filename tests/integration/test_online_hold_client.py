"""HoldSlot with the client's details (`client_details`): the hold makes the client known to
scheduling in its own transaction, as EnsureKnownClient would, so the booking gateway holds
a client it has just found or created without a call before; a retry is the same hold; bad
details name their field and leave nothing behind; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.online_support import create_slot, future_day, make_online_studio, online_service, slot
from tests.scheduling_support import COMPANY_A, A, SchedulingService, client_message


async def _revision(svc: SchedulingService, client: clients_pb2.Client) -> int:
    db = Database(svc.database_url)
    try:
        async with db.engine.connect() as conn:
            value = await conn.scalar(
                select(KnownClientRow.revision).where(
                    KnownClientRow.company_id == COMPANY_A,
                    KnownClientRow.client_id == client.name.removeprefix("clients/"),
                )
            )
            return int(value or 0)
    finally:
        await db.dispose()


def _hold(
    time_slot: str, details: clients_pb2.Client, request_id: str = "", *, client: str = ""
) -> opb.HoldSlotRequest:
    """A hold for the client of `details` (or `client`), carrying the details."""
    return opb.HoldSlotRequest(
        time_slot=time_slot,
        client=client or details.name,
        request_id=request_id or str(uuid.uuid4()),
        client_details=details,
    )


async def test_the_hold_makes_the_client_known(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        studio = await make_online_studio(o.svc)
        when = future_day(studio)
        first = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        second = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        ann = client_message("Ann", members=["Kid"])
        ann.emails.append("ann@example.com")
        known_name = ann.name.replace("clients/", "knownClients/")
        with pytest.raises(grpc.aio.AioRpcError) as err:  # no event announced it: not known yet
            await s.GetKnownClient(pb.GetKnownClientRequest(name=known_name), metadata=A)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND

        # HoldSlot alone: the hold taken and the client known, family members included
        request_id = str(uuid.uuid4())
        hold = await o.online.HoldSlot(_hold(first.name, ann, request_id), metadata=A)
        assert (hold.state, hold.client, hold.time_slot) == (opb.SLOT_HOLD_STATE_HELD, ann.name, first.name)
        known = await s.GetKnownClient(pb.GetKnownClientRequest(name=known_name), metadata=A)
        assert (known.display_name, known.primary_email) == ("Ann Tester", "ann@example.com")
        assert [(m.name, m.display_name) for m in known.family_members] == [(ann.family_members[0].name, "Kid Tester")]
        assert await _revision(o.svc, ann) == 1

        # a retry (the same request_id) is the same hold, even with a newer version of the
        # client: the details are not part of what the request_id stands for
        newer = clients_pb2.Client()
        newer.CopyFrom(ann)
        newer.given_name = "Anna"
        newer.update_time.FromDatetime(utcnow() + timedelta(seconds=1))
        assert await o.online.HoldSlot(_hold(first.name, ann, request_id), metadata=A) == hold
        assert await o.online.HoldSlot(_hold(first.name, newer, request_id), metadata=A) == hold
        assert await _revision(o.svc, ann) == 1

        # booked from the hold, with the family member the hold made known
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(
                hold=hold.name, client=ann.name, participants=[ann.family_members[0].name], request_id=str(uuid.uuid4())
            ),
            metadata=A,
        )
        assert (session.client, list(session.participants)) == (ann.name, [ann.family_members[0].name])

        # an older version with the next hold changes nothing; a deleted one is refused
        older = clients_pb2.Client()
        older.CopyFrom(ann)
        older.given_name = "Annabel"
        older.update_time.FromDatetime(ann.update_time.ToDatetime() - timedelta(minutes=5))
        gone = clients_pb2.Client()
        gone.CopyFrom(ann)
        gone.update_time.FromDatetime(utcnow() + timedelta(seconds=2))
        gone.delete_time.FromDatetime(utcnow())
        second_hold = await o.online.HoldSlot(_hold(second.name, older), metadata=A)
        assert second_hold.state == opb.SLOT_HOLD_STATE_HELD
        assert (await s.GetKnownClient(pb.GetKnownClientRequest(name=known_name), metadata=A)).display_name == (
            "Ann Tester"
        )
        await o.online.ReleaseHold(opb.ReleaseHoldRequest(name=second_hold.name), metadata=A)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.HoldSlot(_hold(second.name, gone), metadata=A)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(err.value)) == ["client"]


async def test_bad_client_details_name_their_field(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        studio = await make_online_studio(o.svc)
        when = future_day(studio)
        open_slot = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))

        other = client_message("Other")
        no_time = client_message("Cy")
        no_time.ClearField("update_time")
        bad_member = client_message("Di", members=["Ed"])
        bad_member.family_members[0].name = f"clients/{uuid.uuid4()}/familyMembers/{uuid.uuid4()}"
        long_name = client_message("G" * 401)
        cases: list[tuple[opb.HoldSlotRequest, list[str]]] = [
            (_hold(open_slot.name, client_message("Hal"), client=other.name), ["client_details.name"]),
            (_hold(open_slot.name, no_time), ["client_details.update_time"]),
            (_hold(open_slot.name, bad_member), ["client_details.family_members[0].name"]),
            (_hold(open_slot.name, long_name), ["client_details.given_name"]),
            (
                opb.HoldSlotRequest(
                    time_slot=open_slot.name,
                    client=other.name,
                    request_id=str(uuid.uuid4()),
                    client_details=clients_pb2.Client(given_name="Nameless"),
                ),
                ["client_details.name", "client_details.update_time"],
            ),
        ]
        for request, fields in cases:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await o.online.HoldSlot(request, metadata=A)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert sorted(rpc_violations(err.value)) == fields, request

        # nothing was held and no client became known
        listed = await s.ListKnownClients(pb.ListKnownClientsRequest(), metadata=A)
        assert list(listed.known_clients) == []
        fay = client_message("Fay")
        hold = await o.online.HoldSlot(_hold(open_slot.name, fay), metadata=A)
        assert hold.state == opb.SLOT_HOLD_STATE_HELD
