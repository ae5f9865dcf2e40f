"""Idempotent creates by `request_id` (AIP-155): the first response is stored in the same
transaction as the effect; a retry gets that response back, and the same id with a
different request is INVALID_ARGUMENT."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError

from shutterbook_kit.db import ADVISORY_LOCK, Database
from shutterbook_kit.errors import DomainError, InvalidArgument, Violations
from shutterbook_kit.schema import IdempotencyRecord, KitBase, utcnow
from shutterbook_kit.uow import UnitOfWork

R = TypeVar("R", bound=Message)
# What an attempt may fail with because a concurrent twin (same request_id) won: a database
# refusal (a unique or exclusion key, a deadlock) or a domain refusal (a conflict with the
# twin's own booking, a slot the twin took).
RACE_FAILURES = (DBAPIError, DomainError)
Refusal = Callable[[Exception], Awaitable[Exception | None]]
_RECORDS = KitBase.metadata.tables[IdempotencyRecord.__tablename__]
# built once (statement construction costs more than its execution's Python on the hot path)
_RECORD_LOOKUP = select(_RECORDS.c.request_hash, _RECORDS.c.response).where(
    _RECORDS.c.company_id == bindparam("company_id"),
    _RECORDS.c.scope == bindparam("scope"),
    _RECORDS.c.request_id == bindparam("request_id"),
)
# PostgreSQL, `run_idempotent(lock=...)`: a transaction-scoped advisory lock taken in the same
# statement as the look-up (one row: the record's columns, NULL when there is none). The look-up
# reads the statement's snapshot, from before the lock was granted: a twin that committed while
# this waited is not seen here, but by the work's own statements after it (it fails on what
# the twin made, and the refusal path below finds the twin's record).
_LOCKED_LOOKUP = text(
    f"SELECT r.request_hash, r.response FROM ({ADVISORY_LOCK}) AS held"
    f" LEFT JOIN {_RECORDS.name} AS r ON r.company_id = :company_id AND r.scope = :scope"
    " AND r.request_id = :request_id"
)


def request_fingerprint(request: Message) -> str:
    """A hash of the request without its request_id, so retries of one body match."""
    copy = type(request)()
    copy.CopyFrom(request)
    if "request_id" in copy.DESCRIPTOR.fields_by_name:
        copy.ClearField("request_id")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


def validate_request_id(request_id: str, violations: Violations) -> None:
    if request_id and not (8 <= len(request_id) <= 100 and request_id.isprintable()):
        violations.add("request_id", "must be 8 to 100 printable characters, for example a UUID")


async def stored_response(
    db: Database, company_id: str, scope: str, request_id: str, fingerprint: str, response_type: type[R]
) -> R | None:
    """The stored response of (company, scope, request_id), if any: None when the request
    id is new; INVALID_ARGUMENT when it was used with a different request."""
    async with UnitOfWork(db, readonly=True) as uow:
        return await stored_in(uow, company_id, scope, request_id, fingerprint, response_type)


async def stored_in(
    uow: UnitOfWork,
    company_id: str,
    scope: str,
    request_id: str,
    fingerprint: str,
    response_type: type[R],
    *,
    lock: str = "",
) -> R | None:
    """`stored_response`, read in a unit of work already open (`lock`: see `run_idempotent`)."""
    params = {"company_id": company_id, "scope": scope, "request_id": request_id}
    if lock and not uow.db.is_sqlite:
        found = await uow.session.execute(_LOCKED_LOOKUP, params | {"lock": lock})
    else:
        found = await uow.session.execute(_RECORD_LOOKUP, params)
    record = found.first()
    if record is None or record.request_hash is None:
        return None
    if record.request_hash != fingerprint:
        raise InvalidArgument(
            "request_id was already used with a different request",
            reason="REQUEST_ID_REUSED",
            violations=[],
        )
    return response_type.FromString(record.response)


async def run_idempotent(
    db: Database,
    *,
    company_id: str,
    scope: str,
    request: Message,
    request_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
    source: str = "",
    refusal: Refusal | None = None,
    lock: str = "",
) -> R:
    """Run `work` in a unit of work once per (company, scope, request_id).

    `lock` (PostgreSQL, with a request_id): a transaction-scoped advisory lock on that key,
    taken in the look-up's own statement (one round trip for both), held until the unit of work
    ends, for work that would take it first thing (a caller-given id claimed).

    Without a request_id, `work` simply runs. With one, a concurrent duplicate loses on the
    idempotency record's primary key (or on whatever its twin's effect took), rolls back whole,
    and returns the winner's response: the one place a retry racing its own first attempt is
    answered. `refusal` turns a failure into the error the caller gets (a database constraint
    as a domain refusal, say); returning None keeps the failure as it is.
    """
    fingerprint = request_fingerprint(request) if request_id else ""
    attempted = False  # past the look for a stored response: a failure now may be a twin's race
    try:
        async with UnitOfWork(db, source=source) as uow:
            if request_id:  # a retry: looked for in the attempt's own transaction (one, not two)
                replay = await stored_in(uow, company_id, scope, request_id, fingerprint, response_type, lock=lock)
                if replay is not None:
                    return replay
            attempted = True
            result = await work(uow)
            if request_id:  # inserted at the commit, with its audit entries and events (one statement)
                uow.keep_answer(
                    {
                        "company_id": company_id,
                        "scope": scope,
                        "request_id": request_id,
                        "request_hash": fingerprint,
                        "response": result.SerializeToString(deterministic=True),
                        "created_at": utcnow(),
                    }
                )
            await uow.commit()
            return result
    except Exception as exc:
        if not attempted:
            raise
        answer = await refusal(exc) if refusal is not None else None
        if request_id and (answer is not None or isinstance(exc, RACE_FAILURES)):
            # A concurrent twin with the same request_id may have committed first, so that our
            # attempt lost a race it caused itself: the caller gets the twin's result, as a
            # retry would.
            replay = await stored_response(db, company_id, scope, request_id, fingerprint, response_type)
            if replay is not None:
                return replay
        if answer is None:
            raise
        raise answer from None
