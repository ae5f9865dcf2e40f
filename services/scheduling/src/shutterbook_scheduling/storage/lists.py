"""The pages of scheduling's lists: each one select and its order, paged by the kit's
`keyset_page` (the token is bound to the select, so every filter, the company and the
caller's location scope are part of its query). The use cases validate requests and build
messages; the SQL of what a list holds and in which order is here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_kit.pagination import Key, Page, keyset_page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.storage.bulk_models import BulkJobItemRow, BulkJobRow
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    ConfigurationMixin,
    KnownClientRow,
    LocationRow,
    ScheduleRow,
    SessionRow,
)
from shutterbook_scheduling.storage.online_models import TimeSlotRow
from shutterbook_scheduling.storage.pattern_models import TimeSlotPatternRow

T = TypeVar("T", bound=tuple[Any, ...])
C = TypeVar("C", bound=ConfigurationMixin)


def within(query: Select[T], location_column: Any, scope: Scope) -> Select[T]:
    """`query` limited to rows whose `location_column` is within `scope` (None: every location)."""
    if scope is None:
        return query
    return query.where(location_column.in_(sorted(scope)))


async def location_of(uow: UnitOfWork, model: type[Any], column: Any, company_id: str, record_id: str) -> str | None:
    """The location (`column`) of the company's record `record_id` of `model`; None if none."""
    found: str | None = await uow.session.scalar(
        select(column).where(model.id == record_id, model.company_id == company_id)
    )
    return found


def config_location(model: type[Any]) -> Any:
    """The column that places a setup record at a location (locations and schedules), or None
    for the company-wide ones (types, statuses, staff)."""
    if model is LocationRow:
        return LocationRow.id
    if model is ScheduleRow:
        return ScheduleRow.location_id
    return None


def within_config(query: Select[T], model: type[Any], scope: Scope) -> Select[T]:
    column = config_location(model)
    return query if column is None else within(query, column, scope)


def where_equal(query: Select[T], model: type[Any], equal: Iterable[tuple[str, str]]) -> Select[T]:
    """`query` narrowed to rows whose named columns hold the given ids."""
    for column, value in equal:
        query = query.where(getattr(model, column) == value)
    return query


async def config_page(
    session: AsyncSession,
    model: type[C],
    company_id: str,
    page_size: int,
    page_token: str,
    *,
    scope: Scope,
    kind: str | None = None,
    equal: dict[str, str] | None = None,
) -> Page[C]:
    """A setup collection by display name (then id); `kind` picks session or appointment
    types, `equal` maps column names to the values they must hold."""
    query = within_config(select(model).where(model.company_id == company_id), model, scope)
    if kind is not None:
        query = query.where(BookingTypeRow.kind == kind)
    query = where_equal(query, model, (equal or {}).items())
    return await keyset_page(session, query, [model.display_name, model.id], page_size, page_token)


@dataclass(frozen=True)
class SessionFilter:
    """What ListSessions may filter on (each empty or None: any)."""

    equal: Sequence[tuple[str, str]] = ()  # (column name, id) pairs
    location_ids: list[str] | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    file_number: str = ""
    due_by: date | None = None
    start_from: datetime | None = None
    start_before: datetime | None = None


async def sessions_page(
    session: AsyncSession,
    company_id: str,
    found: SessionFilter,
    page_size: int,
    page_token: str,
    *,
    scope: Scope,
    descending: bool,
) -> Page[SessionRow]:
    """Sessions by start time and id, earliest first or (`descending`) latest first."""
    query = within(select(SessionRow).where(SessionRow.company_id == company_id), SessionRow.location_id, scope)
    query = where_equal(query, SessionRow, found.equal)
    if found.location_ids is not None:
        query = query.where(SessionRow.location_id.in_(found.location_ids))
    for flag, setting in found.flags.items():
        query = query.where(getattr(SessionRow, flag).is_(setting))
    if found.file_number:
        query = query.where(SessionRow.file_number == found.file_number)
    if found.due_by is not None:
        query = query.where(SessionRow.status_due_date <= found.due_by)
    if found.start_from is not None:
        query = query.where(SessionRow.start_at >= found.start_from)
    if found.start_before is not None:
        query = query.where(SessionRow.start_at < found.start_before)
    keys: list[Key] = (
        [SessionRow.start_at.desc(), SessionRow.id.desc()] if descending else [SessionRow.start_at, SessionRow.id]
    )
    return await keyset_page(session, query, keys, page_size, page_token)


