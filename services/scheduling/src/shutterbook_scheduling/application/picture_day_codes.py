"""Access codes of a picture day (issue 21): one per family, the family's only key to its own
booking on the portal.

A code is `secrets.token_urlsafe(15)` (120 random bits, 20 characters), shown once when issued
(for the letters and emails) and stored only as its SHA-256; issuing again replaces a family's
code, revoking removes it. Every portal call names the code, never a picture day or a family:
the code's row is the one family of the one picture day it leads to, in the caller's company
(another company's code, a guessed one and a revoked one are all NOT_FOUND alike). Throttling
of guesses is the gateway's (its token buckets), in front of this.

Issuing, revoking and what a code shows return domain objects (domain/picture_days.py),
converted at the edge (api/picture_day_convert.py); the family's bookings by code take the
request's fields as plain values and run once per its request_id through the edge's
`picture_day_bookings.Once`, which answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.resource_names import name_ids, parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import picture_day_bookings as bookings
from shutterbook_scheduling.application import picture_days
from shutterbook_scheduling.application.entries import Attempt
from shutterbook_scheduling.application.picture_day_events import Announce
from shutterbook_scheduling.application.picture_day_refs import COLLECTION
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

R = TypeVar("R")
CODE_BYTES = 15
MAX_CODE_LENGTH = 64
NO_SUCH_CODE = "no picture day has this access code"


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _check_code(code: str) -> None:
    v = Violations()
    if not code.strip():
        v.add("access_code", "is required")
    elif len(code) > MAX_CODE_LENGTH or not code.isprintable():
        v.add("access_code", "is not an access code")
    v.raise_if_any()


async def by_code(uow: UnitOfWork, company_id: str, code: str) -> tuple[rules.PictureDay, rules.Family]:
    """The picture day and family an access code leads to; NOT_FOUND for any other code."""
    found = await PictureDayRepository(uow).family_by_code(company_id, code_hash(code))
    # a key limited to some locations opens only their days (as the staff reads do), and answers
    # a day elsewhere exactly as a wrong code
    if found is None or not caller_sees(found[0].location_id):
        raise NotFound(NO_SUCH_CODE, reason="ACCESS_CODE_NOT_FOUND")
    return found


# --- the studio: issue and revoke -----------------------------------------------------------------


async def issue_codes(
    db: Database, company_id: str, parent: str, names: Sequence[str]
) -> list[tuple[rules.Family, str]]:
    """A new code for each family named (`pictureDays/{id}/families/{id}` of the day `parent`;
    none named: each family without a code): each family with its code, the only time the code
    is shown."""
    day_id = parse_name(parent, COLLECTION, field="parent")
    v = Violations()
    wanted: list[str] = []
    for i, name in enumerate(names):
        ids = name_ids(name, COLLECTION, "families")
        if ids is None or ids[0] != day_id:
            v.add(f"families[{i}]", f"must be a family of {parent}, {COLLECTION}/{{id}}/families/{{id}}")
        else:
            wanted.append(ids[1])
    v.raise_if_any()
    out: list[tuple[rules.Family, str]] = []
    async with UnitOfWork(db) as uow:
        day = await picture_days.load_day(uow, company_id, day_id, parent)
        repo = PictureDayRepository(uow)
        families = await repo.families_for_codes(day.id, wanted)
        if len(families) != len(set(wanted)) and wanted:
            raise NotFound("a family named is not a family of this picture day")
        now = utcnow()
        for family in families:
            code = new_code()
            repo.issue_code(family, code_hash(code), now)
            out.append((dataclasses.replace(family, has_access_code=True), code))
            uow.audit(company_id, f"{COLLECTION}/{day.id}/families/{family.client_id}", "access_code_issued")
        await uow.commit()
    return out


async def revoke_code(db: Database, company_id: str, name: str) -> rules.Family:
    """The family `name` (`pictureDays/{id}/families/{id}`) without its code."""
    parse_name(name, COLLECTION, "families")
    ids = name_ids(name, COLLECTION, "families")
    assert ids is not None
    async with UnitOfWork(db) as uow:
        day = await picture_days.load_day(uow, company_id, ids[0], name)
        repo = PictureDayRepository(uow)
        family = await repo.family(day.id, ids[1])
        if family is None:
            raise NotFound(f"{name} not found")
        repo.revoke_code(family)
        uow.audit(company_id, name, "access_code_revoked")
        await uow.commit()
    return dataclasses.replace(family, has_access_code=False)


# --- the family: what the code shows, and its bookings ---------------------------------------------


async def get_access(db: Database, company_id: str, access_code: str) -> rules.FamilyAccess:
    _check_code(access_code)
    now = utcnow()
    async with UnitOfWork(db, readonly=True) as uow:
        day, family = await by_code(uow, company_id, access_code)
        repo = PictureDayRepository(uow)
        bookings = await repo.family_bookings(day.id, family.client_id)
        slots = await repo.slots(day.id, only_free=False)
    return rules.family_access(day, now, family, bookings, slots)


async def _as_family(
    company_id: str,
    access_code: str,
    work: Callable[[UnitOfWork, Attempt, rules.PictureDay, rules.Family], Awaitable[bookings.Booked]],
    once: bookings.Once[R],
) -> R:
    """`work` as the family the access code names, through the edge's `once` (once per the
    request's request_id)."""
    _check_code(access_code)

    async def run(uow: UnitOfWork, attempt: Attempt) -> bookings.Booked:
        day, family = await by_code(uow, company_id, access_code)
        return await work(uow, attempt, day, family)

    return await once(run)


async def _own_booking(uow: UnitOfWork, day: rules.PictureDay, family: rules.Family, name: str) -> str:
    """The booking `name`, if it is this family's own (another's is NOT_FOUND, as a guess)."""
    ids = name_ids(name, COLLECTION, "bookings")
    if ids is None or ids[0] != day.id:
        raise NotFound(f"{name} not found")
    if not await PictureDayRepository(uow).is_family_booking(day.id, ids[1], family.client_id):
        raise NotFound(f"{name} not found")
    return name


async def book_by_code(
    company_id: str, access_code: str, slot: str, children: Sequence[str], once: bookings.Once[R], announce: Announce
) -> R:
    async def work(uow: UnitOfWork, attempt: Attempt, day: rules.PictureDay, family: rules.Family) -> bookings.Booked:
        return await bookings.book_checked(
            uow, attempt, announce, company_id, day, family.client_id, slot, children, prefix=""
        )

    return await _as_family(company_id, access_code, work, once)


async def reschedule_by_code(
    company_id: str, access_code: str, booking: str, slot: str, once: bookings.Once[R], announce: Announce
) -> R:
    async def work(uow: UnitOfWork, attempt: Attempt, day: rules.PictureDay, family: rules.Family) -> bookings.Booked:
        name = await _own_booking(uow, day, family, booking)
        return await bookings.move(uow, attempt, announce, company_id, name, slot)

    return await _as_family(company_id, access_code, work, once)


async def cancel_by_code(
    company_id: str, access_code: str, booking: str, once: bookings.Once[R], announce: Announce
) -> R:
    async def work(uow: UnitOfWork, attempt: Attempt, day: rules.PictureDay, family: rules.Family) -> bookings.Booked:
        name = await _own_booking(uow, day, family, booking)
        return await bookings.cancel(uow, attempt, announce, company_id, name)

    return await _as_family(company_id, access_code, work, once)
