"""The picture day aggregate's repository (issue 21): every read, insert, lock and conditional
write of its rows (the day with the close's lease, its slots, families, member children and the
families' bookings; storage/picture_day_models.py), and the known clients a new day's families
are checked against. Rows in, domain objects out (domain/picture_days.py): what a day was
created with beyond its settings (`DayRecord`: title, families' selector, session template,
time-slot rows) is columns and child rows of the day.

One repository module per aggregate: a use case makes `PictureDayRepository(uow)` inside its
unit of work and never touches `uow.session` or writes a statement itself. What keeps the day's
promises under concurrent families is here too: a slot is taken only while free
(`take_slot`), a child only while not booked (`take_children`), a day closed only by the
lease's owner (`take_lease`, `mark_closed`); each says whether it won, the use case decides
what a loss means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update

from shutterbook_kit.pagination import Key, Page, keyset_page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.bulk_jobs import BulkTemplate
from shutterbook_scheduling.domain.client_selection import ClientSelector
from shutterbook_scheduling.domain.picture_days import (
    Booking,
    CloseAction,
    DayRecord,
    Family,
    FamilyChild,
    PictureDay,
    Slot,
)
from shutterbook_scheduling.storage.bulk_row_columns import job_row_of
from shutterbook_scheduling.storage.leases import lease_free, take_lease
from shutterbook_scheduling.storage.models import KnownClientRow
from shutterbook_scheduling.storage.picture_day_models import (
    PictureDayBookingRow,
    PictureDayChildRow,
    PictureDayFamilyRow,
    PictureDayRow,
    PictureDaySlotRow,
    PictureDayTimeRow,
)

DAY_SLOT_ORDER: list[Key] = [PictureDaySlotRow.start_at, PictureDaySlotRow.id]
KNOWN_CHUNK = 500  # client ids per IN list


def _day_slots_query(day_id: str, *, only_free: bool) -> Select[tuple[PictureDaySlotRow]]:
    """A picture day's slots (only the free ones: `only_free`), in no order."""
    query = select(PictureDaySlotRow).where(PictureDaySlotRow.picture_day_id == day_id)
    if only_free:
        query = query.where(PictureDaySlotRow.booking_id.is_(None))
    return query


def _record(row: PictureDayRow) -> DayRecord:
    template = None
    if row.has_template:
        template = BulkTemplate(
            location=row.template_location,
            description=row.template_description,
            session_type=row.template_session_type,
            status=row.template_status,
            photographer=row.template_photographer,
            assistant=row.template_assistant,
            camera_room=row.template_camera_room,
        )
    return DayRecord(
        display_name=row.display_name,
        families=ClientSelector(
            group=row.families_group,
            saved_filter=row.families_saved_filter,
            organization=row.families_organization,
            year=row.families_year,
        ),
        template=template,
        rows=tuple(job_row_of(r) for r in row.rows),
        skipped_families=row.skipped_families,
    )


def _record_columns(record: DayRecord) -> dict[str, object]:
    t = record.template or BulkTemplate()
    return {
        "display_name": record.display_name,
        "families_group": record.families.group,
        "families_saved_filter": record.families.saved_filter,
        "families_organization": record.families.organization,
        "families_year": record.families.year,
        "has_template": record.template is not None,
        "template_location": t.location,
        "template_description": t.description,
        "template_session_type": t.session_type,
        "template_status": t.status,
        "template_photographer": t.photographer,
        "template_assistant": t.assistant,
        "template_camera_room": t.camera_room,
        "skipped_families": record.skipped_families,
        "rows": [PictureDayTimeRow(position=i, **dataclasses.asdict(r)) for i, r in enumerate(record.rows)],
    }


