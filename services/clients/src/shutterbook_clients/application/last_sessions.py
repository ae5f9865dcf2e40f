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
made the later of the two in one statement on PostgreSQL (`_KEEP_NEW_CTES`: the INSERT and the
UPDATE data-modifying CTEs of one statement), a booked one with its inbox entry in the same
statement (the kit's `OneStatement`: no BEGIN and COMMIT); SQLite, which has no such CTEs, runs
the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_clients import events
from shutterbook_clients.storage.models import NO_SESSION, ClientRow, ClientSessionRow
from shutterbook_kit.consumer import Delivery, OneStatement, PoisonEvent, subscribe
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
    one it has (the latest of its other sessions) and `start_at`. One UPDATE, SQLite's path
    (its writers take turns; PostgreSQL runs `_KEEP_NEW_CTES`, whose reading of a concurrent
    change this statement's maximum would not have). A client that has none yet (NO_SESSION)
    takes the latest of every session kept for it: sessions kept before clients knew the
    client count from its first booking on."""
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


# PostgreSQL: a session new to clients kept, and its client's last session made the later of the
# one it has and the session's start, as common table expressions (parameters b_session,
# b_company, b_client, b_start, b_changed, b_none): `kept` the session's INSERT ... ON CONFLICT
# DO NOTHING (a row returned: the session was new), `later` the client's UPDATE, run only when
# the insert made a row (FROM its RETURNING), and `effect` the kept row when the client's last
# session is right: `later` set it, or clients does not know the client (the session counts
# once it does). Every part of one statement reads the snapshot it started with, and the
# UPDATE alone waits for a concurrent change of the client's row and takes its newest version,
# so `later` takes the later of the row's newest value and this start, which is right whenever
# the row holds a last session. A row without one (NO_SESSION) is updated only when the
# statement's snapshot holds no live session of the client starting after this one (a session
# kept before clients knew the client, say): a cancel of such a session committed while this
# statement ran would not be seen by a maximum computed here (it would bring back a cancelled
# session's start), so then `later` leaves the row, `effect` returns nothing, and the caller
# takes the general path, which locks the row and computes the maximum afresh. Text: SQLAlchemy
# compiles its dialect's ON CONFLICT inserts anew each time, text it caches. Used as one
# statement in a unit of work (`_KEEP_NEW`) and as the consumer's one statement with the inbox
# entry (`_KEEP_NEW_IN_ONE`; the session row it inserted stays when `effect` is empty, and the
# handler's unit of work finds it kept).
_CLIENTS, _SESSIONS = ClientRow.__tablename__, ClientSessionRow.__tablename__
_KEEP_NEW_CTES = (
    f"kept AS (INSERT INTO {_SESSIONS}"
    " (session_id, company_id, client_id, start_at, cancelled, changed_at)"
    " VALUES (:b_session, :b_company, :b_client, :b_start, false, :b_changed)"
    " ON CONFLICT DO NOTHING RETURNING client_id),"
    f" later AS (UPDATE {_CLIENTS} SET last_session_at = CASE"
    f" WHEN {_CLIENTS}.last_session_at < :b_start THEN :b_start ELSE {_CLIENTS}.last_session_at END"
    f" FROM kept WHERE {_CLIENTS}.company_id = :b_company AND {_CLIENTS}.id = :b_client"
    f" AND {_CLIENTS}.id = kept.client_id AND ({_CLIENTS}.last_session_at <> :b_none"
    f" OR NOT EXISTS (SELECT 1 FROM {_SESSIONS} s WHERE s.company_id = :b_company AND s.client_id = :b_client"
    " AND s.cancelled IS false AND s.start_at > :b_start))"
    f" RETURNING {_CLIENTS}.id),"
    " effect AS (SELECT client_id FROM kept WHERE EXISTS (SELECT 1 FROM later)"
    f" OR NOT EXISTS (SELECT 1 FROM {_CLIENTS} c WHERE c.company_id = :b_company AND c.id = :b_client))"
)
_KEEP_NEW_TYPES = {"b_start": UtcDateTime(), "b_changed": UtcDateTime(), "b_none": UtcDateTime()}
# 1 when done; 0 when the caller takes the general path: the session was kept already (nothing
# written), or it is written now and its client left to that path (`_KEEP_NEW_CTES`)
_KEEP_NEW = sa.text(f"WITH {_KEEP_NEW_CTES} SELECT count(*) FROM effect").bindparams(
    *(sa.bindparam(name, type_=type_) for name, type_ in _KEEP_NEW_TYPES.items())
)


def _keep_new_params(
    session_id: str, company_id: str, client_id: str, start_at: datetime, changed_at: datetime
) -> dict[str, Any]:
    return {
        "b_session": session_id,
        "b_company": company_id,
        "b_client": client_id,
        "b_start": start_at,
        "b_changed": changed_at,
        "b_none": NO_SESSION,
    }


async def _keep_new(uow: UnitOfWork, new: dict[str, Any]) -> bool:
    """A session new to clients (`new`: its row's values) kept and its client's last session made
    the later of the one it has and the session's start. False when the session was kept
    already (nothing written), or, on PostgreSQL, when the client has no last session and a
    later one of its is kept (the session written: the general path finds it and computes the
    client's last session under the row's lock, `_KEEP_NEW_CTES` says why)."""
    if uow.db.is_sqlite:  # no data-modifying CTEs: the two statements
        if not await uow.insert_missing(ClientSessionRow, new):
            return False
        await later_last_session(uow, new["company_id"], new["client_id"], new["start_at"])
        return True
    params = _keep_new_params(
        new["session_id"], new["company_id"], new["client_id"], new["start_at"], new["changed_at"]
    )
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


def _facts(
    envelope: common_events.EventEnvelope, snapshot: scheduling_events.SessionSnapshot
) -> tuple[str, str, datetime, datetime]:
    """The session's id, its client's, its start and when scheduling changed it."""
    if not snapshot.session or not snapshot.client or not snapshot.HasField("start_time"):
        raise PoisonEvent(f"a session event without its session, client or start: {envelope.event_id}")
    session_id, client_id = _id(snapshot.session, "sessions"), _id(snapshot.client, "clients")
    return session_id, client_id, snapshot.start_time.ToDatetime(tzinfo=UTC), envelope.occur_time.ToDatetime(tzinfo=UTC)


def _booked_in_one(envelope: common_events.EventEnvelope, event: Any) -> dict[str, Any]:
    """A booked session's facts as `_KEEP_NEW_CTES`' parameters (the consumer's one statement)."""
    session_id, client_id, start_at, changed_at = _facts(envelope, event.session)
    return _keep_new_params(session_id, envelope.company_id, client_id, start_at, changed_at)


# on PostgreSQL a booked session new to clients is kept with its inbox entry in one statement
_KEEP_NEW_IN_ONE = OneStatement(_KEEP_NEW_CTES, _booked_in_one, _KEEP_NEW_TYPES)


async def _record(delivery: Delivery, snapshot: scheduling_events.SessionSnapshot, *, cancelled: bool) -> None:
    uow, company_id = delivery.uow, delivery.envelope.company_id
    session_id, client_id, start_at, changed_at = _facts(delivery.envelope, snapshot)
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
    subscribe(events.SESSION_BOOKED, on_session_booked, one_statement=_KEEP_NEW_IN_ONE),
    subscribe(events.SESSION_RESCHEDULED, on_session_rescheduled),
    subscribe(events.SESSION_CANCELLED, on_session_cancelled),
]
