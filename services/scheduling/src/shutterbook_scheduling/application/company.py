"""The company's profile (studio setup, company; issues 16, 17, 20): read, update with a mask,
and its logo. Every change is announced as `scheduling.company.changed` with the whole profile
and the logo's bytes, in the change's own transaction (billing keeps a copy for its documents,
the gateway refreshes the booking page's studio name, logo and colour).

The shape every aggregate follows: a use case takes and returns domain objects
(domain/company.py; an update's mask as a plain list of paths), reads and writes them through
the aggregate's repository (storage/company_repository.py) in one unit of work, and keeps no
protobuf and no SQL. Messages are converted at the API edge (api/company_convert.py); so is the
event, a protobuf message: the edge passes `announce` down (`company_convert.announce_change`)
and the use case calls it in its unit of work once the change is made."""

from __future__ import annotations

from collections.abc import Callable

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, found
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import SOURCE, checked_upload, raise_problems
from shutterbook_scheduling.domain.company import (
    LOGO_NAME,
    PROFILE_NAME,
    Company,
    CompanyFields,
    CompanyLogo,
    CompanyProfile,
    logo_problems,
    merged_fields,
    normalized_fields,
    profile_problems,
    profile_snapshot,
)
from shutterbook_scheduling.storage.company_repository import CompanyRepository

# Emits `scheduling.company.changed` for the company as changed, in the unit of work given.
Announce = Callable[[UnitOfWork, str, Company], None]


async def get_profile(db: Database, company_id: str) -> CompanyProfile | None:
    """The profile; None before the first save."""
    async with UnitOfWork(db, readonly=True) as uow:
        return await CompanyRepository(uow).profile(company_id)


async def update_profile(
    db: Database, company_id: str, incoming: CompanyFields, paths: list[str], announce: Announce
) -> CompanyProfile:
    """The fields `paths` name taken from `incoming` (every problem is INVALID_ARGUMENT under
    `company_profile`), audited and announced."""
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = CompanyRepository(uow)
        before = (await repo.locked_for_change(company_id)).profile
        fields = merged_fields(before.fields, incoming, paths)
        raise_problems(profile_problems(fields), "company_profile")
        after = repo.save_profile(company_id, normalized_fields(fields), utcnow())
        snapshots = profile_snapshot(before), profile_snapshot(after.profile)
        uow.audit(company_id, PROFILE_NAME, "updated", before=snapshots[0], after=snapshots[1])
        announce(uow, company_id, after)
        await uow.commit()
        return after.profile


async def update_logo(db: Database, company_id: str, content_type: str, data: bytes, announce: Announce) -> CompanyLogo:
    """The logo replaced (problems are INVALID_ARGUMENT under `company_logo`); the profile names
    it by its etag."""
    etag = checked_upload(content_type, data, logo_problems, "company_logo")
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = CompanyRepository(uow)
        before = await repo.locked_for_change(company_id)
        now = utcnow()
        logo = CompanyLogo(content_type, data, etag, now)
        after = repo.save_logo(company_id, logo, now)
        changes = {"logo_etag": {"before": before.profile.logo_etag, "after": etag}}
        uow.audit(company_id, PROFILE_NAME, "updated", changes=changes)
        announce(uow, company_id, after)
        await uow.commit()
        return logo


async def get_logo(db: Database, company_id: str) -> CompanyLogo:
    async with UnitOfWork(db, readonly=True) as uow:
        return found(await CompanyRepository(uow).logo(company_id), LOGO_NAME)


async def delete_logo(db: Database, company_id: str, announce: Announce) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = CompanyRepository(uow)
        before = await repo.locked(company_id)
        if before is None or before.logo is None:
            raise NotFound(f"{LOGO_NAME} not found")
        after = repo.save_logo(company_id, None, utcnow())
        uow.audit(company_id, PROFILE_NAME, "updated", changes={"logo_etag": {"before": before.logo.etag, "after": ""}})
        announce(uow, company_id, after)
        await uow.commit()