def _day(row: PictureDayRow) -> PictureDay:
    return PictureDay(
        id=row.id,
        company_id=row.company_id,
        location_id=row.location_id,
        time_zone=row.time_zone,
        siblings_per_slot=row.siblings_per_slot,
        open_at=row.open_at,
        close_at=row.close_at,
        close_action=CloseAction(row.close_action),
        created_by=row.created_by,
        created_at=row.created_at,
        record=_record(row),
    )


def session_template(day: PictureDay) -> BulkTemplate:
    """The session template the day was created with (all empty when none was given;
    storage/setup_usage.py reads the same columns for what a day's template names)."""
    return day.session_template


def _day_row(day: PictureDay) -> PictureDayRow:
    return PictureDayRow(
        id=day.id,
        company_id=day.company_id,
        **_record_columns(day.record),
        location_id=day.location_id,
        time_zone=day.time_zone,
        siblings_per_slot=day.siblings_per_slot,
        open_at=day.open_at,
        close_at=day.close_at,
        close_action=day.close_action.value,
        closed_at=None,
        lease_owner=None,
        lease_until=None,
        created_by=day.created_by,
        created_at=day.created_at,
    )


def _slot(row: PictureDaySlotRow) -> Slot:
    return Slot(row.id, row.picture_day_id, row.start_at, row.end_at, row.booking_id)


def _child(row: PictureDayChildRow) -> FamilyChild:
    return FamilyChild(row.client_id, row.member_id, row.display_name, row.booking_id)


def _family(row: PictureDayFamilyRow, children: Sequence[PictureDayChildRow]) -> Family:
    return Family(
        day_id=row.picture_day_id,
        client_id=row.client_id,
        display_name=row.display_name,
        email=row.email,
        has_access_code=row.code_hash is not None,
        children=tuple(_child(c) for c in children),
    )


def _booking(row: PictureDayBookingRow) -> Booking:
    return Booking(
        id=row.id,
        day_id=row.picture_day_id,
        client_id=row.client_id,
        slot_id=row.slot_id,
        children=tuple(row.children.split()),
        session_id=row.session_id,
        cancelled=row.cancelled,
        created_at=row.created_at,
    )


