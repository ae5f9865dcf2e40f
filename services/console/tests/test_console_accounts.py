"""Staff accounts in the console's database (SQLite, and PostgreSQL where configured):
case-insensitive unique emails per company, the last-owner rule, pages, lookups by session."""

from __future__ import annotations

import pytest

from shutterbook_console import main as console_main
from shutterbook_console.application.accounts import (
    NewStaff,
    StaffChanges,
    create_staff,
    disable_staff,
    list_staff,
    update_staff,
)
from shutterbook_console.application.login import LoginLocked, LoginRefused, LoginRequest, login
from shutterbook_console.application.sessions import resolve_session
from shutterbook_console.domain.throttle import ThrottlePolicy
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition

pytestmark = pytest.mark.postgres
COMPANY = "0b8a4c3e-1f2d-4e5a-9c7b-6d5e4f3a2b10"
OTHER = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
PASSWORD = "a long enough password"


def _new(email: str, *roles: str) -> NewStaff:
    return NewStaff(email.split("@")[0], email, PASSWORD, list(roles), [])


async def test_emails_are_unique_per_company_without_regard_to_case(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("console", migrate_with=console_main.MIGRATIONS))
    try:
        first = await create_staff(db, COMPANY, _new("Desk@example.com", "front_desk"))
        with pytest.raises(AlreadyExists):
            await create_staff(db, COMPANY, _new("desk@EXAMPLE.com", "manager"))
        await create_staff(db, OTHER, _new("desk@example.com", "owner"))  # another company may
        second = await create_staff(db, COMPANY, _new("other@example.com", "manager"))
        with pytest.raises(AlreadyExists):
            await update_staff(db, COMPANY, second.id, StaffChanges(email="DESK@example.com"))
        assert (await update_staff(db, COMPANY, first.id, StaffChanges(email="desk@example.com"))).email == (
            "desk@example.com"
        )
    finally:
        await db.dispose()


async def test_the_last_active_owner_stays(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("console", migrate_with=console_main.MIGRATIONS))
    try:
        owner = await create_staff(db, COMPANY, _new("owner@example.com", "owner"))
        await create_staff(db, OTHER, _new("owner@example.com", "owner"))  # another company's owner does not count
        for change in (StaffChanges(active=False), StaffChanges(roles=["manager"])):
            with pytest.raises(FailedPrecondition):
                await update_staff(db, COMPANY, owner.id, change)
        second = await create_staff(db, COMPANY, _new("second@example.com", "owner", "manager"))
        assert not (await disable_staff(db, COMPANY, owner.id)).active  # another active owner remains
        with pytest.raises(FailedPrecondition):
            await update_staff(db, COMPANY, second.id, StaffChanges(roles=["manager"]))
    finally:
        await db.dispose()


async def test_staff_pages_cover_everyone_once(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("console", migrate_with=console_main.MIGRATIONS))
    try:
        emails = {f"staff{i:02d}@example.com" for i in range(7)}
        for email in emails:
            await create_staff(db, COMPANY, _new(email, "photographer"))
        await create_staff(db, OTHER, _new("stranger@example.com", "owner"))
        seen: list[str] = []
        token = ""
        for _ in range(10):
            page = await list_staff(db, COMPANY, 3, token)
            seen.extend(s.email for s in page.items)
            token = page.next_page_token
            if not token:
                break
        assert sorted(seen) == sorted(emails)
    finally:
        await db.dispose()


async def test_sessions_of_a_disabled_account_stop_resolving(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("console", migrate_with=console_main.MIGRATIONS))
    policy = ThrottlePolicy(lock_after=3, lock_minutes=15)
    try:
        await create_staff(db, COMPANY, _new("owner@example.com", "owner"))
        desk = await create_staff(db, COMPANY, _new("desk@example.com", "front_desk"))
        started = await login(db, LoginRequest("desk@example.com", PASSWORD, "10.0.0.1"), policy, 1)
        assert (await resolve_session(db, started.token)) is not None
        await disable_staff(db, COMPANY, desk.id)
        assert await resolve_session(db, started.token) is None
        with pytest.raises(LoginRefused):
            await login(db, LoginRequest("desk@example.com", PASSWORD, "10.0.0.2"), policy, 1)
        with pytest.raises(LoginRefused):
            await login(db, LoginRequest("desk@example.com", PASSWORD, "10.0.0.3"), policy, 1)
        with pytest.raises(LoginLocked):  # the third failure on the email locks it
            await login(db, LoginRequest("desk@example.com", PASSWORD, "10.0.0.4"), policy, 1)
    finally:
        await db.dispose()


async def test_reset_requests_send_at_most_three_open_links(databases: DatabaseFactory) -> None:
    from shutterbook_console.application.mailer import PasswordResetMail
    from shutterbook_console.application.resets import request_reset

    sent: list[PasswordResetMail] = []

    class Catch:
        async def send_password_reset(self, mail: PasswordResetMail) -> None:
            sent.append(mail)

    db = Database(await databases.new("console", migrate_with=console_main.MIGRATIONS))
    try:
        await create_staff(db, COMPANY, _new("desk@example.com", "front_desk"))
        for _ in range(5):
            await request_reset(db, Catch(), "desk@example.com", public_url="http://x", minutes=30)
        await request_reset(db, Catch(), "nobody@example.com", public_url="http://x", minutes=30)
        assert len(sent) == 3
        assert len({m.link for m in sent}) == 3
    finally:
        await db.dispose()
