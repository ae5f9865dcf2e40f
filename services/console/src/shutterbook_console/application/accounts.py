"""Staff accounts of a company: list, create, update, disable (the owner's use cases)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from shutterbook_console.application.secrets import hash_password
from shutterbook_console.domain.staff import (
    StaffAccount,
    check_locations,
    check_name,
    check_password,
    check_roles,
    check_schedule,
    clean_email,
    email_key,
    ensure_an_owner_stays,
)
from shutterbook_console.storage.models import StaffAccountRow
from shutterbook_console.storage.repository import SessionRepository, StaffRepository, to_account
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.identity import Role
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


@dataclass(frozen=True)
class NewStaff:
    name: str
    email: str
    password: str
    roles: list[str]
    location_ids: list[str]
    staff_schedule_id: str = ""


@dataclass(frozen=True)
class StaffChanges:
    """None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    roles: list[str] | None = None
    location_ids: list[str] | None = None
    staff_schedule_id: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class StaffPage:
    items: list[StaffAccount]
    next_page_token: str


def _email_taken() -> AlreadyExists:
    return AlreadyExists("another staff account of the company has this email", reason="EMAIL_TAKEN")


async def list_staff(db: Database, company_id: str, page_size: int, page_token: str) -> StaffPage:
    page = parse_page(page_size, page_token, {"company": company_id})
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await StaffRepository(uow.session).page(company_id, page.size, page.cursor)
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"e": rows[-1].email_key, "i": rows[-1].id} if more and rows else None
    return StaffPage([to_account(r) for r in rows], next_token(cursor, {"company": company_id}))


async def get_staff(db: Database, company_id: str, staff_id: str) -> StaffAccount:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await StaffRepository(uow.session).get(company_id, staff_id)
    if row is None:
        raise NotFound("no such staff account", reason="STAFF_NOT_FOUND")
    return to_account(row)


async def create_staff(db: Database, company_id: str, new: NewStaff) -> StaffAccount:
    violations = Violations()
    name = check_name(new.name, violations)
    email = clean_email(new.email, violations)
    check_password(new.password, violations)
    roles = check_roles(new.roles, violations)
    locations = check_locations(new.location_ids, violations)
    schedule = check_schedule(new.staff_schedule_id, violations)
    violations.raise_if_any()
    password_hash = hash_password(new.password)  # slow on purpose: outside the transaction
    now = utcnow()
    row = StaffAccountRow(
        id=str(uuid.uuid4()),
        company_id=company_id,
        name=name,
        email=email,
        email_key=email_key(email),
        password_hash=password_hash,
        roles=sorted(r.value for r in roles),
        location_ids=locations,
        staff_schedule_id=schedule,
        active=True,
        created_at=now,
        updated_at=now,
    )
    try:
        async with UnitOfWork(db) as uow:
            if await StaffRepository(uow.session).email_taken(company_id, row.email_key):
                raise _email_taken()
            uow.session.add(row)
            await uow.commit()
    except IntegrityError as exc:  # a concurrent create with the same email won
        raise _email_taken() from exc
    return to_account(row)


async def update_staff(db: Database, company_id: str, staff_id: str, changes: StaffChanges) -> StaffAccount:
    violations = Violations()
    name = check_name(changes.name, violations) if changes.name is not None else None
    email = clean_email(changes.email, violations) if changes.email is not None else None
    roles = check_roles(changes.roles, violations) if changes.roles is not None else None
    locations = check_locations(changes.location_ids, violations) if changes.location_ids is not None else None
    schedule = check_schedule(changes.staff_schedule_id, violations) if changes.staff_schedule_id is not None else None
    violations.raise_if_any()
    try:
        async with UnitOfWork(db) as uow:
            staff = StaffRepository(uow.session)
            owners = await staff.active_owners(company_id)  # locks them: the last-owner rule holds under races
            row = await staff.get(company_id, staff_id, lock=True)
            if row is None:
                raise NotFound("no such staff account", reason="STAFF_NOT_FOUND")
            if email is not None and await staff.email_taken(company_id, email_key(email), except_id=row.id):
                raise _email_taken()
            active = row.active if changes.active is None else changes.active
            owner_after = Role.OWNER in roles if roles is not None else Role.OWNER.value in row.roles
            remaining = [o for o in owners if o.id != row.id]
            if row.active and Role.OWNER.value in row.roles and not (active and owner_after):
                ensure_an_owner_stays(len(remaining))
            if name is not None:
                row.name = name
            if email is not None:
                row.email, row.email_key = email, email_key(email)
            if roles is not None:
                row.roles = sorted(r.value for r in roles)
            if locations is not None:
                row.location_ids = locations
            if schedule is not None:
                row.staff_schedule_id = schedule
            row.active = active
            row.updated_at = utcnow()
            if not active:
                await SessionRepository(uow.session).end_for_staff(row.id)  # a disabled account is logged out
            await uow.commit()
    except IntegrityError as exc:
        raise _email_taken() from exc
    return to_account(row)


async def disable_staff(db: Database, company_id: str, staff_id: str) -> StaffAccount:
    return await update_staff(db, company_id, staff_id, StaffChanges(active=False))
