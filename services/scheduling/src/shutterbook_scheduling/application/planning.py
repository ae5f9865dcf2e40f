"""Planning a session or appointment: from the entry (domain/entries.py: wall-clock input in the
location's zone, references as given) to the blocks it occupies, with every bad field named.

The studio's setup (locations, schedules, types, statuses) is read through `setup` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.domain import entries, rules, times
from shutterbook_scheduling.domain.entries import Appointment, Clock, Day, PlannedBlock, Session
from shutterbook_scheduling.domain.setup import AppointmentType, BookingType, Location, SessionStatus, SessionType
from shutterbook_scheduling.storage.entry_repository import EntryRepository
from shutterbook_scheduling.storage.known_client_repository import KnownClientRepository
from shutterbook_scheduling.storage.setup_usage import TIME_OFF

SESSION = "session"


APPOINTMENT = "appointment"


@dataclass(frozen=True)
class Plan:
    """Where the entry is (its location, as read), its type (`booking_type`), the blocks it
    occupies, its client's id: what every entry's plan says (`SessionPlan`, `AppointmentPlan`)."""

    location: Location
    booking_type: BookingType
    blocks: list[PlannedBlock]
    client_id: str = ""

    @property
    def start(self) -> datetime:
        return min(b.start for b in self.blocks)

    @property
    def end(self) -> datetime:
        return max(b.end for b in self.blocks)


@dataclass(frozen=True)
class SessionPlan(Plan):
    """A session's plan: its session type and the status it names (None when it names none)."""

    booking_type: SessionType
    status: SessionStatus | None = None


@dataclass(frozen=True)
class AppointmentPlan(Plan):
    """An appointment's plan: its appointment type."""

    booking_type: AppointmentType


def read_day(value: Day | None, path: str, v: Violations, *, required: bool = True) -> date | None:
    """A given date (`entries.read_day`), its problem added to `v`."""
    problems: dict[str, str] = {}
    found = entries.read_day(value, path, problems, required=required)
    for field, problem in problems.items():
        v.add(field, problem)
    return found


def read_clock(value: Clock | None, path: str, v: Violations) -> time | None:
    """A given time of day (`entries.read_clock`), its problem added to `v`."""
    problems: dict[str, str] = {}
    found = entries.read_clock(value, path, problems)
    for field, problem in problems.items():
        v.add(field, problem)
    return found


async def _plan_block(
    uow: UnitOfWork,
    company_id: str,
    *,
    path: str,
    day: Day | None,
    start: Clock | None,
    end: Clock | None,
    duration_minutes: int,
    location: Location,
    schedule_refs: list[tuple[str, str, int | None]],
    index: int,
    v: Violations,
    date_field: str,
) -> PlannedBlock | None:
    """One block: local date and wall-clock times read in the location's zone."""
    tz = times.zone(location.time_zone)
    local_day = read_day(day, f"{path}{date_field}", v)
    start_clock = read_clock(start, f"{path}start", v)
    end_clock: time | None = None
    if end is not None:
        end_clock = read_clock(end, f"{path}end", v)
    schedule_ids: list[str] = []
    location_id = location.name.removeprefix("locations/")
    for ref, ref_path, kind in schedule_refs:
        found = await setup.schedule_reference(
            uow, company_id, ref, ref_path, v, location=location, kind=kind, taken=schedule_ids
        )
        if found is not None:
            schedule_ids.append(found)
    if local_day is None or start_clock is None or (end is not None and end_clock is None):
        return None
    try:
        planned = times.plan_times(local_day, start_clock, end_clock, duration_minutes, tz)
    except times.WallClockProblem as problem:
        v.add(f"{path}{problem.field}", str(problem))
        return None
    start_at, end_at, end_clock = planned.start, planned.end, planned.end_clock
    return PlannedBlock(index, location_id, schedule_ids, start_at, end_at, local_day, start_clock, end_clock)


