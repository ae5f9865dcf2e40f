"""Login sessions: a random id in the browser's cookie, only its SHA-256 in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shutterbook_console.application.secrets import new_token, token_hash
from shutterbook_console.domain.staff import StaffAccount
from shutterbook_console.storage.models import ConsoleSessionRow
from shutterbook_console.storage.repository import SessionRepository, StaffRepository, to_account
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


@dataclass(frozen=True)
class LoggedIn:
    """A session just started: `token` goes into the cookie and nowhere else."""

    token: str
    staff: StaffAccount
    max_age_seconds: int


@dataclass(frozen=True)
class CurrentSession:
    id_sha256: str
    staff: StaffAccount
    method: str


async def start_session(uow: UnitOfWork, staff: StaffAccount, method: str, hours: int) -> LoggedIn:
    """Adds the session to the unit of work (the caller commits)."""
    token = new_token()
    now = utcnow()
    await SessionRepository(uow.session).purge_expired(now)
    uow.session.add(
        ConsoleSessionRow(
            id_sha256=token_hash(token),
            staff_id=staff.id,
            company_id=staff.company_id,
            method=method,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return LoggedIn(token=token, staff=staff, max_age_seconds=hours * 3600)


async def resolve_session(db: Database, token: str) -> CurrentSession | None:
    """The live session of a cookie value: unexpired, of an active account; None otherwise."""
    if not token or len(token) > 100:
        return None
    id_sha256 = token_hash(token)
    async with UnitOfWork(db, readonly=True) as uow:
        row = await SessionRepository(uow.session).get(id_sha256)
        if row is None or row.expires_at <= utcnow():
            return None
        staff = await StaffRepository(uow.session).get(row.company_id, row.staff_id)
        if staff is None or not staff.active:
            return None
        return CurrentSession(id_sha256=id_sha256, staff=to_account(staff), method=row.method)


async def end_session(db: Database, id_sha256: str) -> None:
    async with UnitOfWork(db) as uow:
        await SessionRepository(uow.session).end(id_sha256)
        await uow.commit()
