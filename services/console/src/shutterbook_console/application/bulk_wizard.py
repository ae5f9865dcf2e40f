"""The Bulk Session Wizard (reference page 04) for the console: what it offers (client groups,
saved filters, organizations; the session choices of each location), the entered rows and
template read into scheduling's bulk messages, and the calls of scheduling's
BulkSchedulingService (select, verify, start a job, its progress and its items).

Dates and times typed on the page are read here (a bad one is a field violation named like
the bulk API's fields, `time_slot_rows[1].start_time`); the rest is scheduling's to judge and
its field violations come back as they are."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.calendar import visible_locations
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument
from shutterbook_kit.identity import Caller, Role

PAGE = 1000
JOB_PREFIX = "bulkJobs/"
MANAGING = frozenset({Role.OWNER, Role.MANAGER})


def may_run(roles: Iterable[Role]) -> bool:
    """The wizard is for managers and owners (scheduling checks `bulk.run` again)."""
    return any(role in MANAGING for role in roles)


# --- what the page sends ------------------------------------------------------------------------


# Bounds of what is typed (beyond them a value could not reach scheduling's 32-bit fields);
# scheduling judges what is sensible within them.
Year = Annotated[int, msgspec.Meta(ge=0, le=9999)]  # 0: any year
Minutes = Annotated[int, msgspec.Meta(ge=0, le=24 * 60)]


class Selector(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of a group, a saved filter, or an organization (with a year, 0: any)."""

    group: str = ""
    saved_filter: str = ""
    organization: str = ""
    year: Year = 0
    only_without_future_session: bool = False


class TemplateInput(msgspec.Struct, forbid_unknown_fields=True):
    location: str
    session_type: str
    description: str = ""
    status: str = ""
    photographer: str = ""
    assistant: str = ""
    camera_room: str = ""


class RowInput(msgspec.Struct, forbid_unknown_fields=True):
    """A time-slot row as typed: dates YYYY-MM-DD, times HH:MM (the location's wall clock)."""

    start_date: str
    end_date: str
    start_time: str
    end_time: str
    session_duration_minutes: Minutes
    exclude_saturdays: bool = False
    exclude_sundays: bool = False
    break_start: str = ""
    break_end: str = ""
    minutes_between_sessions: Minutes = 0


class Plan(msgspec.Struct, forbid_unknown_fields=True):
    template: TemplateInput
    time_slot_rows: list[RowInput]
    clients: list[str]
    allow_conflicts: bool = False
    request_id: str = ""


# --- what the page offers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    name: str
    display_name: str


@dataclass
class LocationChoices:
    name: str
    display_name: str
    time_zone: str
    staff: list[Named]
    rooms: list[Named]


@dataclass
class WizardChoices:
    groups: list[Named]
    saved_filters: list[Named]
    organizations: list[Named]
    session_types: list[Named]
    statuses: list[Named]
    locations: list[LocationChoices] = field(default_factory=list)


async def wizard_choices(up: Upstreams, caller: Caller) -> WizardChoices:
    """Groups, filters and organizations from the clients service; types, statuses, and each
    visible location's staff and rooms from scheduling."""
    c, s = up.clients, up.scheduling
    groups, filters, orgs, types, statuses, locations = await asyncio.gather(
        up.call(c.ListClientGroups, clients_pb2.ListClientGroupsRequest(page_size=PAGE), caller),
        up.call(c.ListSavedFilters, clients_pb2.ListSavedFiltersRequest(page_size=PAGE), caller),
        up.call(c.ListOrganizations, clients_pb2.ListOrganizationsRequest(page_size=PAGE), caller),
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=PAGE), caller),
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=PAGE), caller),
        visible_locations(up, caller),
    )
    schedules = await asyncio.gather(
        *(
            up.call(s.ListSchedules, pb.ListSchedulesRequest(page_size=PAGE, location=loc.name), caller)
            for loc in locations
        )
    )
    per_location = []
    for loc, reply in zip(locations, schedules, strict=True):
        by_name = sorted(reply.schedules, key=lambda x: x.display_name)
        per_location.append(
            LocationChoices(
                loc.name,
                loc.display_name,
                loc.time_zone,
                [Named(x.name, x.display_name) for x in by_name if x.kind == pb.SCHEDULE_KIND_STAFF],
                [Named(x.name, x.display_name) for x in by_name if x.kind != pb.SCHEDULE_KIND_STAFF],
            )
        )
    return WizardChoices(
        [Named(g.name, g.display_name) for g in groups.client_groups],
        [Named(f.name, f.display_name) for f in filters.saved_filters],
        [Named(o.name, o.display_name) for o in orgs.organizations],
        [Named(t.name, t.display_name) for t in types.session_types],
        [Named(x.name, x.display_name) for x in statuses.session_statuses],
        per_location,
    )


