"""A client's last session, learned from scheduling's session events (the Clients hub sorts by
it across pages, so clients keeps it beside the client rather than the console asking
scheduling for one page at a time).

Each event's session is kept in `client_sessions` (start, cancelled, when scheduling changed
it); the client's `last_session_at` is then the latest start of its sessions not cancelled
(a new session's: the later of the one kept and its start; any other change: computed again).
The consumer's inbox makes each event's effect happen once; an event older than what a row
already holds (delivered late) changes nothing. A session of a client clients does not know
is kept too, and counts once the client exists (a merge moves its sessions to the survivor).

A session new to clients (its booking: the common case) is kept and its client's last session
made the later of the two in one statement on PostgreSQL (`_KEEP_NEW`: the INSERT and the
UPDATE data-modifying CTEs of one statement); SQLite, which has no such CTEs, runs the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_clients import events
from shutterbook_clients.storage.models import NO_SESSION, Base, ClientRow, ClientSessionRow
from shutterbook_kit.consumer import Delivery, PoisonEvent, subscribe
from shutterbook_kit.schema import UtcDateTime
from shutterbook_kit.uow import UnitOfWork


def _id(name: str, collection: str) -> str:
    return name.removeprefix(f"{collection}/")


Id = str | sa.BindParameter[str]


def _latest(company_id: Id, client_id: Id) -> sa.ScalarSelect[datetime]:
    """The latest start of the client's sessions not cancelled (NULL when none); the ids given,
    or parameters of a statement built once."""
    return (
        sa.select(sa.func.max(ClientSessionRow.start_at))
        .where(
            ClientSessionRow.company_id == company_id,
            ClientSessionRow.client_id == client_id,
            ClientSessionRow.cancelled.is_(False),
        )
        .scalar_subquery()
    )


async def refresh_last_session(uow: UnitOfWork, company_id: str, client_id: str) -> None:
    """Set the client's last session time from its sessions not cancelled (none: NO_SESSION).
    The client's row is locked first (PostgreSQL), so two replicas recording two sessions of one
    client take turns, and the second one's maximum sees the first one's session."""
    await uow.session.execute(
        sa.select(ClientRow.id).where(ClientRow.company_id == company_id, ClientRow.id == client_id).with_for_update()
    )
    # the maximum taken by the UPDATE itself (a statement after the lock: it sees what the
    # lock waited for)
    await uow.session.execute(
        sa.update(ClientRow)
        .where(ClientRow.company_id == company_id, ClientRow.id == client_id)
        .values(
            last_session_at=sa.func.coalesce(_latest(company_id, client_id), sa.literal(NO_SESSION, type_=UtcDateTime))
        )
        .execution_options(synchronize_session=False)
    )


async def later_last_session(uow: UnitOfWork, company_id: str, client_id: str, start_at: datetime) -> None:
    """A session not cancelled added to the client's: its last session time is the later of the
    one it has (the latest of its other sessions) and `start_at`. One UPDATE: on PostgreSQL a
    concurrent change of the row is waited for and the later of the two taken from what it
    wrote (the row's newest version), so no lock is needed first. A client that has none yet
    (NO_SESSION) takes the latest of every session kept for it: sessions kept before clients
    knew the client count from its first booking on."""
    await uow.session.execute(_LATER, {"b_company": company_id, "b_client": client_id, "b_start": start_at})


def _later_statement() -> sa.Update:
    """`later_last_session`'s UPDATE, built once (on every session booked): parameters
    b_company, b_client, b_start (not named as columns: SQLAlchemy reserves those in an UPDATE)."""
    company: sa.BindParameter[str] = sa.bindparam("b_company")
    client: sa.BindParameter[str] = sa.bindparam("b_client")
    start = sa.bindparam("b_start", type_=UtcDateTime)
    none = sa.literal(NO_SESSION, type_=UtcDateTime)
    latest = _latest(company, client)
    return (
        sa.update(ClientRow)
        .where(ClientRow.company_id == company, ClientRow.id == client)
        .values(
            last_session_at=sa.case(
                (ClientRow.last_session_at == none, sa.func.coalesce(latest, none)),
                (ClientRow.last_session_at < start, start),
                else_=ClientRow.last_session_at,
            )
        )
        .execution_options(synchronize_session=False)
    )


_LATER = _later_statement()


_SESSIONS = Base.metadata.tables[ClientSessionRow.__tablename__]
_CLIENTS = Base.metadata.tables[ClientRow.__tablename__]


def _keep_new_statement() -> sa.Select[tuple[int]]:
    """PostgreSQL: a session new to clients kept, and its client's last session made the later of
    the one it has and the session's start, in one statement (built once: parameters b_session,
    b_company, b_client, b_start, b_changed). Its answer: how many sessions it inserted, 1, or 0
    when the session was kept already (the caller then takes the general path; nothing written).

    The INSERT ... ON CONFLICT DO NOTHING a data-modifying CTE (text: SQLAlchemy compiles its
    dialect's ON CONFLICT inserts anew each time, text it caches), the UPDATE one too, run only
    when the insert made a row (FROM its RETURNING), whether the client's row exists or not.
    `later_last_session`'s UPDATE, but for one thing: every part of one statement reads the
    snapshot it started with, where the session just inserted is not yet, so a client without a
    last session takes the later of its other sessions' latest and this start (GREATEST passes
    a NULL by: no other session, this start); as the UPDATE alone, a concurrent change of the
    client's row is waited for and its newest version taken."""
    company = sa.bindparam("b_company", type_=sa.String)
    client = sa.bindparam("b_client", type_=sa.String)
    start = sa.bindparam("b_start", type_=UtcDateTime)
    none = sa.literal(NO_SESSION, type_=UtcDateTime)
    inserted = (
        sa.text(
            f"INSERT INTO {_SESSIONS.name} (session_id, company_id, client_id, start_at, cancelled, changed_at)"
            " VALUES (:b_session, :b_company, :b_client, :b_start, false, :b_changed)"
            " ON CONFLICT DO NOTHING RETURNING client_id"
        )
        .bindparams(company, client, start, sa.bindparam("b_changed", type_=UtcDateTime))
        .columns(sa.column("client_id", sa.String))
        .cte("inserted")
    )
    others = (  # the latest start of the client's other sessions not cancelled (NULL: none)
        sa.select(sa.func.max(_SESSIONS.c.start_at))
        .where(
            _SESSIONS.c.company_id == company,
            _SESSIONS.c.client_id == client,
            _SESSIONS.c.cancelled.is_(False),
        )
        .scalar_subquery()
    )
    later = (
        sa.update(_CLIENTS)
        .where(_CLIENTS.c.company_id == company, _CLIENTS.c.id == client, _CLIENTS.c.id == inserted.c.client_id)
        .values(
            last_session_at=sa.case(
                (_CLIENTS.c.last_session_at == none, sa.func.greatest(others, start)),
                (_CLIENTS.c.last_session_at < start, start),
                else_=_CLIENTS.c.last_session_at,
            )
        )
        .cte("later")
    )
    return sa.select(sa.func.count()).select_from(inserted).add_cte(later)


