"""The setup resources' rows (locations, staff, schedules, session and appointment types,
session statuses; application/setup.py): read within the caller's locations, names checked
unique, the one default status, a schedule's time-off blocks, deletes. Every query of the
setup use cases is here; the rows' columns and child rows are written by storage/setup_records.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import class_mapper, joinedload

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.storage import calendar_blocks
from shutterbook_scheduling.storage.lists import config_location
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
    CalendarBlockRow,
    ConfigurationMixin,
    SessionStatusRow,
)
from shutterbook_scheduling.storage.setup_usage import TIME_OFF


def _joined_children(model: type[ConfigurationMixin]) -> list[Any]:
    """Loader options joining a resource's child rows into its own statement: one statement for
    one resource instead of one per child table (a type's price items and promotions, a
    location's address lines and hours, a schedule's working hours and time off)."""
    return [joinedload(rel.class_attribute) for rel in class_mapper(model).relationships if rel.lazy == "selectin"]


_LOADS: dict[tuple[str, bool, bool], Select[Any]] = {}


def _load_statement(model: type[ConfigurationMixin], of_kind: bool, located: bool) -> Select[Any]:
    """`SetupRepository.load`'s statement for a model, built once (its construction, joined
    loader options included, cost about 0.25 ms a call, more than running it): parameters
    `doc_id`, `company_id`, `kind` when `of_kind`, `locations` when `located`."""
    key = (model.__name__, of_kind, located)
    if key not in _LOADS:
        _LOADS[key] = _build_load(model, of_kind, located)
    return _LOADS[key]


def _build_load(model: type[ConfigurationMixin], of_kind: bool, located: bool) -> Select[Any]:
    query = select(model).where(model.id == bindparam("doc_id"), model.company_id == bindparam("company_id"))
    if of_kind:
        query = query.where(BookingTypeRow.kind == bindparam("kind"))
    if located:
        query = query.where(config_location(model).in_(bindparam("locations", expanding=True)))
    return query.options(*_joined_children(model))


class DuplicateName(Exception):
    """A unique display name was taken (by a concurrent writer: the checked case is `name_taken`)."""


class SetupRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def load(
        self, model: type[ConfigurationMixin], kind: str | None, company_id: str, doc_id: str, scope: Scope
    ) -> ConfigurationMixin | None:
        """The company's resource `doc_id` (of `kind`, for types), if the scope sees it."""
        located = config_location(model) is not None and scope is not None
        params: dict[str, Any] = {"doc_id": doc_id, "company_id": company_id}
        if kind is not None:
            params["kind"] = kind
        if located:
            assert scope is not None
            params["locations"] = sorted(scope)
        query = _load_statement(model, kind is not None, located)
        # every row read (the children come one per row), then the one resource
        row: ConfigurationMixin | None = (await self.session.execute(query, params)).unique().scalar_one_or_none()
        return row

    async def name_taken(
        self, model: type[ConfigurationMixin], kind: str | None, company_id: str, display_name: str, own_id: str
    ) -> bool:
        query = select(model.id).where(
            model.company_id == company_id, model.display_name == display_name, model.id != own_id
        )
        if kind is not None:
            query = query.where(BookingTypeRow.kind == kind)
        return await self.session.scalar(query) is not None

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        """Write what changed; DuplicateName when a unique name was taken meanwhile."""
        try:
            await self.session.flush()
        except IntegrityError:
            raise DuplicateName from None

    async def clear_other_defaults(self, company_id: str, default_id: str) -> None:
        """One default status per company: every other one is no longer the default."""
        await self.session.execute(
            update(SessionStatusRow)
            .where(SessionStatusRow.company_id == company_id, SessionStatusRow.id != default_id)
            .values(is_default=False)
        )

    async def replace_time_off(self, company_id: str, schedule_id: str, spans: Sequence[calendar_blocks.Span]) -> None:
        """A schedule's time off as its blocks anew. Marked allow_conflict, so time off can be
        entered over existing bookings (they show as conflicts to resolve) while new bookings
        over it are refused by the booking check."""
        await calendar_blocks.replace_blocks(
            self.session,
            company_id,
            kind=TIME_OFF,
            entry_id=schedule_id,
            spans=spans,
            occupies=True,
            allow_conflict=True,
        )
        await self.flush()

    async def default_status(self, company_id: str, fallback_name: str) -> SessionStatusRow | None:
        """The company's default status, else its status named `fallback_name`, else None."""
        found = await self.session.scalar(
            select(SessionStatusRow).where(SessionStatusRow.company_id == company_id, SessionStatusRow.is_default)
        )
        if found is not None:
            return found
        named: SessionStatusRow | None = await self.session.scalar(
            select(SessionStatusRow).where(
                SessionStatusRow.company_id == company_id, SessionStatusRow.display_name == fallback_name
            )
        )
        return named

    async def delete(self, row: ConfigurationMixin, *, with_blocks: bool) -> None:
        """The resource gone; with its calendar blocks (a schedule's time off) when asked."""
        if with_blocks:
            await self.session.execute(delete(CalendarBlockRow).where(CalendarBlockRow.entry_id == row.id))
        await self.session.delete(row)
