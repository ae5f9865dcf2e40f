"""The company's scheduling preferences (session numbering and the like): read and update.
Domain objects in and out, rows through the company repository (the shape is described in
application/company.py)."""

from __future__ import annotations

from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import SOURCE, raise_problems
from shutterbook_scheduling.domain.company import SchedulingPreferences, merged_preferences, preferences_problems
from shutterbook_scheduling.storage.company_repository import CompanyRepository


async def get_preferences(db: Database, company_id: str) -> SchedulingPreferences:
    """The preferences; the defaults before the first save."""
    async with UnitOfWork(db, readonly=True) as uow:
        return await CompanyRepository(uow).preferences(company_id)


async def update_preferences(
    db: Database, company_id: str, incoming: SchedulingPreferences, paths: list[str]
) -> SchedulingPreferences:
    """The fields `paths` name taken from `incoming` (every problem is INVALID_ARGUMENT under
    `scheduling_preferences`)."""
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = CompanyRepository(uow)
        preferences = merged_preferences(await repo.locked_preferences(company_id), incoming, paths)
        raise_problems(preferences_problems(preferences), "scheduling_preferences")
        repo.save_preferences(company_id, preferences)
        await uow.commit()
    return preferences
