"""Planning a session or appointment: from its message (wall-clock input in the location's zone) to
the blocks it occupies, with every bad field named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.common import read_date, read_time
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.domain.setup import AppointmentType, Location, SessionStatus, SessionType
from shutterbook_scheduling.storage.entry_repository import EntryRepository
from shutterbook_scheduling.storage.known_client_repository import KnownClientRepository
from shutterbook_scheduling.storage.setup_usage import TIME_OFF

SESSION = "session"


APPOINTMENT = "appointment"


@dataclass(frozen=True)
class PlannedBlock:
    index: int
    location_id: str
    schedule_ids: list[str]
    start: datetime
    end: datetime
    local_date: date
    local_start: time
    local_end: time


@dataclass
class Plan:
    location: Location
    type_msg: Any
    blocks: list[PlannedBlock]
    status: SessionStatus | None = None
    client_id: str = ""

    @property
    def start(self) -> datetime:
        return min(b.start for b in self.blocks)

    @property
    def end(self) -> datetime:
        return max(b.end for b in self.blocks)


def tod(value: time) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=value.hour, minutes=value.minute)


async def _plan_block(
    uow: UnitOfWork,
    company_id: str,
    *,
    path: str,
    day_msg: Any,
    start_msg: pb.TimeOfDay,
    end_msg: pb.TimeOfDay | None,
    duration_minutes: int,
    location: Location,
    schedule_refs: list[tuple[str, str, int | None]],
    index: int,
    v: Violations,
    date_field: str,
) -> PlannedBlock | None:
    """One block: local date and wall-clock times read in the location's zone."""
    tz = times.zone(location.time_zone)
    day = read_date(day_msg, f"{path}{date_field}", v)
    start_clock = read_time(start_msg, f"{path}start", v)
    end_clock: time | None = None
    if end_msg is not None:
        end_clock = read_time(end_msg, f"{path}end", v)
    schedule_ids: list[str] = []
    location_id = location.name.removeprefix("locations/")
    for ref, ref_path, kind in schedule_refs:
        schedule_id = parse_reference(ref, "schedules", field=ref_path, violations=v)
        if schedule_id is None:
            continue
        schedule = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            v.add(ref_path, f"{ref} does not exist")
        elif schedule.location != location.name:
            v.add(ref_path, f"{ref} is a schedule of another location")
        elif kind is not None and schedule.kind != kind:
            wanted = "a staff" if kind == pb.SCHEDULE_KIND_STAFF else "a resource"
            v.add(ref_path, f"{ref} is not {wanted} schedule")
        elif schedule_id in schedule_ids:
            v.add(ref_path, f"{ref} is listed twice")
        else:
            schedule_ids.append(schedule_id)
    if day is None or start_clock is None or (end_msg is not None and end_clock is None):
        return None
    try:
        planned = times.plan_times(day, start_clock, end_clock, duration_minutes, tz)
    except times.WallClockProblem as problem:
        v.add(f"{path}{problem.field}", str(problem))
        return None
    start, end, end_clock = planned.start, planned.end, planned.end_clock
    return PlannedBlock(index, location_id, schedule_ids, start, end, day, start_clock, end_clock)


async def _plan_one_block(
    uow: UnitOfWork,
    company_id: str,
    msg: pb.Session | pb.Appointment,
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
        day_msg=getattr(msg, date_field),
        start_msg=msg.start,
        end_msg=msg.end if msg.HasField("end") else None,
        duration_minutes=duration_minutes,
        location=location,
        schedule_refs=refs,
        index=0,
        v=v,
        date_field=date_field,
    )


