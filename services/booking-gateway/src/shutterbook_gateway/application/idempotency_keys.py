"""Idempotency-Key semantics for POSTs, scoped to the partner key that sent them:

- first time: the request runs; its response is kept (unless it was a 5xx, which may be
  retried to run again);
- same key, same request: the first response again, nothing runs;
- same key, another request: 422;
- same key while the first is still running: 409 (a crashed first attempt frees the key
  when its lease runs out).

A key's row, once written, stays: a server error frees it in place (state `free`) rather than
deleting it, so a claim that inserts the row is the first request ever run under that key
(`Decision.first`): the booking saga then knows no earlier booking can have its request id
(booking_saga.py, `book`'s `first_run`), and the next claim of a freed key is one UPDATE that
only one claimer wins.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import Integer, LargeBinary, bindparam, text, update
from sqlalchemy.exc import IntegrityError

from shutterbook_gateway.storage.models import IdempotencyKeyRow
from shutterbook_kit.db import Database
from shutterbook_kit.schema import UtcDateTime, utcnow
from shutterbook_kit.uow import UnitOfWork

LEASE = timedelta(seconds=60)
FREE = "free"  # a key freed by a server error: the next request with it runs


class Outcome(enum.Enum):
    RUN = "run"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    status_code: int = 0
    content_type: str = ""
    body: bytes = b""
    # RUN only: the claim created the key's row, so nothing ran under this key before (rows are
    # never deleted here: see the module's docstring). False when it took over a lease run out
    # or a key freed by a server error, or found the row gone (deleted by an older release).
    first: bool = False


def canonical_body(body: bytes) -> bytes:
    """The body as parsed JSON (keys sorted, no whitespace), so the same document written
    otherwise is the same request; a body that is not JSON counts byte for byte."""
    try:
        return msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError, ValueError):
        return b"\x00raw:" + body


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical_body(body)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


# Text, so that SQLAlchemy caches it (its dialects' ON CONFLICT inserts are compiled anew each time).
_CLAIM = text(
    f"INSERT INTO {IdempotencyKeyRow.__tablename__} (owner, idempotency_key, request_hash, state, locked_until,"
    " status_code, content_type, body, created_at)"
    " VALUES (:owner, :key, :hash, 'in_progress', :until, 0, '', :body, :now) ON CONFLICT DO NOTHING"
).bindparams(
    bindparam("until", type_=UtcDateTime),
    bindparam("now", type_=UtcDateTime),
    bindparam("body", value=b"", type_=LargeBinary),
)


# a key claimed again (freed by a server error, or its lease run out), only by one claimer: the
# row must still be as read (its state and lease), else another claim took it first
_RECLAIM = (
    update(IdempotencyKeyRow)
    .where(
        IdempotencyKeyRow.owner == bindparam("b_owner"),
        IdempotencyKeyRow.idempotency_key == bindparam("b_key"),
        IdempotencyKeyRow.state == bindparam("b_was_state"),
        IdempotencyKeyRow.locked_until == bindparam("b_was_until", type_=UtcDateTime),
    )
    .values(
        state="in_progress",
        request_hash=bindparam("b_hash"),
        locked_until=bindparam("b_until", type_=UtcDateTime),
    )
)


# a key's answer kept (on every booking), built once: a Core UPDATE on the table, its
# parameters not named as its columns (SQLAlchemy reserves those in an UPDATE)
_KEYS = IdempotencyKeyRow.metadata.tables[IdempotencyKeyRow.__tablename__]
_DONE = (
    update(_KEYS)
    .where(_KEYS.c.owner == bindparam("b_owner"), _KEYS.c.idempotency_key == bindparam("b_key"))
    .values(
        state="done",
        status_code=bindparam("b_status"),
        content_type=bindparam("b_type"),
        body=bindparam("b_body", type_=LargeBinary),
    )
)


async def begin(db: Database, owner: str, key: str, request_hash: str) -> Decision:
    """Claim the key for this request, or say why not."""
    now = utcnow()
    claim = {"owner": owner, "key": key, "hash": request_hash, "until": now + LEASE, "now": now}
    if not db.is_sqlite:
        # a new key (the common case) on PostgreSQL: its one INSERT in autocommit (no BEGIN and
        # COMMIT around it: it stands alone; a concurrent first attempt's row is waited for,
        # then found); a key that exists is decided in a unit of work below
        async with db.autocommit() as conn:
            if (await conn.execute(_CLAIM, claim)).rowcount == 1:
                return Decision(Outcome.RUN, first=True)
    try:
        async with UnitOfWork(db) as uow:
            # a new key (the common case) is claimed in one statement; a concurrent first
            # attempt's row is waited for (PostgreSQL) and then read like any existing one
            claimed = await uow.session.execute(_CLAIM, claim)
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                await uow.commit()
                return Decision(Outcome.RUN, first=True)
            row = await uow.session.get(IdempotencyKeyRow, (owner, key))
            if row is None:  # deleted since (by an older release, which deleted freed keys)
                uow.session.add(
                    IdempotencyKeyRow(
                        owner=owner,
                        idempotency_key=key,
                        request_hash=request_hash,
                        state="in_progress",
                        locked_until=now + LEASE,
                        status_code=0,
                        content_type="",
                        body=b"",
                        created_at=now,
                    )
                )
                await uow.commit()
                return Decision(Outcome.RUN)
            if row.state != FREE:  # a key freed by a server error runs any request again
                if row.request_hash != request_hash:
                    return Decision(Outcome.MISMATCH)
                if row.state == "done":
                    return Decision(Outcome.REPLAY, row.status_code, row.content_type, row.body)
            if row.locked_until > now:
                # running: claimed, or a freed key (its lease ended when freed) taken over by
                # an older release beside this one (a rolling deploy: it moves the lease only)
                return Decision(Outcome.IN_PROGRESS)
            # freed, or the attempt holding it died (its lease ran out): taken over by one claimer
            taken = await uow.session.execute(
                _RECLAIM,
                {
                    "b_owner": owner,
                    "b_key": key,
                    "b_was_state": row.state,
                    "b_was_until": row.locked_until,
                    "b_hash": request_hash,
                    "b_until": now + LEASE,
                },
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return Decision(Outcome.IN_PROGRESS)  # another claim took it a moment earlier
            await uow.commit()
            return Decision(Outcome.RUN)
    except IntegrityError:  # a concurrent first attempt inserted the row a moment earlier
        return Decision(Outcome.IN_PROGRESS)


@dataclass(frozen=True)
class Answer:
    status_code: int
    content_type: str
    body: bytes


@dataclass
class Claimed:
    """A key this request claimed (`begin` said RUN). `kept`: the answer a handler already kept
    for it in its own last commit (`keep`), once that committed; the key is then finished
    unless the response sent turns out to be another."""

    owner: str
    key: str
    kept: Answer | None = None
    first: bool = False  # `Decision.first`: nothing ran under this key before


@dataclass(frozen=True)
class Keeping:
    """An answer to keep for a claimed key in the handler's own last commit (`keep`, or
    `KEEP_CTE` in a one-statement write); `claimed.kept` is set once that committed."""

    claimed: Claimed
    answer: Answer

    def params(self) -> dict[str, Any]:
        """`KEEP_CTE`'s parameters."""
        if self.answer.status_code >= 500:
            raise ValueError("a server error frees its key: finish() it")
        return {
            "k_owner": self.claimed.owner,
            "k_key": self.claimed.key,
            "k_status": self.answer.status_code,
            "k_type": self.answer.content_type,
            "k_body": self.answer.body,
        }


