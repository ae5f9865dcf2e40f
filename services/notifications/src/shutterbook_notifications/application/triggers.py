"""Triggers: when a session enters status X, or a session of type X is booked, send letter Y
(after a delay, on a channel; a disabled trigger sends nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.application.letters import letter_by_id
from shutterbook_notifications.storage.models import TriggerRow
from shutterbook_notifications.storage.repository import TriggerRepository

KINDS = ("session_status", "session_type")
CHANNELS = ("", "email", "sms")  # "": email when the client has an address, else SMS
MAX_DELAY_MINUTES = 43_200  # 30 days


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger's editable fields (the API checked their shape)."""

    kind: str
    match_id: str
    form_letter_id: str
    delay_minutes: int = 0
    channel: str = ""
    disabled: bool = False


async def _check_letter(uow: UnitOfWork, company_id: str, spec: TriggerSpec, violations: Violations) -> None:
    if spec.form_letter_id and await letter_by_id(uow, company_id, spec.form_letter_id) is None:
        violations.add("trigger.form_letter", "no such form letter")
    violations.raise_if_any("the trigger has invalid fields")


def _apply(row: TriggerRow, spec: TriggerSpec) -> None:
    row.kind, row.match_id, row.form_letter_id = spec.kind, spec.match_id, spec.form_letter_id
    row.delay_minutes, row.channel, row.disabled = spec.delay_minutes, spec.channel, spec.disabled


async def create_trigger(uow: UnitOfWork, company_id: str, spec: TriggerSpec, violations: Violations) -> TriggerRow:
    """`violations` carries what the API found wrong with the fields; the letter is checked here.
    Written in the caller's unit of work (which commits, with its request_id)."""
    await _check_letter(uow, company_id, spec, violations)
    row = TriggerRow(id=str(uuid.uuid4()), company_id=company_id, created_at=utcnow())
    _apply(row, spec)
    await TriggerRepository(uow.session).add(row)
    return row


async def get_trigger(db: Database, company_id: str, trigger_id: str) -> TriggerRow:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await TriggerRepository(uow.session).get(company_id, trigger_id)
    if row is None:
        raise NotFound("no such trigger")
    return row


async def update_trigger(
    db: Database,
    company_id: str,
    trigger_id: str,
    spec_of: Callable[[TriggerSpec], TriggerSpec],
    violations: Violations,
) -> TriggerRow:
    """`spec_of` turns the trigger's current fields into the new ones (the update mask applied)."""
    async with UnitOfWork(db) as uow:
        row = await TriggerRepository(uow.session).get(company_id, trigger_id)
        if row is None:
            raise NotFound("no such trigger")
        current = TriggerSpec(row.kind, row.match_id, row.form_letter_id, row.delay_minutes, row.channel, row.disabled)
        spec = spec_of(current)
        await _check_letter(uow, company_id, spec, violations)
        _apply(row, spec)
        await uow.commit()
    return row


async def list_triggers(db: Database, company_id: str, page_size: int, page_token: str) -> tuple[list[TriggerRow], str]:
    page = parse_page(page_size, page_token)
    after_id = page.cursor["id"] if page.cursor else ""
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await TriggerRepository(uow.session).by_id(company_id, after_id, page.size + 1)
    more = len(rows) > page.size
    rows = rows[: page.size]
    return rows, next_token({"id": rows[-1].id} if more and rows else None)


async def delete_trigger(db: Database, company_id: str, trigger_id: str) -> None:
    async with UnitOfWork(db) as uow:
        triggers = TriggerRepository(uow.session)
        row = await triggers.get(company_id, trigger_id)
        if row is None:
            raise NotFound("no such trigger")
        await triggers.remove(row)
        await uow.commit()
