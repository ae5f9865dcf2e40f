"""The company's scheduling preferences (session numbering and the like): read and update."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import (
    SOURCE,
    apply_mask,
)
from shutterbook_scheduling.application.setup import PREFERENCES_NAME
from shutterbook_scheduling.storage.models import (
    CompanyPreferencesRow,
)


async def load_preferences(uow: UnitOfWork, company_id: str, *, create: bool) -> CompanyPreferencesRow:
    row = await uow.session.get(CompanyPreferencesRow, company_id, with_for_update=create)
    if row is None:
        row = CompanyPreferencesRow(company_id=company_id, next_session_number=1000, session_number_prefix="")
        if create:
            uow.session.add(row)
            await uow.session.flush()
    return row


def _prefs_proto(row: CompanyPreferencesRow) -> pb.SchedulingPreferences:
    return pb.SchedulingPreferences(
        name=PREFERENCES_NAME,
        next_session_number=row.next_session_number,
        session_number_prefix=row.session_number_prefix,
    )


async def get_preferences(db: Database, company_id: str, name: str) -> pb.SchedulingPreferences:
    if name != PREFERENCES_NAME:
        v = Violations()
        v.add("name", f"must be {PREFERENCES_NAME}")
        v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        return _prefs_proto(await load_preferences(uow, company_id, create=False))


async def update_preferences(
    db: Database, company_id: str, request: pb.UpdateSchedulingPreferencesRequest
) -> pb.SchedulingPreferences:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_preferences(uow, company_id, create=True)
        msg = _prefs_proto(row)
        apply_mask(
            msg,
            request.scheduling_preferences,
            request.update_mask,
            field="scheduling_preferences",
            output_only=frozenset({"name"}),
        )
        v = Violations()
        if not 0 <= msg.next_session_number < 10**15:
            v.add("scheduling_preferences.next_session_number", "must be 0 to 10^15")
        if len(msg.session_number_prefix) > 20 or not msg.session_number_prefix.isprintable():
            v.add("scheduling_preferences.session_number_prefix", "must be at most 20 printable characters")
        v.raise_if_any()
        row.next_session_number = msg.next_session_number
        row.session_number_prefix = msg.session_number_prefix
        await uow.commit()
    return msg