class PictureDayRepository:
    """The picture day aggregate's rows within one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._families: dict[tuple[str, str], PictureDayFamilyRow] = {}

    # --- days ---

    async def day(self, company_id: str, day_id: str, *, lock: bool = False) -> PictureDay | None:
        """The company's day (locked for a change: `lock`), None when it has no such day."""
        query = select(PictureDayRow).where(PictureDayRow.id == day_id, PictureDayRow.company_id == company_id)
        row = await self.uow.session.scalar(query.with_for_update() if lock else query)
        return None if row is None else _day(row)

    async def day_of_booking(self, booking: Booking) -> PictureDay:
        day = await self.uow.session.get(PictureDayRow, booking.day_id)
        assert day is not None  # the booking's foreign key
        return _day(day)

    async def days_page(self, company_id: str, page_size: int, page_token: str) -> Page[PictureDay]:
        """The company's picture days, newest first."""
        query = select(PictureDayRow).where(PictureDayRow.company_id == company_id)
        keys: list[Key] = [PictureDayRow.created_at.desc(), PictureDayRow.id.desc()]
        page = await keyset_page(self.uow.session, query, keys, page_size, page_token)
        return Page([_day(r) for r in page.items], page.next_page_token)

    async def family_counts(self, day_id: str) -> list[tuple[int, int]]:
        """(children booked, children in all) of every family of a day."""
        rows = await self.uow.session.execute(
            select(
                func.count(PictureDayChildRow.booking_id),
                func.count(),
            )
            .where(PictureDayChildRow.picture_day_id == day_id)
            .group_by(PictureDayChildRow.client_id)
        )
        return [(int(booked), int(total)) for booked, total in rows.tuples()]

    async def slot_counts(self, day_id: str) -> tuple[int, int]:
        """(slots taken, slots in all) of a day."""
        slots = await self.uow.session.execute(
            select(func.count(PictureDaySlotRow.booking_id), func.count()).where(
                PictureDaySlotRow.picture_day_id == day_id
            )
        )
        taken, total = slots.tuples().one()
        return int(taken), int(total)

    async def add_day(self, day: PictureDay, slots: Sequence[Slot], families: Sequence[Family]) -> None:
        """Store a new day with its slots, families and their children (in the family's order)."""
        self.uow.session.add(_day_row(day))
        await self.uow.session.flush()
        self.uow.session.add_all(
            PictureDaySlotRow(id=s.id, picture_day_id=day.id, start_at=s.start_at, end_at=s.end_at, booking_id=None)
            for s in slots
        )
        for family in families:
            self.uow.session.add(
                PictureDayFamilyRow(
                    picture_day_id=day.id,
                    client_id=family.client_id,
                    display_name=family.display_name,
                    sort_name=family.display_name.casefold(),
                    email=family.email,
                )
            )
            self.uow.session.add_all(
                PictureDayChildRow(
                    picture_day_id=day.id,
                    client_id=family.client_id,
                    member_id=child.member_id,
                    position=position,
                    display_name=child.display_name,
                    booking_id=None,
                )
                for position, child in enumerate(family.children)
            )
        await self.uow.session.flush()

    async def known_clients(self, company_id: str, client_ids: Sequence[str]) -> dict[str, str]:
        """The live known clients among `client_ids`: id -> primary email."""
        out: dict[str, str] = {}
        for i in range(0, len(client_ids), KNOWN_CHUNK):
            rows = await self.uow.session.execute(
                select(KnownClientRow.client_id, KnownClientRow.primary_email).where(
                    KnownClientRow.company_id == company_id,
                    KnownClientRow.client_id.in_(client_ids[i : i + KNOWN_CHUNK]),
                    KnownClientRow.deleted.is_(False),
                    KnownClientRow.merged_into == "",
                )
            )
            out.update({r.client_id: r.primary_email for r in rows})
        return out

    # --- the close: due days and their lease ---

    async def due_day_ids(self, now: datetime) -> list[str]:
        """Days past their close, not yet closed, whose lease is free (at most 100, the
        earliest close first)."""
        rows = await self.uow.session.scalars(
            select(PictureDayRow.id)
            .where(
                PictureDayRow.closed_at.is_(None),
                PictureDayRow.close_at <= now,
                lease_free(PictureDayRow, now),
            )
            .order_by(PictureDayRow.close_at)
            .limit(100)
        )
        return list(rows)

    async def take_lease(self, day_id: str, owner: str, until: datetime, now: datetime) -> PictureDay | None:
        """The due day leased to `owner` until `until`; None when it is not due or another
        owner holds it."""
        due = (PictureDayRow.closed_at.is_(None), PictureDayRow.close_at <= now)
        if not await take_lease(self.uow.session, PictureDayRow, day_id, owner, until, now, *due):
            return None
        day = await self.uow.session.scalar(select(PictureDayRow).where(PictureDayRow.id == day_id))
        return None if day is None else _day(day)

    async def mark_closed(self, day_id: str, owner: str, now: datetime) -> bool:
        """The day closed `now` and its lease let go, if `owner` still holds it (not when
        another replica took the lease over)."""
        closed = await self.uow.session.execute(
            update(PictureDayRow)
            .where(PictureDayRow.id == day_id, PictureDayRow.lease_owner == owner, PictureDayRow.closed_at.is_(None))
            .values(closed_at=now, lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return bool(closed.rowcount == 1)  # type: ignore[attr-defined]

    # --- families and their children ---

    async def families_page(
        self, day_id: str, page_size: int, page_token: str, *, only_not_booked: bool
    ) -> Page[Family]:
        """A picture day's families by sort name (then client id); `only_not_booked`: those with
        a child still to book."""
        query = select(PictureDayFamilyRow).where(PictureDayFamilyRow.picture_day_id == day_id)
        if only_not_booked:
            unbooked = select(PictureDayChildRow.client_id).where(
                PictureDayChildRow.picture_day_id == day_id, PictureDayChildRow.booking_id.is_(None)
            )
            query = query.where(PictureDayFamilyRow.client_id.in_(unbooked))
        keys: list[Key] = [PictureDayFamilyRow.sort_name, PictureDayFamilyRow.client_id]
        page = await keyset_page(self.uow.session, query, keys, page_size, page_token)
        children = await self._children_rows(day_id, [f.client_id for f in page.items])
        return Page([_family(f, children[f.client_id]) for f in page.items], page.next_page_token)

    async def _kept(self, rows: Sequence[PictureDayFamilyRow]) -> list[Family]:
        """The families of rows read for a change of their codes (kept for `issue_code`,
        `revoke_code`), with their children."""
        if not rows:
            return []
        children = await self._children_rows(rows[0].picture_day_id, [r.client_id for r in rows])
        for row in rows:
            self._families[row.picture_day_id, row.client_id] = row
        return [_family(r, children[r.client_id]) for r in rows]

    async def family(self, day_id: str, client_id: str) -> Family | None:
        """The family, read for a change of its code."""
        row = await self.uow.session.scalar(
            select(PictureDayFamilyRow).where(
                PictureDayFamilyRow.picture_day_id == day_id, PictureDayFamilyRow.client_id == client_id
            )
        )
        return None if row is None else (await self._kept([row]))[0]

    async def families_for_codes(self, day_id: str, client_ids: Sequence[str]) -> list[Family]:
        """The families `client_ids` names (none named: those without a code), by sort name,
        read for a change of their codes."""
        query = select(PictureDayFamilyRow).where(PictureDayFamilyRow.picture_day_id == day_id)
        query = (
            query.where(PictureDayFamilyRow.client_id.in_(client_ids))
            if client_ids
            else query.where(PictureDayFamilyRow.code_hash.is_(None))
        )
        rows = await self.uow.session.scalars(
            query.order_by(PictureDayFamilyRow.sort_name, PictureDayFamilyRow.client_id)
        )
        return await self._kept(list(rows.all()))

    def _family_row(self, family: Family) -> PictureDayFamilyRow:
        if (family.day_id, family.client_id) not in self._families:
            raise RuntimeError("read the family before changing its code")
        return self._families[family.day_id, family.client_id]

    def issue_code(self, family: Family, code_hash: str, now: datetime) -> None:
        """The family's code is now the one with this hash, issued `now`."""
        row = self._family_row(family)
        row.code_hash, row.code_issued_at = code_hash, now

    def revoke_code(self, family: Family) -> None:
        self._family_row(family).code_hash = None

    async def family_by_code(self, company_id: str, code_hash: str) -> tuple[PictureDay, Family] | None:
        """The company's day and family whose access code has this hash."""
        query = (
            select(PictureDayFamilyRow, PictureDayRow)
            .join(PictureDayRow, PictureDayRow.id == PictureDayFamilyRow.picture_day_id)
            .where(PictureDayFamilyRow.code_hash == code_hash, PictureDayRow.company_id == company_id)
        )
        found = (await self.uow.session.execute(query)).first()
        if found is None:
            return None
        family, day = found[0], found[1]
        children = await self._children_rows(day.id, [family.client_id])
        return _day(day), _family(family, children[family.client_id])

    async def children_of(self, day_id: str, client_ids: Sequence[str]) -> dict[str, list[FamilyChild]]:
        """The member children of each family named, in the family's order."""
        rows = await self._children_rows(day_id, client_ids)
        return {client_id: [_child(c) for c in children] for client_id, children in rows.items()}

    async def _children_rows(self, day_id: str, client_ids: Sequence[str]) -> dict[str, list[PictureDayChildRow]]:
        rows = (
            await self.uow.session.scalars(
                select(PictureDayChildRow)
                .where(PictureDayChildRow.picture_day_id == day_id, PictureDayChildRow.client_id.in_(client_ids))
                .order_by(PictureDayChildRow.client_id, PictureDayChildRow.position)
            )
        ).all()
        out: dict[str, list[PictureDayChildRow]] = {c: [] for c in client_ids}
        for row in rows:
            out[row.client_id].append(row)
        return out

    async def family_children(self, day_id: str, client_id: str) -> list[FamilyChild]:
        """One family's member children, in its order."""
        rows = await self.uow.session.scalars(
            select(PictureDayChildRow)
            .where(PictureDayChildRow.picture_day_id == day_id, PictureDayChildRow.client_id == client_id)
            .order_by(PictureDayChildRow.position)
        )
        return [_child(r) for r in rows.all()]

    async def unbooked_children(self, day_id: str) -> list[tuple[str, str]]:
        """(client id, member id) of every child not booked, families in name order."""
        rows = await self.uow.session.execute(
            select(PictureDayChildRow.client_id, PictureDayChildRow.member_id)
            .join(
                PictureDayFamilyRow,
                (PictureDayFamilyRow.picture_day_id == PictureDayChildRow.picture_day_id)
                & (PictureDayFamilyRow.client_id == PictureDayChildRow.client_id),
            )
            .where(PictureDayChildRow.picture_day_id == day_id, PictureDayChildRow.booking_id.is_(None))
            .order_by(PictureDayFamilyRow.sort_name, PictureDayFamilyRow.client_id, PictureDayChildRow.position)
        )
        return [(client_id, member_id) for client_id, member_id in rows.tuples()]

    async def take_children(self, day_id: str, client_id: str, member_ids: Sequence[str], booking_id: str) -> int:
        """The conditional UPDATE that books each child once: how many were still free (and
        are now the booking's)."""
        result = await self.uow.session.execute(
            update(PictureDayChildRow)
            .where(
                PictureDayChildRow.picture_day_id == day_id,
                PictureDayChildRow.client_id == client_id,
                PictureDayChildRow.member_id.in_(member_ids),
                PictureDayChildRow.booking_id.is_(None),
            )
            .values(booking_id=booking_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # --- slots ---

    async def slots(self, day_id: str, *, only_free: bool) -> list[Slot]:
        """A picture day's slots in time order (then id), all of them."""
        query = _day_slots_query(day_id, only_free=only_free).order_by(*DAY_SLOT_ORDER)
        return [_slot(r) for r in (await self.uow.session.scalars(query)).all()]

    async def slots_page(self, day_id: str, page_size: int, page_token: str, *, only_free: bool) -> Page[Slot]:
        """A picture day's slots in time order (then id), a page of them."""
        query = _day_slots_query(day_id, only_free=only_free)
        page = await keyset_page(self.uow.session, query, DAY_SLOT_ORDER, page_size, page_token)
        return Page([_slot(r) for r in page.items], page.next_page_token)

    async def slot(self, day_id: str, slot_id: str) -> Slot | None:
        row = await self.uow.session.scalar(
            select(PictureDaySlotRow).where(PictureDaySlotRow.id == slot_id, PictureDaySlotRow.picture_day_id == day_id)
        )
        return None if row is None else _slot(row)

    async def slot_by_id(self, slot_id: str) -> Slot | None:
        row = await self.uow.session.scalar(select(PictureDaySlotRow).where(PictureDaySlotRow.id == slot_id))
        return None if row is None else _slot(row)

    async def take_slot(self, slot_id: str, booking_id: str) -> bool:
        """The conditional UPDATE that gives a slot to one booking: whether it was still free."""
        result = await self.uow.session.execute(
            update(PictureDaySlotRow)
            .where(PictureDaySlotRow.id == slot_id, PictureDaySlotRow.booking_id.is_(None))
            .values(booking_id=booking_id)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def free_slot(self, slot_id: str, booking_id: str) -> None:
        """The slot free again, if the booking has it."""
        await self.uow.session.execute(
            update(PictureDaySlotRow)
            .where(PictureDaySlotRow.id == slot_id, PictureDaySlotRow.booking_id == booking_id)
            .values(booking_id=None)
            .execution_options(synchronize_session=False)
        )

    # --- bookings ---

    async def add_booking(self, company_id: str, booking: Booking) -> None:
        row = PictureDayBookingRow(
            id=booking.id,
            picture_day_id=booking.day_id,
            company_id=company_id,
            client_id=booking.client_id,
            slot_id=booking.slot_id,
            children=" ".join(booking.children),
            session_id=booking.session_id,
            cancelled=booking.cancelled,
            created_at=booking.created_at,
        )
        self.uow.session.add(row)
        await self.uow.session.flush()

    async def locked_booking(self, day_id: str, booking_id: str) -> Booking | None:
        row = await self.uow.session.scalar(
            select(PictureDayBookingRow)
            .where(PictureDayBookingRow.id == booking_id, PictureDayBookingRow.picture_day_id == day_id)
            .with_for_update()
        )
        return None if row is None else _booking(row)

    async def locked_booking_of_session(self, company_id: str, session_id: str) -> Booking | None:
        """The live (not cancelled) booking whose session this is, locked."""
        row = await self.uow.session.scalar(
            select(PictureDayBookingRow)
            .where(
                PictureDayBookingRow.company_id == company_id,
                PictureDayBookingRow.session_id == session_id,
                PictureDayBookingRow.cancelled.is_(False),
            )
            .with_for_update()
        )
        return None if row is None else _booking(row)

    async def family_bookings(self, day_id: str, client_id: str) -> list[Booking]:
        """A family's live (not cancelled) bookings of a day, oldest first."""
        rows = await self.uow.session.scalars(
            select(PictureDayBookingRow)
            .where(
                PictureDayBookingRow.picture_day_id == day_id,
                PictureDayBookingRow.client_id == client_id,
                PictureDayBookingRow.cancelled.is_(False),
            )
            .order_by(PictureDayBookingRow.created_at)
        )
        return [_booking(r) for r in rows.all()]

    async def is_family_booking(self, day_id: str, booking_id: str, client_id: str) -> bool:
        """Whether the booking (cancelled or not) is this family's."""
        own = await self.uow.session.scalar(
            select(PictureDayBookingRow.id).where(
                PictureDayBookingRow.id == booking_id,
                PictureDayBookingRow.picture_day_id == day_id,
                PictureDayBookingRow.client_id == client_id,
            )
        )
        return own is not None

    async def _locked_row(self, booking: Booking) -> PictureDayBookingRow:
        """The row of a booking read locked in this unit of work (the session's, without a query)."""
        row = await self.uow.session.get(PictureDayBookingRow, booking.id)
        assert row is not None
        return row

    async def move_booking(self, booking: Booking, slot_id: str) -> Booking:
        """The booking's old slot free again, the booking on `slot_id` (taken first: `take_slot`)."""
        await self.free_slot(booking.slot_id, booking.id)
        (await self._locked_row(booking)).slot_id = slot_id
        return dataclasses.replace(booking, slot_id=slot_id)

    async def release(self, booking: Booking) -> Booking:
        """The booking's slot and children free again, the booking cancelled."""
        await self.free_slot(booking.slot_id, booking.id)
        await self.uow.session.execute(
            update(PictureDayChildRow)
            .where(
                PictureDayChildRow.picture_day_id == booking.day_id,
                PictureDayChildRow.booking_id == booking.id,
            )
            .values(booking_id=None)
            .execution_options(synchronize_session=False)
        )
        (await self._locked_row(booking)).cancelled = True
        return dataclasses.replace(booking, cancelled=True)