async def _location(uow: UnitOfWork, company_id: str, name: str, path: str, v: Violations) -> Location | None:
    found: Location | None = await setup.load_reference(uow, setup.LOCATIONS, company_id, name, path, v)
    return found


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
    uow: UnitOfWork, company_id: str, msg: pb.Session, v: Violations, *, creating: bool, participants: bool
) -> Plan | None:
    """Resolve and validate a complete Session message; violations are named `session.*`.

    The client is checked when creating (it must be known, not deleted or merged away);
    participants when creating or when they change (a merge may have re-pointed the client).
    """
    p = "session"
    if creating:
        client_id = await known_client(uow, company_id, msg.client, f"{p}.client", v)
    else:
        client_id = msg.client.removeprefix("clients/")
    type_msg: SessionType | None = await setup.load_reference(
        uow, setup.SESSION_TYPES, company_id, msg.session_type, f"{p}.session_type", v
    )
    location = await _location(uow, company_id, msg.location, f"{p}.location", v)
    if client_id is not None and participants:
        await _check_participants(uow, company_id, client_id, list(msg.participants), f"{p}.participants", v)
    if msg.HasField("reminder_minutes") and not 0 <= msg.reminder_minutes <= rules.MAX_REMINDER_MINUTES:
        v.add(f"{p}.reminder_minutes", f"must be 0 to {rules.MAX_REMINDER_MINUTES} minutes")
    if len(msg.description) > 2000:
        v.add(f"{p}.description", "must be at most 2000 characters")
    if len(msg.file_number) > 100:
        v.add(f"{p}.file_number", "must be at most 100 characters")
    if len(msg.notes) > 10_000:
        v.add(f"{p}.notes", "must be at most 10,000 characters")
    if msg.session_number and (
        len(msg.session_number) > rules.MAX_SESSION_NUMBER_LENGTH
        or not msg.session_number.isprintable()
        or msg.session_number != msg.session_number.strip()
    ):
        v.add(f"{p}.session_number", "must be 1 to 40 printable characters without surrounding spaces")
    if msg.camera_room and msg.camera_room_text:
        v.add(f"{p}.camera_room_text", "give a camera room schedule or free text, not both")
    status: SessionStatus | None = None
    if msg.status:
        status = await setup.load_reference(uow, setup.STATUSES, company_id, msg.status, f"{p}.status", v)
    if msg.HasField("status_due_date"):
        read_date(msg.status_due_date, f"{p}.status_due_date", v, required=False)
    if location is None or type_msg is None:
        return None
    duration = type_msg.default_duration_minutes
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
                day_msg=block.date,
                start_msg=block.start,
                end_msg=block.end if block.HasField("end") else None,
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
        if msg.time_blocks and not all(b.HasField("start_time") for b in msg.time_blocks):
            v.add(f"{p}.time_blocks", "are only given with use_advanced_calendar")
        refs: list[tuple[str, str, int | None]] = []
        if msg.photographer:
            refs.append((msg.photographer, f"{p}.photographer", pb.SCHEDULE_KIND_STAFF))
        if msg.assistant:
            refs.append((msg.assistant, f"{p}.assistant", pb.SCHEDULE_KIND_STAFF))
        if msg.camera_room:
            refs.append((msg.camera_room, f"{p}.camera_room", pb.SCHEDULE_KIND_RESOURCE))
        planned = await _plan_one_block(uow, company_id, msg, p, "session_date", duration, location, refs, v)
        if planned is not None:
            blocks.append(planned)
    if not blocks:
        return None
    return Plan(location=location, type_msg=type_msg, blocks=blocks, status=status, client_id=client_id or "")


async def plan_appointment(
    uow: UnitOfWork, company_id: str, msg: pb.Appointment, v: Violations, *, creating: bool
) -> Plan | None:
    p = "appointment"
    type_msg: AppointmentType | None = await setup.load_reference(
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
    elif not msg.client and type_msg is not None and type_msg.linked:
        v.add(f"{p}.client", "this appointment type is linked to a client")
    if msg.HasField("reminder_minutes") and not 0 <= msg.reminder_minutes <= rules.MAX_REMINDER_MINUTES:
        v.add(f"{p}.reminder_minutes", f"must be 0 to {rules.MAX_REMINDER_MINUTES} minutes")
    if len(msg.description) > 2000:
        v.add(f"{p}.description", "must be at most 2000 characters")
    location = await _location(uow, company_id, msg.location, f"{p}.location", v)
    if location is None or type_msg is None:
        return None
    refs: list[tuple[str, str, int | None]] = [
        (ref, f"{p}.schedules[{i}]", None) for i, ref in enumerate(msg.schedules)
    ]
    duration = type_msg.default_duration_minutes
    planned = await _plan_one_block(uow, company_id, msg, p, "appointment_date", duration, location, refs, v)
    if planned is None:
        return None
    return Plan(location=location, type_msg=type_msg, blocks=[planned], client_id=client_id)


def take_new_times(msg: Any, request: Any, date_field: str) -> None:
    """A reschedule request's wall-clock times on the entry: the date (`date_field` in both),
    start, and end (cleared when the request gives none: the type's duration decides)."""
    getattr(msg, date_field).CopyFrom(getattr(request, date_field))
    msg.start.CopyFrom(request.start)
    if request.HasField("end"):
        msg.end.CopyFrom(request.end)
    else:
        msg.ClearField("end")


def entry_name(kind: str, entry_id: str) -> str:
    """The resource a block belongs to: a session, an appointment, or (time off) its schedule."""
    return f"schedules/{entry_id}" if kind == TIME_OFF else f"{kind}s/{entry_id}"


async def planned_session(
    uow: UnitOfWork, company_id: str, msg: pb.Session, *, creating: bool, participants: bool
) -> Plan:
    """plan_session, raising INVALID_ARGUMENT with every bad field."""
    violations = Violations()
    plan = await plan_session(uow, company_id, msg, violations, creating=creating, participants=participants)
    violations.raise_if_any()
    assert plan is not None
    return plan


async def planned_appointment(uow: UnitOfWork, company_id: str, msg: pb.Appointment, *, creating: bool) -> Plan:
    """plan_appointment, raising INVALID_ARGUMENT with every bad field."""
    violations = Violations()
    plan = await plan_appointment(uow, company_id, msg, violations, creating=creating)
    violations.raise_if_any()
    assert plan is not None
    return plan
