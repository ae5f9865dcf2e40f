"""Password login with slowing down of guessing, logout, password change.

One generic refusal for an unknown email, a wrong password and a disabled account, so the
answer never tells whether an email has an account. Failures are counted per email tried
(per company scope) and per client address (`domain/throttle.py`); a locked key is refused
without checking the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shutterbook_console.application.secrets import hash_password, needs_rehash, verify_password
from shutterbook_console.application.sessions import LoggedIn, start_session
from shutterbook_console.domain.staff import check_password, email_key
from shutterbook_console.domain.throttle import ThrottlePolicy, account_key, address_key, retry_after_seconds
from shutterbook_console.storage.models import LoginThrottleRow, StaffAccountRow
from shutterbook_console.storage.repository import SessionRepository, StaffRepository, ThrottleRepository, to_account
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError, FieldViolation, InvalidArgument, Violations
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

GENERIC_REFUSAL = "The email or password is not right."


class LoginRefused(DomainError):
    """Wrong email or password (or a disabled account): one answer for all."""

    def __init__(self) -> None:
        super().__init__(GENERIC_REFUSAL, reason="LOGIN_FAILED")


class LoginLocked(DomainError):
    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            reason="TOO_MANY_ATTEMPTS",
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginRequest:
    email: str
    password: str
    address: str
    company_id: str | None = None  # a studio's own login link narrows the email to its company


async def _check_locks(uow: UnitOfWork, keys: list[str], now: datetime) -> None:
    repo = ThrottleRepository(uow.session)
    for key in keys:
        row = await repo.get(key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            raise LoginLocked(retry_after_seconds(row.locked_until, now))


async def _record_failure(db: Database, keys: list[str], policy: ThrottlePolicy) -> int | None:
    """Counts one failure on every key; returns the retry-after of a lock this failure set."""
    now = utcnow()
    locked: int | None = None
    async with UnitOfWork(db) as uow:
        repo = ThrottleRepository(uow.session)
        for key in keys:
            row = await repo.get(key)
            if row is None:
                row = LoginThrottleRow(key=key, failures=0, last_failure_at=now)
                uow.session.add(row)
            row.failures += 1
            row.last_failure_at = now
            lock = policy.lock_for(row.failures)
            if lock is not None:
                row.locked_until = now + lock
                locked = max(locked or 0, retry_after_seconds(row.locked_until, now))
        await uow.commit()
    return locked


async def login(db: Database, request: LoginRequest, policy: ThrottlePolicy, session_hours: int) -> LoggedIn:
    key = email_key(request.email)
    scope = request.company_id or "*"
    keys = [account_key(scope, key), address_key(request.address or "unknown")]
    async with UnitOfWork(db, readonly=True) as uow:
        await _check_locks(uow, keys, utcnow())
        candidates = await StaffRepository(uow.session).by_email(key, request.company_id) if key else []
    # argon2 is slow on purpose: checked outside any transaction; an unknown email costs the same
    matches = [row for row in candidates if verify_password(row.password_hash, request.password)]
    if not candidates:
        verify_password(None, request.password)
    matched: StaffAccountRow | None = matches[0] if len(matches) == 1 else None
    if matched is None or not matched.active:
        locked = await _record_failure(db, keys, policy)
        if locked is not None:
            raise LoginLocked(locked)
        raise LoginRefused()
    async with UnitOfWork(db) as uow:
        row = await StaffRepository(uow.session).get(matched.company_id, matched.id, lock=True)
        if row is None or not row.active:  # disabled meanwhile
            raise LoginRefused()
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(request.password)
        await ThrottleRepository(uow.session).clear(keys[0])
        started = await start_session(uow, to_account(row), "password", session_hours)
        await uow.commit()
    return started


async def change_password(
    db: Database, company_id: str, staff_id: str, current: str, new: str, keep_session: str
) -> None:
    """Needs the current password; every other session of the account ends."""
    violations = Violations()
    if not current:
        violations.add("current_password", "enter your current password")
    check_password(new, violations, "new_password")
    violations.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        row = await StaffRepository(uow.session).get(company_id, staff_id)
    if row is None or not verify_password(row.password_hash, current):
        raise InvalidArgument(
            "the current password is not right",
            violations=[FieldViolation("current_password", "not your current password")],
        )
    new_hash = hash_password(new)
    async with UnitOfWork(db) as uow:
        row = await StaffRepository(uow.session).get(company_id, staff_id, lock=True)
        if row is None:
            raise LoginRefused()
        row.password_hash = new_hash
        row.updated_at = utcnow()
        await SessionRepository(uow.session).end_for_staff(staff_id, keep=keep_session)
        await uow.commit()
