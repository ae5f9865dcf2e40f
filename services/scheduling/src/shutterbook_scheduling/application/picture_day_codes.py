"""Access codes of a picture day (issue 21): one per family, the family's only key to its own
booking on the portal.

A code is `secrets.token_urlsafe(15)` (120 random bits, 20 characters), shown once when issued
(for the letters and emails) and stored only as its SHA-256; issuing again replaces a family's
code, revoking removes it. Every portal call names the code, never a picture day or a family:
the code's row is the one family of the one picture day it leads to, in the caller's company
(another company's code, a guessed one and a revoked one are all NOT_FOUND alike). Throttling
of guesses is the gateway's (its token buckets), in front of this.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from google.protobuf.message import Message

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.resource_names import name_ids, parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import picture_day_bookings as bookings
from shutterbook_scheduling.application import picture_days
from shutterbook_scheduling.application.entries import Attempt, run_booking
from shutterbook_scheduling.application.picture_day_refs import COLLECTION, day_name
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_models import PictureDayFamilyRow, PictureDayRow
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

R = TypeVar("R", bound=Message)
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


async def by_code(
    uow: UnitOfWork, company_id: str, code: str, *, lock: bool = False
) -> tuple[PictureDayRow, PictureDayFamilyRow]:
    """The picture day and family an access code leads to; NOT_FOUND for any other code."""
    found = await PictureDayRepository(uow).family_by_code(company_id, code_hash(code))
    # a key limited to some locations opens only their days (as the staff reads do), and answers
    # a day elsewhere exactly as a wrong code
    if found is None or not caller_sees(found[0].location_id):
        raise NotFound(NO_SUCH_CODE, reason="ACCESS_CODE_NOT_FOUND")
    return found


# --- the studio: issue and revoke -----------------------------------------------------------------


async def issue_codes(
    db: Database, company_id: str, request: pdpb.IssuePictureDayAccessCodesRequest
) -> pdpb.IssuePictureDayAccessCodesResponse:
    """A new code for each family named (none named: each family without a code); the codes
    are in the response only."""
    day_id = parse_name(request.parent, COLLECTION, field="parent")
    v = Violations()
    wanted: list[str] = []
    for i, name in enumerate(request.families):
        ids = name_ids(name, COLLECTION, "families")
        if ids is None or ids[0] != day_id:
            v.add(f"families[{i}]", f"must be a family of {request.parent}, {COLLECTION}/{{id}}/families/{{id}}")
        else:
            wanted.append(ids[1])
    v.raise_if_any()
    out = pdpb.IssuePictureDayAccessCodesResponse()
    async with UnitOfWork(db) as uow:
        day = await picture_days.load_day(uow, company_id, day_id, request.parent)
        families = await PictureDayRepository(uow).families_for_codes(day.id, wanted)
        if len(families) != len(set(wanted)) and wanted:
            raise NotFound("a family named is not a family of this picture day")
        now = utcnow()
        for family in families:
            code = new_code()
            family.code_hash = code_hash(code)
            family.code_issued_at = now
            out.access_codes.append(
                pdpb.PictureDayAccessCode(
                    family=f"{COLLECTION}/{day.id}/families/{family.client_id}",
                    client=f"clients/{family.client_id}",
                    display_name=family.display_name,
                    email=family.email,
                    access_code=code,
                )
            )
            uow.audit(company_id, f"{COLLECTION}/{day.id}/families/{family.client_id}", "access_code_issued")
        await uow.commit()
    return out


async def revoke_code(
    db: Database, company_id: str, request: pdpb.RevokePictureDayAccessCodeRequest
) -> pdpb.PictureDayFamily:
    parse_name(request.name, COLLECTION, "families")
    ids = name_ids(request.name, COLLECTION, "families")
    assert ids is not None
    async with UnitOfWork(db) as uow:
        day = await picture_days.load_day(uow, company_id, ids[0], request.name)
        repo = PictureDayRepository(uow)
        family = await repo.family(day.id, ids[1])
        if family is None:
            raise NotFound(f"{request.name} not found")
        family.code_hash = None
        uow.audit(company_id, request.name, "access_code_revoked")
        children = await repo.children_of(day.id, [family.client_id])
        out = picture_days.family_message(day.id, family, children[family.client_id])
        await uow.commit()
    return out


# --- the family: what the code shows, and its bookings ---------------------------------------------


async def get_access(db: Database, company_id: str, request: pdpb.GetPictureDayAccessRequest) -> pdpb.PictureDayAccess:
    _check_code(request.access_code)
    now = utcnow()
    async with UnitOfWork(db, readonly=True) as uow:
        day, family = await by_code(uow, company_id, request.access_code)
        message = pdpb.PictureDay.FromString(day.data)
        repo = PictureDayRepository(uow)
        children = await repo.children_of(day.id, [family.client_id])
        rows = await repo.family_bookings(day.id, family.client_id)
        own_slots = {r.slot_id for r in rows}
        slots = await repo.slots(day.id, only_free=False)
    zone = ZoneInfo(day.time_zone)
    by_id = {s.id: s for s in slots}
    out = pdpb.PictureDayAccess(
        picture_day=pdpb.PictureDay(
            name=day_name(day.id),
            display_name=message.display_name,
            siblings_per_slot=day.siblings_per_slot,
            open_time=message.open_time,
            close_time=message.close_time,
            window=picture_days.WINDOWS[rules.window(now, day.open_at, day.close_at)],
            time_zone=day.time_zone,
        ),
        family=picture_days.family_message(day.id, family, children[family.client_id]),
        bookings=[bookings.booking_message(r, by_id[r.slot_id]) for r in rows],
        free_slots=[
            picture_days.slot_message(day.id, s, zone) for s in slots if s.booking_id is None or s.id in own_slots
        ],
        location=message.template.location,
    )
    return out


async def _as_family(
    db: Database,
    company_id: str,
    request: pdpb.BookPictureDayByCodeRequest
    | pdpb.ReschedulePictureDayBookingByCodeRequest
    | pdpb.CancelPictureDayBookingByCodeRequest,
    work: Callable[[UnitOfWork, Attempt, PictureDayRow, PictureDayFamilyRow], Awaitable[pdpb.PictureDayBooking]],
) -> pdpb.PictureDayBooking:
    """`work` as the family the request's access code names, once per its request_id (the
    scope: the request's method, e.g. `BookPictureDayByCode`)."""
    _check_code(request.access_code)

    async def run(uow: UnitOfWork, attempt: Attempt) -> pdpb.PictureDayBooking:
        day, family = await by_code(uow, company_id, request.access_code)
        return await work(uow, attempt, day, family)

    scope = type(request).__name__.removesuffix("Request")
    return await run_booking(
        db, company_id, pdpb.PictureDayBooking, run, scope=scope, request=request, request_id=request.request_id
    )


