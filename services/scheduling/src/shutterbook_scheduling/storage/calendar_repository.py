"""The calendar's reads (issue 13: a repository per aggregate): the occupying blocks of some
schedules over a range with what the calendar shows of each (only the columns it shows: a busy
week has thousands of sessions), and the places, names and colours around them. Read-only; the
blocks themselves are written by the booking path (storage/calendar_blocks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.calendar import CalendarEntry, EntryKind
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.storage.lists import within
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    CalendarBlockRow,
    KnownClientRow,
    LocationRow,
    ScheduleRow,
    SessionRow,
    TimeOffRow,
)

TYPE_COLLECTIONS = {"session": "sessionTypes", "appointment": "appointmentTypes"}


@dataclass(frozen=True)
class Place:
    """A location as the calendar needs it."""

    display_name: str
    time_zone: str


@dataclass(frozen=True)
class CalendarSchedule:
    display_name: str
    location_id: str


@dataclass(frozen=True)
class _Shown:
    """What the calendar shows of a session or an appointment."""

    description: str
    type: str
    confirmed: bool
    client: str
    session_number: str = ""


def _ref(collection: str, value: str) -> str:
    return f"{collection}/{value}" if value else ""


def _entry_name(kind: str, entry_id: str) -> str:
    return f"schedules/{entry_id}" if kind == EntryKind.TIME_OFF else f"{kind}s/{entry_id}"


class CalendarRepository:
    def __init__(self, uow: UnitOfWork, scope: Scope) -> None:
        self.session = uow.session
        self.scope = scope  # the caller's locations (None: every one)

    async def location(self, company_id: str, location_id: str) -> Place | None:
        query = select(LocationRow.display_name, LocationRow.time_zone).where(
            LocationRow.company_id == company_id, LocationRow.id == location_id
        )
        found = (await self.session.execute(within(query, LocationRow.id, self.scope))).first()
        return None if found is None else Place(found.display_name, found.time_zone)

    async def schedule(self, company_id: str, schedule_id: str) -> CalendarSchedule | None:
        query = select(ScheduleRow.display_name, ScheduleRow.location_id).where(
            ScheduleRow.company_id == company_id, ScheduleRow.id == schedule_id
        )
        found = (await self.session.execute(within(query, ScheduleRow.location_id, self.scope))).first()
        return None if found is None else CalendarSchedule(found.display_name, found.location_id)

    async def schedule_ids_at(self, company_id: str, location_id: str) -> set[str]:
        query = select(ScheduleRow.id).where(
            ScheduleRow.company_id == company_id, ScheduleRow.location_id == location_id
        )
        return set((await self.session.scalars(query)).all())

    async def entries(
        self, company_id: str, schedule_ids: list[str], start: datetime, end: datetime
    ) -> list[CalendarEntry]:
        """Every occupying block on the schedules overlapping [start, end), with what the
        calendar shows. On-hold and cancelled entries do not occupy time, so are not on it."""
        blocks = (
            await self.session.execute(
                select(
                    CalendarBlockRow.schedule_id,
                    CalendarBlockRow.entry_kind,
                    CalendarBlockRow.entry_id,
                    CalendarBlockRow.block_index,
                    CalendarBlockRow.start_at,
                    CalendarBlockRow.end_at,
                    CalendarBlockRow.occupied_start,
                    CalendarBlockRow.occupied_end,
                )
                .where(
                    CalendarBlockRow.company_id == company_id,
                    CalendarBlockRow.schedule_id.in_(schedule_ids),
                    CalendarBlockRow.occupies,
                    CalendarBlockRow.start_at < end,
                    CalendarBlockRow.end_at > start,
                    # implied by the two above (a block lies inside its occupied time); they let
                    # the schedule index scan from the range's start instead of the schedule's past
                    CalendarBlockRow.occupied_end > start,
                    CalendarBlockRow.occupied_start < end,
                )
                .order_by(CalendarBlockRow.start_at, CalendarBlockRow.schedule_id, CalendarBlockRow.id)
            )
        ).all()  # rows of columns, not whole objects
        sessions = await self._sessions(company_id, {b.entry_id for b in blocks if b.entry_kind == "session"})
        appointments = await self._appointments(
            company_id, {b.entry_id for b in blocks if b.entry_kind == "appointment"}
        )
        reasons = await self._time_off_reasons({b.entry_id for b in blocks if b.entry_kind == EntryKind.TIME_OFF})
        colors = await self._colors(company_id, {s.type for s in (*sessions.values(), *appointments.values())})
        out: list[CalendarEntry] = []
        for b in blocks:
            times = (b.start_at, b.end_at, b.occupied_start, b.occupied_end)
            name = _entry_name(b.entry_kind, b.entry_id)
            shown: _Shown | None = None
            kind: EntryKind | None = None
            if b.entry_kind == "session" and b.entry_id in sessions:
                kind, shown = EntryKind.SESSION, sessions[b.entry_id]
            elif b.entry_kind == EntryKind.TIME_OFF:
                reason = reasons.get((b.entry_id, b.block_index), "") or "Time off"
                out.append(CalendarEntry(b.schedule_id, name, EntryKind.TIME_OFF, *times, description=reason))
                continue
            elif b.entry_id in appointments:
                kind, shown = EntryKind.APPOINTMENT, appointments[b.entry_id]
            if shown is None:
                out.append(CalendarEntry(b.schedule_id, name, None, *times))
                continue
            out.append(
                CalendarEntry(
                    b.schedule_id,
                    name,
                    kind,
                    *times,
                    description=shown.description,
                    type=shown.type,
                    confirmed=shown.confirmed,
                    client=shown.client,
                    session_number=shown.session_number,
                    color=colors.get(shown.type, ""),
                )
            )
        return out

    async def _sessions(self, company_id: str, ids: set[str]) -> dict[str, _Shown]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(
                SessionRow.id,
                SessionRow.description,
                SessionRow.type_id,
                SessionRow.confirmed,
                SessionRow.client_id,
                SessionRow.session_number,
            ).where(SessionRow.company_id == company_id, SessionRow.id.in_(ids))
        )
        return {
            sid: _Shown(description, f"sessionTypes/{type_id}", confirmed, f"clients/{client_id}", number)
            for sid, description, type_id, confirmed, client_id, number in rows.tuples()
        }

    async def _appointments(self, company_id: str, ids: set[str]) -> dict[str, _Shown]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(
                AppointmentRow.id,
                AppointmentRow.description,
                AppointmentRow.type_id,
                AppointmentRow.confirmed,
                AppointmentRow.client_id,
            ).where(AppointmentRow.company_id == company_id, AppointmentRow.id.in_(ids))
        )
        return {
            aid: _Shown(description, _ref("appointmentTypes", type_id), confirmed, _ref("clients", client_id))
            for aid, description, type_id, confirmed, client_id in rows.tuples()
        }

    async def _time_off_reasons(self, schedule_ids: set[str]) -> dict[tuple[str, int], str]:
        if not schedule_ids:
            return {}
        rows = await self.session.execute(
            select(TimeOffRow.schedule_id, TimeOffRow.position, TimeOffRow.reason).where(
                TimeOffRow.schedule_id.in_(schedule_ids)
            )
        )
        return {(schedule_id, position): reason for schedule_id, position, reason in rows.tuples()}

    async def _colors(self, company_id: str, type_names: set[str]) -> dict[str, str]:
        type_names.discard("")
        if not type_names:
            return {}
        rows = await self.session.execute(
            select(BookingTypeRow.id, BookingTypeRow.kind, BookingTypeRow.color).where(
                BookingTypeRow.company_id == company_id,
                BookingTypeRow.id.in_({n.split("/")[1] for n in type_names}),
            )
        )
        return {f"{TYPE_COLLECTIONS.get(kind, kind)}/{type_id}": color for type_id, kind, color in rows.tuples()}

    async def client_names(self, company_id: str, clients: set[str]) -> dict[str, str]:
        """Display names of `clients` (names), as scheduling knows them."""
        ids = [c.removeprefix("clients/") for c in clients]
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(KnownClientRow.client_id, KnownClientRow.display_name).where(
                    KnownClientRow.company_id == company_id, KnownClientRow.client_id.in_(ids[i : i + 500])
                )
            )
            found.update({f"clients/{cid}": name for cid, name in rows.tuples()})
        return found

    async def type_names(self, company_id: str) -> dict[str, str]:
        """Every type of the company by name (`sessionTypes/{id}`, `appointmentTypes/{id}`)."""
        rows = await self.session.execute(
            select(BookingTypeRow.id, BookingTypeRow.kind, BookingTypeRow.display_name).where(
                BookingTypeRow.company_id == company_id
            )
        )
        return {f"{TYPE_COLLECTIONS.get(kind, kind)}/{tid}": name for tid, kind, name in rows.tuples()}
