"""Sessions as notifications sees them (from scheduling.session.* events): the projection,
the reminders, and the triggers ("when a session enters status X / of type X is booked,
send letter Y"; once per trigger and session)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Protocol

from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.application import directory
from shutterbook_notifications.application.outgoing import Outgoing, Recipient, queue, queue_letter, queue_purpose
from shutterbook_notifications.domain.account import SessionAccount
from shutterbook_notifications.domain.context import LocationFacts, SessionFacts, letter_context
from shutterbook_notifications.domain.defaults import STAFF_REMINDER
from shutterbook_notifications.domain.letters import Purpose
from shutterbook_notifications.storage.models import KnownSessionRow, MessageRow
from shutterbook_notifications.storage.repository import SessionRepository, TriggerRepository


@dataclass(frozen=True)
class StaffContact:
    staff_id: str
    display_name: str
    email: str


class UpstreamReads(Protocol):
    """Reads from scheduling (a location's name and address, a session's staff with emails)
    and billing (what a session owes)."""

    async def find(self, company_id: str, location_id: str) -> LocationFacts: ...

    async def session_staff(self, company_id: str, session_id: str) -> list[StaffContact]: ...

    async def session_account(self, company_id: str, session_id: str) -> SessionAccount | None: ...


@dataclass(frozen=True)
class SessionChange:
    company_id: str
    session_id: str
    client_id: str
    number: str
    type_id: str
    type_name: str
    description: str
    status_id: str
    status_name: str
    location_id: str
    time_zone: str
    start: datetime
    end: datetime
    version: datetime
    on_hold: bool | None = None  # None: unchanged
    cancelled: bool | None = None


async def apply(uow: UnitOfWork, c: SessionChange) -> KnownSessionRow:
    """Upsert the projection; an older event than the one applied changes nothing."""
    sessions = SessionRepository(uow.session)
    row = await sessions.get(c.company_id, c.session_id)
    if row is None:
        row = KnownSessionRow(
            company_id=c.company_id,
            session_id=c.session_id,
            on_hold=bool(c.on_hold),
            cancelled=bool(c.cancelled),
            source_updated_at=c.version,
        )
        sessions.add(row)
    elif c.version < row.source_updated_at:
        return row
    row.client_id, row.session_number, row.session_type_id = c.client_id, c.number, c.type_id
    row.type_name, row.description = c.type_name[:200], c.description
    row.status_id, row.status_name = c.status_id, c.status_name[:200]
    row.location_id, row.time_zone, row.start_time, row.end_time = c.location_id, c.time_zone, c.start, c.end
    if c.on_hold is not None:
        row.on_hold = c.on_hold
    if c.cancelled is not None:
        row.cancelled = c.cancelled
    row.source_updated_at = c.version
    await sessions.save()
    return row


async def outgoing_for(
    uow: UnitOfWork, locations: UpstreamReads, row: KnownSessionRow, dedupe_key: str, company_name: str
) -> Outgoing:
    client = await directory.client(uow, row.company_id, row.client_id)
    location = await locations.find(row.company_id, row.location_id)
    session = SessionFacts(
        start=row.start_time,
        end=row.end_time,
        time_zone=row.time_zone,
        number=row.session_number,
        type_name=row.type_name,
        description=row.description,
        status=row.status_name,
    )
    return Outgoing(
        company_id=row.company_id,
        dedupe_key=dedupe_key,
        recipient=Recipient(client_id=client.client_id, email=client.email, phone=client.phone),
        context=letter_context(directory.facts(client), session, location, company_name=company_name),
        session=f"sessions/{row.session_id}",
        account=partial(locations.session_account, row.company_id, row.session_id),
    )


async def _fire(
    uow: UnitOfWork, locations: UpstreamReads, row: KnownSessionRow, kind: str, match_id: str, company_name: str
) -> int:
    triggers = await TriggerRepository(uow.session).matching(row.company_id, kind, match_id)
    for trigger in triggers:
        out = await outgoing_for(uow, locations, row, f"trigger:{trigger.id}:{row.session_id}", company_name)
        out.delay_minutes, out.channel = trigger.delay_minutes, trigger.channel
        await queue_letter(uow, out, trigger.form_letter_id)
    return len(triggers)


async def on_booked(uow: UnitOfWork, locations: UpstreamReads, c: SessionChange, company_name: str = "") -> None:
    row = await apply(uow, c)
    await _photographer_confirmation(uow, locations, row, company_name)
    await _fire(uow, locations, row, "session_type", c.type_id, company_name)
    await _fire(uow, locations, row, "session_status", c.status_id, company_name)  # it entered its first status


async def _photographer_confirmation(
    uow: UnitOfWork, locations: UpstreamReads, row: KnownSessionRow, company_name: str
) -> None:
    """The photographer and assistant of a booked session, if they have an email, get the
    photographer confirmation (once per session and person)."""
    staff = await locations.session_staff(row.company_id, row.session_id)
    if not staff:
        return
    base = await outgoing_for(uow, locations, row, "", company_name)
    for person in staff:
        out = replace(
            base,
            dedupe_key=f"photographer:{row.session_id}:{person.staff_id}",
            recipient=Recipient(client_id="", email=person.email),
        )
        await queue_purpose(uow, out, Purpose.PHOTOGRAPHER_CONFIRMATION)


async def on_status_changed(
    uow: UnitOfWork, locations: UpstreamReads, c: SessionChange, company_name: str = ""
) -> None:
    row = await apply(uow, c)
    await _fire(uow, locations, row, "session_status", c.status_id, company_name)


async def on_reminder_due(
    uow: UnitOfWork, locations: UpstreamReads, c: SessionChange, company_name: str = ""
) -> MessageRow | None:
    """One reminder per session and start time; none for a cancelled or on-hold session (as
    this projection knows it now), none for a client who opted out. Staff get the on-screen
    reminder (page 02: "display a reminder on the screen"), whatever the client chose: a
    message of the SCREEN channel, in the session's log and not the client's, never sent."""
    row = await apply(uow, c)
    if row.cancelled or row.on_hold:
        return None
    key = f"reminder:{row.session_id}:{row.start_time.isoformat()}"
    out = await outgoing_for(uow, locations, row, key, company_name)
    screen = replace(out, dedupe_key=f"screen-{key}", recipient=Recipient(client_id=""), channel="screen")
    await queue(uow, screen, Purpose.REMINDER, "", STAFF_REMINDER)
    if await directory.reminder_opt_out(uow, row.company_id, row.client_id):
        return None
    return await queue_purpose(uow, out, Purpose.REMINDER)