async def _plan_one_block(
    uow: UnitOfWork,
    company_id: str,
    entry: Session | Appointment,
    p: str,
    date_field: str,
    duration_minutes: int,
    location: Location,
    refs: list[tuple[str, str, int | None]],
    v: Violations,
) -> PlannedBlock | None:
    """The one block of a simple session or an appointment: its `date_field`, start and end
    (the type's duration when no end is given), on the schedules `refs` name."""
    return await _plan_block(
        uow,
        company_id,
        path=f"{p}.",
        day=entry.session_date if isinstance(entry, Session) else entry.appointment_date,
        start=entry.start,
        end=entry.end,
        duration_minutes=duration_minutes,
        location=location,
        schedule_refs=refs,
        index=0,
        v=v,
        date_field=date_field,
    )


async def _location(uow: UnitOfWork, company_id: str, name: str, path: str, v: Violations) -> Location | None:
    return await setup.load_reference(uow, setup.LOCATIONS, company_id, name, path, v)


async def known_client(uow: UnitOfWork, company_id: str, name: str, path: str, v: Violations) -> str | None:
    client_id = parse_reference(name, "clients", field=path, violations=v)
    if client_id is None:
        return None
    # a booking's second look at its client (its plan's) is answered without a statement
    known = await KnownClientRepository(uow).get(company_id, client_id)
    if known is None or not known.usable:
        v.add(path, f"{name} is not a known client of this company")
        return None
    return client_id


async def _check_participants(
    uow: UnitOfWork, company_id: str, client_id: str, participants: list[str], path: str, v: Violations
) -> None:
    if not participants:
        return
    family = await KnownClientRepository(uow).member_ids(company_id, client_id)
    for i, problem in rules.participant_problems(participants, client_id, family).items():
        v.add(f"{path}[{i}]", problem)


async def plan_session(
    uow: UnitOfWork, company_id: str, msg: Session, v: Violations, *, creating: bool, participants: bool
) -> SessionPlan | None:
    """Resolve and validate a complete session; violations are named `session.*`.

    The client is checked when creating (it must be known, not deleted or merged away);
    participants when creating or when they change (a merge may have re-pointed the client).
    """
    p = "session"
    if creating:
        client_id = await known_client(uow, company_id, msg.client, f"{p}.client", v)
    else:
        client_id = msg.client.removeprefix("clients/")
    session_type = await setup.load_reference(
        uow, setup.SESSION_TYPES, company_id, msg.session_type, f"{p}.session_type", v
    )
    location = await _location(uow, company_id, msg.location, f"{p}.location", v)
    if client_id is not None and participants:
        await _check_participants(uow, company_id, client_id, list(msg.participants), f"{p}.participants", v)
    for field, problem in entries.session_field_problems(msg).items():
        v.add(f"{p}.{field}", problem)
    status: SessionStatus | None = None
    if msg.status:
        status = await setup.load_reference(uow, setup.STATUSES, company_id, msg.status, f"{p}.status", v)
    if msg.status_due_date is not None:
        read_day(msg.status_due_date, f"{p}.status_due_date", v, required=False)
    if location is None or session_type is None:
        return None
    duration = session_type.default_duration_minutes
    blocks: list[PlannedBlock] = []
    if msg.use_advanced_calendar:
        if not msg.time_blocks:
            v.add(f"{p}.time_blocks", "at least one block is required with advanced calendar options")
        for i, block in enumerate(msg.time_blocks):
            bp = f"{p}.time_blocks[{i}]."
            block_location: Location | None = location
            if block.location and block.location != location.name:
                block_location = await _location(uow, company_id, block.location, f"{bp}location", v)
                if block_location is None:
                    continue
            assert block_location is not None
            planned = await _plan_block(
                uow,
                company_id,
                path=bp,
                day=block.date,
                start=block.start,
                end=block.end,
                duration_minutes=duration,
                location=block_location,
                schedule_refs=[(ref, f"{bp}schedules[{j}]", None) for j, ref in enumerate(block.schedules)],
                index=i,
                v=v,
                date_field="date",
            )
            if planned is not None:
                blocks.append(planned)
    else:
        if msg.time_blocks and not all(b.start_time is not None for b in msg.time_blocks):
            v.add(f"{p}.time_blocks", "are only given with use_advanced_calendar")
        refs: list[tuple[str, str, int | None]] = []
        if msg.photographer:
            refs.append((msg.photographer, f"{p}.photographer", entries.STAFF_SCHEDULE))
        if msg.assistant:
            refs.append((msg.assistant, f"{p}.assistant", entries.STAFF_SCHEDULE))
        if msg.camera_room:
            refs.append((msg.camera_room, f"{p}.camera_room", entries.RESOURCE_SCHEDULE))
        planned = await _plan_one_block(uow, company_id, msg, p, "session_date", duration, location, refs, v)
        if planned is not None:
            blocks.append(planned)
    if not blocks:
        return None
    return SessionPlan(
        location=location, booking_type=session_type, blocks=blocks, status=status, client_id=client_id or ""
    )


