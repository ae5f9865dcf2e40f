"""ListSessions: a client's Sessions tab, the calendar's neighbours, and the console's Sessions
hub (filters on status, type, photographer, flags, file number, due date and locations, earliest
or latest first), paged by start time and id. The request is read into a `SessionFilter` at the
API edge (api/session_convert.py)."""

from __future__ import annotations

from shutterbook_kit.db import Database
from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.domain.entries import Session
from shutterbook_scheduling.storage import entry_records, lists
from shutterbook_scheduling.storage.lists import SessionFilter

ORDERS = {"": False, "start_time": False, "start_time asc": False, "start_time desc": True}
FLAGS = ("confirmed", "no_show", "redo", "on_hold", "cancelled")
MAX_LOCATIONS = 100


async def list_sessions(
    db: Database, company_id: str, found: SessionFilter, page_size: int, page_token: str, *, descending: bool
) -> Page[Session]:
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.sessions_page(
            uow.session,
            company_id,
            found,
            page_size,
            page_token,
            scope=caller_scope(),
            descending=descending,
        )
    return Page([entry_records.session_of(r) for r in page.items], page.next_page_token)