async def appointments_page(
    session: AsyncSession,
    company_id: str,
    equal: Sequence[tuple[str, str]],
    page_size: int,
    page_token: str,
    *,
    scope: Scope,
) -> Page[AppointmentRow]:
    """Appointments by start time and id; `equal`: (column name, id it must hold) pairs."""
    query = within(
        select(AppointmentRow).where(AppointmentRow.company_id == company_id), AppointmentRow.location_id, scope
    )
    query = where_equal(query, AppointmentRow, equal)
    return await keyset_page(session, query, [AppointmentRow.start_at, AppointmentRow.id], page_size, page_token)


async def time_slots_page(
    session: AsyncSession,
    company_id: str,
    equal: Sequence[tuple[str, str]],
    page_size: int,
    page_token: str,
    scope: Scope,
    starts: tuple[datetime | None, datetime | None] = (None, None),
) -> Page[TimeSlotRow]:
    """Time slots by start time and id; `equal`: (column name, id it must hold) pairs;
    `starts`: [from, before) the slots start in (None: unbounded)."""
    start_from, start_before = starts
    query = within(select(TimeSlotRow).where(TimeSlotRow.company_id == company_id), TimeSlotRow.location_id, scope)
    query = where_equal(query, TimeSlotRow, equal)
    if start_from is not None:
        query = query.where(TimeSlotRow.start_at >= start_from)
    if start_before is not None:
        query = query.where(TimeSlotRow.start_at < start_before)
    return await keyset_page(session, query, [TimeSlotRow.start_at, TimeSlotRow.id], page_size, page_token)


async def slot_patterns_page(
    session: AsyncSession, company_id: str, page_size: int, page_token: str
) -> Page[TimeSlotPatternRow]:
    """The company's time slot patterns (not deleted), oldest first."""
    query = select(TimeSlotPatternRow).where(
        TimeSlotPatternRow.company_id == company_id, TimeSlotPatternRow.deleted.is_(False)
    )
    keys: list[Key] = [TimeSlotPatternRow.created_at, TimeSlotPatternRow.id]
    return await keyset_page(session, query, keys, page_size, page_token)


async def bulk_jobs_page(session: AsyncSession, company_id: str, page_size: int, page_token: str) -> Page[BulkJobRow]:
    """The company's bulk jobs, newest first."""
    query = select(BulkJobRow).where(BulkJobRow.company_id == company_id)
    keys: list[Key] = [BulkJobRow.created_at.desc(), BulkJobRow.id.desc()]
    return await keyset_page(session, query, keys, page_size, page_token)


async def bulk_job_items_page(
    session: AsyncSession, job_id: str, page_size: int, page_token: str
) -> Page[BulkJobItemRow]:
    """A bulk job's items in their order."""
    query = select(BulkJobItemRow).where(BulkJobItemRow.job_id == job_id)
    return await keyset_page(session, query, [BulkJobItemRow.position], page_size, page_token)


async def known_clients_page(
    session: AsyncSession, company_id: str, page_size: int, page_token: str
) -> Page[KnownClientRow]:
    """The company's known clients (with a name), the most recently learned first."""
    query = select(KnownClientRow).where(KnownClientRow.company_id == company_id, KnownClientRow.display_name != "")
    keys: list[Key] = [KnownClientRow.learned_at.desc(), KnownClientRow.client_id.desc()]
    return await keyset_page(session, query, keys, page_size, page_token)