async def plan_appointment(
    uow: UnitOfWork, company_id: str, msg: Appointment, v: Violations, *, creating: bool
) -> AppointmentPlan | None:
    """Resolve and validate a complete appointment; violations are named `appointment.*`. A
    new appointment linked to a session takes the session's client."""
    p = "appointment"
    appointment_type = await setup.load_reference(
        uow, setup.APPOINTMENT_TYPES, company_id, msg.appointment_type, f"{p}.appointment_type", v
    )
    client_id = msg.client.removeprefix("clients/")
    if msg.session and creating:
        session_id = parse_reference(msg.session, "sessions", field=f"{p}.session", violations=v)
        if session_id is not None:
            linked = await EntryRepository(uow).linked_session(company_id, session_id)
            if linked is None:
                v.add(f"{p}.session", f"{msg.session} does not exist")
            elif msg.client and msg.client != f"clients/{linked.client_id}":
                v.add(f"{p}.session", f"{msg.session} is a session of another client")
            else:
                msg.client = f"clients/{linked.client_id}"
    if msg.client and creating:
        client_id = await known_client(uow, company_id, msg.client, f"{p}.client", v) or ""
    elif not msg.client and appointment_type is not None and appointment_type.linked:
        v.add(f"{p}.client", "this appointment type is linked to a client")
    for field, problem in entries.appointment_field_problems(msg).items():
        v.add(f"{p}.{field}", problem)
    location = await _location(uow, company_id, msg.location, f"{p}.location", v)
    if location is None or appointment_type is None:
        return None
    refs: list[tuple[str, str, int | None]] = [
        (ref, f"{p}.schedules[{i}]", None) for i, ref in enumerate(msg.schedules)
    ]
    duration = appointment_type.default_duration_minutes
    planned = await _plan_one_block(uow, company_id, msg, p, "appointment_date", duration, location, refs, v)
    if planned is None:
        return None
    return AppointmentPlan(location=location, booking_type=appointment_type, blocks=[planned], client_id=client_id)


def entry_name(kind: str, entry_id: str) -> str:
    """The resource a block belongs to: a session, an appointment, or (time off) its schedule."""
    return f"schedules/{entry_id}" if kind == TIME_OFF else f"{kind}s/{entry_id}"


async def planned_session(
    uow: UnitOfWork, company_id: str, msg: Session, *, creating: bool, participants: bool
) -> SessionPlan:
    """plan_session, raising INVALID_ARGUMENT with every bad field."""
    violations = Violations()
    plan = await plan_session(uow, company_id, msg, violations, creating=creating, participants=participants)
    violations.raise_if_any()
    assert plan is not None
    return plan


async def planned_appointment(uow: UnitOfWork, company_id: str, msg: Appointment, *, creating: bool) -> AppointmentPlan:
    """plan_appointment, raising INVALID_ARGUMENT with every bad field."""
    violations = Violations()
    plan = await plan_appointment(uow, company_id, msg, violations, creating=creating)
    violations.raise_if_any()
    assert plan is not None
    return plan