async def _own_booking(uow: UnitOfWork, day: PictureDayRow, family: PictureDayFamilyRow, name: str) -> str:
    """The booking `name`, if it is this family's own (another's is NOT_FOUND, as a guess)."""
    ids = name_ids(name, COLLECTION, "bookings")
    if ids is None or ids[0] != day.id:
        raise NotFound(f"{name} not found")
    if not await PictureDayRepository(uow).is_family_booking(day.id, ids[1], family.client_id):
        raise NotFound(f"{name} not found")
    return name


async def book_by_code(
    db: Database, company_id: str, request: pdpb.BookPictureDayByCodeRequest
) -> pdpb.PictureDayBooking:
    async def work(
        uow: UnitOfWork, attempt: Attempt, day: PictureDayRow, family: PictureDayFamilyRow
    ) -> pdpb.PictureDayBooking:
        return await bookings.book_checked(
            uow, attempt, company_id, day, family.client_id, request.slot, list(request.children), prefix=""
        )

    return await _as_family(db, company_id, request, work)


async def reschedule_by_code(
    db: Database, company_id: str, request: pdpb.ReschedulePictureDayBookingByCodeRequest
) -> pdpb.PictureDayBooking:
    async def work(
        uow: UnitOfWork, attempt: Attempt, day: PictureDayRow, family: PictureDayFamilyRow
    ) -> pdpb.PictureDayBooking:
        name = await _own_booking(uow, day, family, request.booking)
        return await bookings.move(uow, attempt, company_id, name, request.slot)

    return await _as_family(db, company_id, request, work)


async def cancel_by_code(
    db: Database, company_id: str, request: pdpb.CancelPictureDayBookingByCodeRequest
) -> pdpb.PictureDayBooking:
    async def work(
        uow: UnitOfWork, attempt: Attempt, day: PictureDayRow, family: PictureDayFamilyRow
    ) -> pdpb.PictureDayBooking:
        name = await _own_booking(uow, day, family, request.booking)
        return await bookings.cancel(uow, attempt, company_id, name)

    return await _as_family(db, company_id, request, work)