# --- reading the page's input -------------------------------------------------------------------


def _date(text: str, name: str, violations: list[FieldViolation]) -> date_pb2.Date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        violations.append(FieldViolation(name, "a date, YYYY-MM-DD"))
        return date_pb2.Date()
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _time(text: str, name: str, violations: list[FieldViolation]) -> pb.TimeOfDay | None:
    try:
        parsed = datetime.strptime(text, "%H:%M")
    except ValueError:
        violations.append(FieldViolation(name, "a time, HH:MM"))
        return None
    return pb.TimeOfDay(hours=parsed.hour, minutes=parsed.minute)


def read_rows(rows: list[RowInput]) -> list[bpb.TimeSlotRow]:
    """The rows as scheduling's messages; unreadable dates and times are field violations."""
    violations: list[FieldViolation] = []
    out = []
    if not rows:
        violations.append(FieldViolation("time_slot_rows", "add at least one row of time slots"))
    for i, row in enumerate(rows):
        at = f"time_slot_rows[{i}]"
        message = bpb.TimeSlotRow(
            start_date=_date(row.start_date, f"{at}.start_date", violations),
            end_date=_date(row.end_date, f"{at}.end_date", violations),
            session_duration_minutes=row.session_duration_minutes,
            exclude_saturdays=row.exclude_saturdays,
            exclude_sundays=row.exclude_sundays,
            minutes_between_sessions=row.minutes_between_sessions,
        )
        for key in ("start_time", "end_time"):
            parsed = _time(getattr(row, key), f"{at}.{key}", violations)
            if parsed is not None:
                getattr(message, key).CopyFrom(parsed)
        if bool(row.break_start) != bool(row.break_end):
            missing = "break_end" if row.break_start else "break_start"
            violations.append(FieldViolation(f"{at}.{missing}", "set both break times, or neither"))
        elif row.break_start:
            for key in ("break_start", "break_end"):
                parsed = _time(getattr(row, key), f"{at}.{key}", violations)
                if parsed is not None:
                    getattr(message, key).CopyFrom(parsed)
        out.append(message)
    if violations:
        raise InvalidArgument("the time slots are not valid", violations=violations)
    return out


def template_message(t: TemplateInput) -> bpb.BulkSessionTemplate:
    return bpb.BulkSessionTemplate(
        location=t.location,
        description=t.description,
        session_type=t.session_type,
        status=t.status,
        photographer=t.photographer,
        assistant=t.assistant,
        camera_room=t.camera_room,
    )


# --- the calls ----------------------------------------------------------------------------------


async def select_clients(up: Upstreams, caller: Caller, selector: Selector) -> bpb.SelectBulkClientsResponse:
    request = bpb.SelectBulkClientsRequest(
        selector=bpb.BulkClientSelector(
            group=selector.group,
            saved_filter=selector.saved_filter,
            organization=selector.organization,
            year=selector.year,
        ),
        only_without_future_session=selector.only_without_future_session,
    )
    return await up.call(up.bulk.SelectBulkClients, request, caller)


async def verify(up: Upstreams, caller: Caller, plan: Plan) -> bpb.VerifyBulkScheduleResponse:
    request = bpb.VerifyBulkScheduleRequest(
        template=template_message(plan.template),
        time_slot_rows=read_rows(plan.time_slot_rows),
        clients=plan.clients,
    )
    return await up.call(up.bulk.VerifyBulkSchedule, request, caller)


