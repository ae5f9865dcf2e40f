"""Clients sorted by their last session (the Clients hub's "Latest session first"): the clients
service learns each client's last session from scheduling's session events (booked,
rescheduled, cancelled) through its inbox consumer, so `order_by: "last_session_time desc"`
is one order across every page. Real clients and scheduling services and NATS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_clients import main as clients_main
from shutterbook_clients.application.last_sessions import later_last_session
from shutterbook_clients.storage.models import ClientRow, ClientSessionRow
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork
from tests.helpers import Slice, clients_and_scheduling, create_client
from tests.scheduling_support import COMPANY_A, A, at, day

WAIT_SECONDS = 30.0


async def _ordered(services: Slice, page_size: int) -> tuple[list[str], int]:
    """Every client's given name, latest session first, and how many pages that took."""
    names: list[str] = []
    token, pages = "", 0
    for _ in range(50):  # bounded: far more pages than the test has clients
        reply = await services.clients.ListClients(
            clients_pb2.ListClientsRequest(page_size=page_size, page_token=token, order_by="last_session_time desc"),
            metadata=A,
        )
        names += [c.given_name for c in reply.clients]
        pages += 1
        token = reply.next_page_token
        if not token:
            break
    return names, pages


async def _until(services: Slice, expected: list[str]) -> list[str]:
    """The order once the events are consumed (bounded wait), or the last one seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        names, _ = await _ordered(services, 2)
        if names == expected or loop.time() > deadline:
            return names
        await asyncio.sleep(0.2)


async def test_clients_sort_by_their_last_session_across_pages(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with clients_and_scheduling(databases, nats_server.url) as services:
        s = services.scheduling
        location = await s.CreateLocation(
            pb.CreateLocationRequest(location=pb.Location(display_name="Downtown", time_zone="America/New_York")),
            metadata=A,
        )
        kind = await s.CreateSessionType(
            pb.CreateSessionTypeRequest(
                session_type=pb.SessionType(display_name="Portrait", color="#4A90D9", default_duration_minutes=60)
            ),
            metadata=A,
        )
        given = ["Ann", "Ben", "Cy", "Dee", "Eve"]
        clients = {g: await create_client(services.clients, COMPANY_A, g) for g in given}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while loop.time() < deadline:  # scheduling learns the clients from their events
            known = await s.ListKnownClients(pb.ListKnownClientsRequest(page_size=100), metadata=A)
            if len(known.known_clients) == len(given):
                break
            await asyncio.sleep(0.2)

        async def book(who: str, d: int) -> pb.Session:
            session = pb.Session(
                client=clients[who].name,
                session_type=kind.name,
                location=location.name,
                session_date=day(2026, 6, d),
                start=at(10),
            )
            return await s.CreateSession(pb.CreateSessionRequest(session=session, allow_conflicts=True), metadata=A)

        await book("Ann", 10)
        await book("Ben", 1)
        bens_latest = await book("Ben", 20)
        cys = await book("Cy", 5)
        await book("Eve", 15)  # Dee has no session: last

        expected = ["Ben", "Eve", "Ann", "Cy", "Dee"]
        assert await _until(services, expected) == expected
        assert (await _ordered(services, 2))[1] == 3  # across three pages of two
        ben = await services.clients.GetClient(clients_pb2.GetClientRequest(name=clients["Ben"].name), metadata=A)
        assert ben.last_session_time == bens_latest.start_time
        dee = await services.clients.GetClient(clients_pb2.GetClientRequest(name=clients["Dee"].name), metadata=A)
        assert not dee.HasField("last_session_time")

        # Ben's latest cancelled: his June 1 session is his last now
        await s.CancelSession(pb.CancelSessionRequest(name=bens_latest.name), metadata=A)
        expected = ["Eve", "Ann", "Cy", "Ben", "Dee"]
        assert await _until(services, expected) == expected

        # Cy's moved to June 25: first
        await s.RescheduleSession(
            pb.RescheduleSessionRequest(name=cys.name, session_date=day(2026, 6, 25), start=at(9)), metadata=A
        )
        expected = ["Cy", "Eve", "Ann", "Ben", "Dee"]
        assert await _until(services, expected) == expected
        assert (await _ordered(services, 3))[0] == expected  # the same order in pages of three


async def test_a_session_booked_before_the_last_one_keeps_the_last(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """A new session's event sets the later of the kept last session and its start (one UPDATE,
    no reading of the client's sessions): one that starts earlier leaves the last one as it is,
    and cancelling the last one still finds the earlier one."""
    async with clients_and_scheduling(databases, nats_server.url) as services:
        s = services.scheduling
        location = await s.CreateLocation(
            pb.CreateLocationRequest(location=pb.Location(display_name="Uptown", time_zone="America/New_York")),
            metadata=A,
        )
        kind = await s.CreateSessionType(
            pb.CreateSessionTypeRequest(
                session_type=pb.SessionType(display_name="Family", color="#4A90D9", default_duration_minutes=60)
            ),
            metadata=A,
        )
        ann = await create_client(services.clients, COMPANY_A, "Ann")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while loop.time() < deadline:  # scheduling learns the client from its event
            known = await s.ListKnownClients(pb.ListKnownClientsRequest(page_size=100), metadata=A)
            if len(known.known_clients) == 1:
                break
            await asyncio.sleep(0.2)

        async def book(d: int) -> pb.Session:
            session = pb.Session(
                client=ann.name,
                session_type=kind.name,
                location=location.name,
                session_date=day(2026, 7, d),
                start=at(10),
            )
            return await s.CreateSession(pb.CreateSessionRequest(session=session, allow_conflicts=True), metadata=A)

        async def last_session_time_is(session: pb.Session) -> bool:
            deadline = loop.time() + WAIT_SECONDS
            while True:
                got = await services.clients.GetClient(clients_pb2.GetClientRequest(name=ann.name), metadata=A)
                if got.last_session_time == session.start_time or loop.time() > deadline:
                    return got.last_session_time == session.start_time
                await asyncio.sleep(0.2)

        later = await book(20)
        assert await last_session_time_is(later)
        earlier = await book(3)  # booked after, starting before
        await book(1)
        assert await last_session_time_is(later)
        await asyncio.sleep(1.0)  # the earlier sessions' events are consumed by now: still the later one
        assert await last_session_time_is(later)
        await s.CancelSession(pb.CancelSessionRequest(name=later.name), metadata=A)
        assert await last_session_time_is(earlier)


async def test_sessions_kept_before_the_client_count_from_its_first_booking(databases: DatabaseFactory) -> None:
    """A session kept while clients did not know its client (the client's row made later, with
    no last session): the client's first booking takes the latest of every session kept for
    it, not only its own start (`later_last_session`), so an earlier new session does not hide
    a later one kept before."""
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    try:
        now = datetime(2026, 6, 1, tzinfo=UTC)
        june, march = datetime(2026, 6, 20, 10, tzinfo=UTC), datetime(2026, 3, 3, 10, tzinfo=UTC)
        async with UnitOfWork(db) as uow:
            uow.session.add(ClientRow(id="c1", company_id="co", created_at=now, updated_at=now))
            uow.session.add_all(
                [
                    ClientSessionRow(
                        session_id="s-june", company_id="co", client_id="c1", start_at=june, changed_at=now
                    ),
                    ClientSessionRow(
                        session_id="s-march", company_id="co", client_id="c1", start_at=march, changed_at=now
                    ),
                ]
            )
            await uow.commit()
        async with UnitOfWork(db) as uow:
            await later_last_session(uow, "co", "c1", march)  # the March booking, first one seen
            await uow.commit()
        async with UnitOfWork(db) as uow:
            row = await uow.session.get(ClientRow, "c1")
            assert row is not None
            assert row.last_session_at == june
        async with UnitOfWork(db) as uow:  # from then on, the later of the kept one and the new
            await later_last_session(uow, "co", "c1", datetime(2026, 1, 5, tzinfo=UTC))
            await uow.commit()
            row = await uow.session.get(ClientRow, "c1")
            assert row is not None
            await uow.session.refresh(row)
            assert row.last_session_at == june
    finally:
        await db.dispose()