_KEEP_NEW = _keep_new_statement()


async def _keep_new(uow: UnitOfWork, new: dict[str, Any]) -> bool:
    """A session new to clients (`new`: its row's values) kept and its client's last session made
    the later of the one it has and the session's start. False, and nothing written, when the
    session was kept already."""
    if uow.db.is_sqlite:  # no data-modifying CTEs: the two statements
        if not await uow.insert_missing(ClientSessionRow, new):
            return False
        await later_last_session(uow, new["company_id"], new["client_id"], new["start_at"])
        return True
    params = {
        "b_session": new["session_id"],
        "b_company": new["company_id"],
        "b_client": new["client_id"],
        "b_start": new["start_at"],
        "b_changed": new["changed_at"],
    }
    return bool((await uow.session.execute(_KEEP_NEW, params)).scalar_one())


async def repoint_sessions(uow: UnitOfWork, company_id: str, from_client: str, to_client: str) -> None:
    """A merge: the merged client's sessions are the survivor's now (the caller sets the
    survivor's last session time: the later of the two)."""
    await uow.session.execute(
        sa.update(ClientSessionRow)
        .where(ClientSessionRow.company_id == company_id, ClientSessionRow.client_id == from_client)
        .values(client_id=to_client)
        .execution_options(synchronize_session=False)
    )


async def _record(delivery: Delivery, snapshot: scheduling_events.SessionSnapshot, *, cancelled: bool) -> None:
    if not snapshot.session or not snapshot.client or not snapshot.HasField("start_time"):
        raise PoisonEvent(f"a session event without its session, client or start: {delivery.envelope.event_id}")
    uow, company_id = delivery.uow, delivery.envelope.company_id
    session_id, client_id = _id(snapshot.session, "sessions"), _id(snapshot.client, "clients")
    changed_at = delivery.envelope.occur_time.ToDatetime(tzinfo=UTC)
    start_at = snapshot.start_time.ToDatetime(tzinfo=UTC)
    if not cancelled:
        # the common case, a session new to clients (its booking): kept, and the client's last
        # session becomes the later of the one it has and this one
        new = {
            "session_id": session_id,
            "company_id": company_id,
            "client_id": client_id,
            "start_at": start_at,
            "cancelled": False,
            "changed_at": changed_at,
        }
        if await _keep_new(uow, new):
            return
    row = await uow.session.get(ClientSessionRow, session_id)
    if row is not None and row.company_id != company_id:
        raise PoisonEvent(f"session {session_id} is another company's")
    if row is not None and row.changed_at > changed_at:
        return  # a newer change is already kept
    if row is None:
        row = ClientSessionRow(session_id=session_id, company_id=company_id)
        uow.session.add(row)
    previous_client = row.client_id
    row.client_id = client_id
    row.start_at = start_at
    row.cancelled = cancelled
    row.changed_at = changed_at
    await uow.session.flush()
    await refresh_last_session(uow, company_id, client_id)
    if previous_client and previous_client != client_id:
        await refresh_last_session(uow, company_id, previous_client)


async def on_session_booked(delivery: Delivery) -> None:
    assert isinstance(delivery.payload, scheduling_events.SessionBookedEvent)
    await _record(delivery, delivery.payload.session, cancelled=False)


async def on_session_rescheduled(delivery: Delivery) -> None:
    assert isinstance(delivery.payload, scheduling_events.SessionRescheduledEvent)
    await _record(delivery, delivery.payload.session, cancelled=False)


async def on_session_cancelled(delivery: Delivery) -> None:
    assert isinstance(delivery.payload, scheduling_events.SessionCancelledEvent)
    await _record(delivery, delivery.payload.session, cancelled=True)


SUBSCRIPTIONS = [
    subscribe(events.SESSION_BOOKED, on_session_booked),
    subscribe(events.SESSION_RESCHEDULED, on_session_rescheduled),
    subscribe(events.SESSION_CANCELLED, on_session_cancelled),
]