# `keep`'s UPDATE as a common table expression of a one-statement write (kit `write_in_one`),
# made only when the statement's `effect` is (`Keeping.params`; `KEEP_TYPES`)
KEEP_CTE = (
    f"key_kept AS (UPDATE {IdempotencyKeyRow.__tablename__} SET state = 'done', status_code = :k_status,"
    " content_type = :k_type, body = :k_body WHERE owner = :k_owner AND idempotency_key = :k_key"
    " AND EXISTS (SELECT 1 FROM effect) RETURNING 1)"
)
KEEP_TYPES: dict[str, Any] = {"k_body": LargeBinary(), "k_status": Integer()}


async def keep(uow: UnitOfWork, claimed: Claimed, answer: Answer) -> None:
    """Keep a successful answer for replays in `uow`, the handler's own last transaction (one
    commit fewer than `finish`'s after it). Set `claimed.kept` once `uow` committed."""
    if answer.status_code >= 500:
        raise ValueError("a server error frees its key: finish() it")
    await _finish_in(uow, claimed.owner, claimed.key, answer)


async def finish(db: Database, owner: str, key: str, status_code: int, content_type: str, body: bytes) -> None:
    """Keep the response for replays; after a server error, free the key so a retry runs again
    (in place: the row stays, see the module's docstring)."""
    async with UnitOfWork(db) as uow:
        await _finish_in(uow, owner, key, Answer(status_code, content_type, body))
        await uow.commit()


async def _finish_in(uow: UnitOfWork, owner: str, key: str, answer: Answer) -> None:
    if answer.status_code >= 500:
        # freed, not deleted; its lease ended now, so that an older release still running
        # beside this one (a rolling deploy) takes it over as a lease run out
        await uow.session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.owner == owner, IdempotencyKeyRow.idempotency_key == key)
            .values(state=FREE, locked_until=utcnow(), status_code=0, content_type="", body=b"")
        )
    else:
        await uow.session.execute(
            _DONE,
            {
                "b_owner": owner,
                "b_key": key,
                "b_status": answer.status_code,
                "b_type": answer.content_type,
                "b_body": answer.body,
            },
        )