async def start_job(up: Upstreams, caller: Caller, plan: Plan) -> bpb.BulkJob:
    """Starts the job (a retry with the same `request_id` returns the same job)."""
    violations = []
    if not plan.clients:
        violations.append(FieldViolation("clients", "choose at least one client"))
    rows = read_rows(plan.time_slot_rows) if not violations else []
    if violations:
        raise InvalidArgument("the job is not valid", violations=violations)
    job = bpb.BulkJob(
        template=template_message(plan.template), time_slot_rows=rows, allow_conflicts=plan.allow_conflicts
    )
    request = bpb.CreateBulkJobRequest(bulk_job=job, clients=plan.clients, request_id=plan.request_id)
    return await up.call(up.bulk.CreateBulkJob, request, caller, timeout=30.0)


async def get_job(up: Upstreams, caller: Caller, job_id: str) -> bpb.BulkJob:
    return await up.call(up.bulk.GetBulkJob, bpb.GetBulkJobRequest(name=JOB_PREFIX + job_id), caller)


@dataclass(frozen=True)
class ItemView:
    position: int
    client: str
    client_name: str
    start: str  # the location's wall clock, "Mon 7 Dec 2026, 09:00"
    day: str  # the local day, YYYY-MM-DD
    state: str  # pending, done, failed
    session: str
    failure: str


REASON_PREFIX = re.compile(r"^[A-Z][A-Z_]+: ")


def failure_text(raw: str) -> str:
    """Scheduling's failure as a person reads it: no reason code in front, no API advice."""
    text = REASON_PREFIX.sub("", raw).replace("; set allow_conflicts to book anyway", "")
    return text[:1].upper() + text[1:]


async def _client_names(up: Upstreams, caller: Caller) -> dict[str, str]:
    names: dict[str, str] = {}
    token = ""
    while True:
        request = pb.ListKnownClientsRequest(page_size=PAGE, page_token=token)
        reply = await up.call(up.scheduling.ListKnownClients, request, caller)
        names.update({k.client: k.display_name for k in reply.known_clients})
        token = reply.next_page_token
        if not token:
            return names


async def job_items(up: Upstreams, caller: Caller, job: bpb.BulkJob) -> list[ItemView]:
    """Every item of `job` with the client's name and its slot in the location's time."""
    items: list[bpb.BulkJobItem] = []
    token = ""
    while True:
        request = bpb.ListBulkJobItemsRequest(parent=job.name, page_size=PAGE, page_token=token)
        reply = await up.call(up.bulk.ListBulkJobItems, request, caller)
        items += reply.items
        token = reply.next_page_token
        if not token:
            break
    location, names = await asyncio.gather(
        up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=job.template.location), caller),
        _client_names(up, caller),
    )
    zone = ZoneInfo(location.time_zone or "UTC")
    states = {
        bpb.BULK_JOB_ITEM_STATE_DONE: "done",
        bpb.BULK_JOB_ITEM_STATE_FAILED: "failed",
    }
    out = []
    for i in items:
        local = i.start_time.ToDatetime(tzinfo=UTC).astimezone(zone)
        out.append(
            ItemView(
                i.position,
                i.client,
                names.get(i.client, i.client),
                local.strftime("%a %-d %b %Y, %H:%M"),
                local.date().isoformat(),
                states.get(i.state, "pending"),
                i.session,
                failure_text(i.failure),
            )
        )
    return out


@dataclass(frozen=True)
class PastJob:
    id: str
    started: str  # UTC, "2026-11-30 09:41"
    started_by: str
    session_type: str
    state: str  # Running, Finished
    total: int
    done: int
    failures: int


async def past_jobs(
    up: Upstreams, caller: Caller, page_token: str, type_names: dict[str, str]
) -> tuple[list[PastJob], str]:
    """A page of the company's bulk jobs, newest first."""
    found = await up.call(up.bulk.ListBulkJobs, bpb.ListBulkJobsRequest(page_size=20, page_token=page_token), caller)
    jobs = [
        PastJob(
            job.name.removeprefix(JOB_PREFIX),
            job.create_time.ToDatetime().strftime("%Y-%m-%d %H:%M"),
            job.created_by,
            type_names.get(job.template.session_type, "—"),
            "Finished" if job.state == bpb.BULK_JOB_STATE_SUCCEEDED else "Running",
            job.total,
            job.done,
            job.failures,
        )
        for job in found.bulk_jobs
    ]
    return jobs, found.next_page_token
