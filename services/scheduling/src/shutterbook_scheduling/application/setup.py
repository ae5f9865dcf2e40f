"""Use cases of the scheduling setup: locations, staff, schedules, session and appointment
types and session statuses (domain/setup.py; their rules: domain/setup_rules.py).

One generic create/get/list/update/delete serves them all: each resource is named by its
`DocSpec` (collection, request field, row model). The API edge (api/setup_convert.py) brings
the domain objects in and out, and an `Edge`: how the audit trail records a resource and how
a change is announced (the events are messages, built there)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from typing import Any, Generic, TypeVar

from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition, NotFound, Violations
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import reference_cache
from shutterbook_scheduling.application.common import SOURCE, raise_problems
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.domain import setup_rules
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.domain.setup import (
    DEFAULT_STATUS_NAME,
    AppointmentType,
    Location,
    Schedule,
    ScheduleKind,
    SessionStatus,
    SessionType,
    SetupResource,
    StaffMember,
    default_status,
    resource_id,
)
from shutterbook_scheduling.storage import calendar_blocks, lists, setup_records
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
    ConfigurationMixin,
    LocationRow,
    ScheduleRow,
    SessionStatusRow,
    StaffMemberRow,
)
from shutterbook_scheduling.storage.setup_repository import DuplicateName, SetupRepository
from shutterbook_scheduling.storage.setup_usage import in_use

R = TypeVar("R", bound=SetupResource)

CREATED, UPDATED, DELETED = "created", "updated", "deleted"


@dataclass(frozen=True)
class DocSpec(Generic[R]):
    """How one setup resource (`resource`, its domain class) is named and stored."""

    resource: type[R]
    collection: str
    field: str
    model: type[ConfigurationMixin]
    kind: str | None = None
    unique_name: bool = False
    filters: dict[str, str] = dc_field(default_factory=dict)
    writable: frozenset[str] | None = None  # the fields an update may change (None: every one)


@dataclass(frozen=True)
class Edge:
    """What the API edge brings to a change: `snapshot`, the resource as the audit trail records
    it; `announce(uow, company_id, name, change)`, the change's event (CREATED, UPDATED, DELETED)
    emitted in its transaction."""

    snapshot: Callable[[SetupResource], Mapping[str, Any]]
    announce: Callable[[UnitOfWork, str, str, str], None]


LOCATIONS = DocSpec(Location, "locations", "location", LocationRow)
STAFF = DocSpec(StaffMember, "staffMembers", "staff_member", StaffMemberRow)
SCHEDULES = DocSpec(
    Schedule,
    "schedules",
    "schedule",
    ScheduleRow,
    filters={"location": "location_id"},
    # a schedule's kind and location stay what they were: its blocks were checked against them
    writable=frozenset({"display_name", "working_hours", "time_off", "staff_member"}),
)
SESSION_TYPES = DocSpec(SessionType, "sessionTypes", "session_type", BookingTypeRow, kind="session", unique_name=True)
APPOINTMENT_TYPES = DocSpec(
    AppointmentType, "appointmentTypes", "appointment_type", BookingTypeRow, kind="appointment", unique_name=True
)
STATUSES = DocSpec(SessionStatus, "sessionStatuses", "session_status", SessionStatusRow, unique_name=True)
SPECS: dict[str, DocSpec[Any]] = {
    spec.collection: spec for spec in (LOCATIONS, STAFF, SCHEDULES, SESSION_TYPES, APPOINTMENT_TYPES, STATUSES)
}


async def load_row(uow: UnitOfWork, spec: DocSpec[Any], company_id: str, doc_id: str) -> ConfigurationMixin | None:
    """The resource's row, if the caller's locations include it; read once per unit of work
    where the unit of work memoizes (`uow.memo`: the online booking paths)."""
    if uow.memo is None:
        return await SetupRepository(uow).load(spec.model, spec.kind, company_id, doc_id, caller_scope())
    key = ("setup", spec.collection, company_id, doc_id)
    if key not in uow.memo:
        uow.memo[key] = await SetupRepository(uow).load(spec.model, spec.kind, company_id, doc_id, caller_scope())
    row: ConfigurationMixin | None = uow.memo[key]
    return row


async def load_resource(uow: UnitOfWork, spec: DocSpec[R], company_id: str, doc_id: str) -> R | None:
    """The resource as its domain object (domain/setup.py), None when the caller cannot see it.
    On the online booking paths (`uow.memo`) a location, schedule or type is taken from the
    process's reference cache when it has it (`reference_cache`: no statement), and resolved
    once per unit of work (one booking decides on one version of it)."""
    cache = reference_cache.cache_of(uow.db) if uow.memo is not None else None
    if cache is None or uow.memo is None or spec.collection not in reference_cache.CACHED:
        row = await load_row(uow, spec, company_id, doc_id)
        return None if row is None else _read(spec, row)
    scope = caller_scope()
    key = ("resource", spec.collection, company_id, doc_id)
    if key not in uow.memo:
        uow.memo[key] = await _resolve(uow, cache, spec, company_id, doc_id, scope)
    resolved: tuple[R, str | None] | None = uow.memo[key]
    if resolved is None:
        return None
    resource, location_id = resolved
    return resource if scope is None or location_id is None or location_id in scope else None


async def _resolve(
    uow: UnitOfWork, cache: reference_cache.ReferenceCache, spec: DocSpec[R], company_id: str, doc_id: str, scope: Scope
) -> tuple[R, str | None] | None:
    """The resource and the location it is at, from the cache or read now (and kept)."""
    kept = cache.get(company_id, spec.collection, doc_id)
    if kept is not None:
        return kept.resource, kept.location_id
    generation = cache.generation(company_id)  # before the statement: see `ReferenceCache.keep`
    # read now, never a row this unit of work loaded earlier (it may be older than the generation)
    row = await SetupRepository(uow).load(spec.model, spec.kind, company_id, doc_id, scope)
    if row is None:
        return None
    resource = _read(spec, row)
    located = lists.config_location(spec.model)
    location_id = None if located is None else getattr(row, located.key)
    cache.keep(company_id, spec.collection, doc_id, resource, location_id, generation)
    return resource, location_id


def _read(spec: DocSpec[R], row: ConfigurationMixin) -> R:
    found = setup_records.read(row)
    assert isinstance(found, spec.resource)
    return found


async def load_booking_type(
    uow: UnitOfWork, company_id: str, type_id: str, *, appointment: bool
) -> SessionType | AppointmentType | None:
    """A session type, or an appointment type when `appointment` (a slot's, a template's type)."""
    if appointment:
        return await load_resource(uow, APPOINTMENT_TYPES, company_id, type_id)
    return await load_resource(uow, SESSION_TYPES, company_id, type_id)


async def load_reference(
    uow: UnitOfWork,
    spec: DocSpec[R],
    company_id: str,
    name: str,
    path: str,
    violations: Violations,
    required: bool = True,
) -> R | None:
    """The resource a request names at `path` (a reference into `spec`), or None with the
    violation: a bad or missing name, or one that does not exist."""
    doc_id = parse_reference(name, spec.collection, field=path, violations=violations, required=required)
    if doc_id is None:
        return None
    found = await load_resource(uow, spec, company_id, doc_id)
    if found is None:
        violations.add(path, f"{name} does not exist")
    return found


async def schedule_reference(
    uow: UnitOfWork,
    company_id: str,
    ref: str,
    path: str,
    violations: Violations,
    *,
    location: Location | None,
    kind: int | None = None,
    taken: Collection[str] = (),
) -> str | None:
    """The id of the schedule a request names at `path`, or None with the violation: a bad
    name, one that does not exist, a schedule of another location than `location` (when it is
    known), not of `kind` (a ScheduleKind, when given), or one already `taken`."""
    schedule_id = parse_reference(ref, SCHEDULES.collection, field=path, violations=violations)
    if schedule_id is None:
        return None
    schedule = await load_resource(uow, SCHEDULES, company_id, schedule_id)
    if schedule is None:
        violations.add(path, f"{ref} does not exist")
    elif location is not None and schedule.location != location.name:
        violations.add(path, f"{ref} is a schedule of another location")
    elif kind is not None and schedule.kind != kind:
        wanted = "a staff" if kind == ScheduleKind.STAFF else "a resource"
        violations.add(path, f"{ref} is not {wanted} schedule")
    elif schedule_id in taken:
        violations.add(path, f"{ref} is listed twice")
    else:
        return schedule_id
    return None


async def _check(uow: UnitOfWork, spec: DocSpec[Any], company_id: str, resource: SetupResource) -> None:
    """Every problem of `resource` (INVALID_ARGUMENT under the request's field), the resources
    it names looked up."""
    found: dict[str, str] = {}
    for ref in setup_rules.references(resource):
        v = Violations()
        path = f"{spec.field}.{ref.path}"
        await load_reference(uow, SPECS[ref.collection], company_id, ref.name, path, v, ref.required)
        for item in v.items:
            found[ref.path] = item.description
    raise_problems(setup_rules.problems(resource, found), spec.field)
    if spec.unique_name and await SetupRepository(uow).name_taken(
        spec.model, spec.kind, company_id, resource.display_name, resource_id(resource.name, spec.collection)
    ):
        raise _name_exists(spec, resource)


def _name_exists(spec: DocSpec[Any], resource: SetupResource) -> AlreadyExists:
    return AlreadyExists(
        f"a {spec.field.replace('_', ' ')} named {resource.display_name!r} already exists",
        metadata={"field": f"{spec.field}.display_name"},
    )


def _time_off_spans(schedule_id: str, schedule: Schedule) -> list[calendar_blocks.Span]:
    """A schedule's time off occupies it: one calendar block per period."""
    location_id = resource_id(schedule.location, "locations")
    spans = []
    for i, off in enumerate(schedule.time_off):
        assert off.start_time is not None  # the rules say so
        assert off.end_time is not None
        spans.append(calendar_blocks.Span(i, location_id, [schedule_id], off.start_time, off.end_time))
    return spans


async def _write(uow: UnitOfWork, spec: DocSpec[Any], company_id: str, row: ConfigurationMixin, resource: R) -> R:
    """`resource` into `row` (columns and child rows), flushed; a duplicate name is ALREADY_EXISTS."""
    repo = SetupRepository(uow)
    now = utcnow()
    saved = replace(resource, update_time=now)
    setup_records.write(row, saved)
    row.updated_at = now
    if isinstance(saved, SessionStatus) and saved.is_default:
        await repo.clear_other_defaults(company_id, row.id)  # one default per company
    try:
        await repo.flush()
        if isinstance(saved, Schedule):
            await repo.replace_time_off(company_id, row.id, _time_off_spans(row.id, saved))
    except DuplicateName:
        raise _name_exists(spec, saved) from None
    return saved


async def create(uow: UnitOfWork, spec: DocSpec[R], company_id: str, incoming: R, edge: Edge) -> R:
    """A new resource (its name and times given here), checked, stored, audited and announced."""
    if spec is STATUSES or spec is SESSION_TYPES:
        await ensure_default_status(uow, company_id)
    await _check(uow, spec, company_id, replace(incoming, name=""))
    doc_id = str(uuid.uuid4())
    now = utcnow()
    row = setup_records.new_row(spec.model, spec.kind, doc_id, company_id, now)
    SetupRepository(uow).add(row)
    created = replace(incoming, name=f"{spec.collection}/{doc_id}", create_time=now)
    saved = await _write(uow, spec, company_id, row, created)
    uow.audit(company_id, saved.name, CREATED, after=edge.snapshot(saved))
    edge.announce(uow, company_id, saved.name, CREATED)
    return saved


async def get(db: Database, spec: DocSpec[R], company_id: str, name: str) -> R:
    doc_id = parse_name(name, spec.collection)
    async with UnitOfWork(db, readonly=True) as uow:
        found = await load_resource(uow, spec, company_id, doc_id)
    if found is None:
        raise NotFound(f"{name} not found")
    return found


async def list_page(
    db: Database,
    spec: DocSpec[R],
    company_id: str,
    page_size: int,
    page_token: str,
    filters: dict[str, str] | None = None,
) -> tuple[list[R], str]:
    """A page of the resources the caller sees; `filters` by reference ({"location": name})."""
    given = (filters or {}).items()
    equal = {spec.filters[key]: parse_name(value, "locations", field=key) for key, value in given if value}
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.config_page(
            uow.session,
            spec.model,
            company_id,
            page_size,
            page_token,
            scope=caller_scope(),
            kind=spec.kind,
            equal=equal,
        )
    return [_read(spec, r) for r in page.items], page.next_page_token


async def update(db: Database, spec: DocSpec[R], company_id: str, name: str, merge: Callable[[R], R], edge: Edge) -> R:
    """The resource `name` as `merge` makes it from the stored one (the request's fields taken
    by its update mask), checked, stored, audited and announced."""
    doc_id = parse_name(name, spec.collection, field=f"{spec.field}.name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_row(uow, spec, company_id, doc_id)
        if row is None:
            raise NotFound(f"{name} not found")
        before = _read(spec, row)
        after = merge(before)
        await _check(uow, spec, company_id, after)
        saved = await _write(uow, spec, company_id, row, after)
        uow.audit(company_id, saved.name, UPDATED, before=edge.snapshot(before), after=edge.snapshot(saved))
        edge.announce(uow, company_id, saved.name, UPDATED)
        await uow.commit()
    return saved


async def ensure_default_status(uow: UnitOfWork, company_id: str) -> SessionStatus:
    """The company's default status, creating "Session Pending" the first time it is needed."""
    repo = SetupRepository(uow)
    found = await repo.default_status(company_id, DEFAULT_STATUS_NAME)
    if found is not None:
        return setup_records.read_status(found)
    doc_id = str(uuid.uuid4())
    now = utcnow()
    row = SessionStatusRow(id=doc_id, company_id=company_id, created_at=now)
    repo.add(row)
    return await _write(uow, STATUSES, company_id, row, replace(default_status(doc_id), create_time=now))


async def list_statuses(
    db: Database, company_id: str, page_size: int, page_token: str
) -> tuple[list[SessionStatus], str]:
    """A page of the statuses; the first page makes the default status when there is none."""
    if not page_token:
        async with UnitOfWork(db, source=SOURCE) as uow:
            await ensure_default_status(uow, company_id)
            await uow.commit()
    return await list_page(db, STATUSES, company_id, page_size, page_token)


async def delete(db: Database, spec: DocSpec[Any], company_id: str, name: str, edge: Edge) -> None:
    """The resource gone, unless something still uses it (FAILED_PRECONDITION)."""
    doc_id = parse_name(name, spec.collection)
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_row(uow, spec, company_id, doc_id)
        if row is None:
            raise NotFound(f"{name} not found")
        reason = await in_use(uow, spec.collection, company_id, row)
        if reason:
            raise FailedPrecondition(
                f"{name} cannot be deleted: {reason}", reason="RESOURCE_IN_USE", metadata={"resource": name}
            )
        await SetupRepository(uow).delete(row, with_blocks=spec is SCHEDULES)
        uow.audit(company_id, name, DELETED, before=edge.snapshot(setup_records.read(row)))
        edge.announce(uow, company_id, name, DELETED)
        await uow.commit()
