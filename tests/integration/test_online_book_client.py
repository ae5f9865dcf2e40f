"""BookOnline and BookAppointmentOnline straight from a slot with the client's details
(`client_details`): the booking makes the client known to scheduling in its own transaction,
as HoldSlot does, so the booking gateway books a slot that takes no payment for a client it
has just found or created in one call (no hold first); a retry is the same booking whatever
version of the client it carries; bad details name their field and leave nothing behind; on
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from shutterbook_kit.schema import utcnow
from tests.online_support import (
    appointment_slot,
    create_slot,
    future_day,
    make_online_studio,
    offer_appointment_type_online,
    online_service,
    open_appointment_names,
    open_names,
    slot,
)
from tests.scheduling_support import A, client_message

pytestmark = pytest.mark.asyncio


def _known_name(client: clients_pb2.Client) -> str:
    return client.name.replace("clients/", "knownClients/")


async def test_a_slot_is_booked_for_a_client_it_makes_known(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        studio = await make_online_studio(o.svc)
        when = future_day(studio)
        first = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        later = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        ann = client_message("Ann", members=["Kid"])
        ann.emails.append("ann@example.com")
        with pytest.raises(grpc.aio.AioRpcError) as err:  # no event announced her: not known yet
            await s.GetKnownClient(pb.GetKnownClientRequest(name=_known_name(ann)), metadata=A)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        # without her details the slot cannot be booked for her
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=first.name, client=ann.name, request_id=str(uuid.uuid4())), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(err.value)) == ["client"]

        # one call: the client known (family member included) and the slot booked
        request = opb.BookOnlineRequest(
            time_slot=first.name,
            client=ann.name,
            participants=[ann.family_members[0].name],
            request_id=str(uuid.uuid4()),
            session_id=str(uuid.uuid4()),
            client_details=ann,
        )
        session = await o.online.BookOnline(request, metadata=A)
        assert session.name == f"sessions/{request.session_id}"
        assert (session.client, list(session.participants)) == (ann.name, [ann.family_members[0].name])
        assert (session.start_time, session.end_time) == (first.start_time, first.end_time)
        known = await s.GetKnownClient(pb.GetKnownClientRequest(name=_known_name(ann)), metadata=A)
        assert (known.display_name, known.primary_email) == ("Ann Tester", "ann@example.com")
        assert [m.name for m in known.family_members] == [ann.family_members[0].name]
        assert await open_names(o, studio, when) == [later.name]

        # a retry (the same request_id) is the same booking, even with a newer version of the
        # client: the details are not part of what the request_id stands for
        newer = clients_pb2.Client()
        newer.CopyFrom(ann)
        newer.given_name = "Anna"
        newer.update_time.FromDatetime(utcnow() + timedelta(seconds=1))
        retry = opb.BookOnlineRequest()
        retry.CopyFrom(request)
        retry.client_details.CopyFrom(newer)
        assert await o.online.BookOnline(retry, metadata=A) == session
        assert (await s.GetKnownClient(pb.GetKnownClientRequest(name=_known_name(ann)), metadata=A)).display_name == (
            "Ann Tester"
        )

        # a booking of the next slot with a newer version applies it, as EnsureKnownClient does
        again = await o.online.BookOnline(
            opb.BookOnlineRequest(
                time_slot=later.name, client=ann.name, request_id=str(uuid.uuid4()), client_details=newer
            ),
            metadata=A,
        )
        assert again.client == ann.name
        assert (await s.GetKnownClient(pb.GetKnownClientRequest(name=_known_name(ann)), metadata=A)).display_name == (
            "Anna Tester"
        )
        assert await open_names(o, studio, when) == []


async def test_an_appointment_slot_is_booked_for_a_client_it_makes_known(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        await offer_appointment_type_online(o.svc, studio)
        when = future_day(studio)
        consult = await create_slot(o, appointment_slot(studio, when, (10, 0), (10, 30)))
        bo = client_message("Bo")
        appointment = await o.online.BookAppointmentOnline(
            opb.BookAppointmentOnlineRequest(
                time_slot=consult.name, client=bo.name, request_id=str(uuid.uuid4()), client_details=bo
            ),
            metadata=A,
        )
        assert (appointment.client, appointment.start_time) == (bo.name, consult.start_time)
        known = await o.svc.stub.GetKnownClient(pb.GetKnownClientRequest(name=_known_name(bo)), metadata=A)
        assert known.display_name == "Bo Tester"
        assert await open_appointment_names(o, studio, when) == []


async def test_bad_client_details_book_nothing(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        studio = await make_online_studio(o.svc)
        when = future_day(studio)
        open_slot = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        other = client_message("Other")
        no_time = client_message("Cy")
        no_time.ClearField("update_time")
        cases: list[tuple[opb.BookOnlineRequest, list[str]]] = [
            (
                opb.BookOnlineRequest(
                    time_slot=open_slot.name,
                    client=other.name,
                    request_id=str(uuid.uuid4()),
                    client_details=client_message("Hal"),
                ),
                ["client_details.name"],
            ),
            (
                opb.BookOnlineRequest(
                    time_slot=open_slot.name, client=no_time.name, request_id=str(uuid.uuid4()), client_details=no_time
                ),
                ["client_details.update_time"],
            ),
        ]
        for request, fields in cases:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await o.online.BookOnline(request, metadata=A)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert sorted(rpc_violations(err.value)) == fields, request

        # nothing was booked and no client became known
        assert await open_names(o, studio, when) == [open_slot.name]
        listed = await s.ListKnownClients(pb.ListKnownClientsRequest(), metadata=A)
        assert list(listed.known_clients) == []


@contextmanager
def _client_statements() -> Iterator[list[str]]:
    """The statements on known clients run meanwhile in this process (the service's included),
    each as its first word."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "known_clients" in statement:
            seen.append(statement.split()[0])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_the_booking_reads_its_client_once(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """The booking's plan checks the client the booking has just made known (or applied a
    version to) without reading it again: one INSERT for a client new here; for one known
    already that INSERT finding it, the locked read (no second INSERT making it empty first),
    the version's UPDATE, and nothing more."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        when = future_day(studio)
        first = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        later = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        ann = client_message("Ann")
        with _client_statements() as seen:
            await o.online.BookOnline(
                opb.BookOnlineRequest(
                    time_slot=first.name, client=ann.name, request_id=str(uuid.uuid4()), client_details=ann
                ),
                metadata=A,
            )
        assert seen == ["INSERT"]

        newer = clients_pb2.Client()
        newer.CopyFrom(ann)
        newer.given_name = "Anna"
        newer.update_time.FromDatetime(utcnow() + timedelta(seconds=1))
        with _client_statements() as seen:
            session = await o.online.BookOnline(
                opb.BookOnlineRequest(
                    time_slot=later.name, client=ann.name, request_id=str(uuid.uuid4()), client_details=newer
                ),
                metadata=A,
            )
        # (INSERT ... ON CONFLICT DO NOTHING finding the row, the locked read, the update)
        assert seen == ["INSERT", "SELECT", "UPDATE"]
        assert session.client == ann.name
        known = await o.svc.stub.GetKnownClient(pb.GetKnownClientRequest(name=_known_name(ann)), metadata=A)
        assert known.display_name == "Anna Tester"
