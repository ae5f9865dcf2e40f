"""The Sessions hub and the Clients hub: the filters of a hub's query string as one upstream
list request (scheduling's ListSessions, clients' ListClients), one page at a time, and every
page for the CSV export (at most EXPORT_ROWS rows). Staff who work at some locations only see
sessions there: their locations go into every session query."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument
from shutterbook_kit.identity import Caller

PAGE_SIZES = (25, 50, 100)
EXPORT_PAGE = 1000
EXPORT_ROWS = 10_000
FLAGS = ("confirmed", "no_show", "redo", "on_hold", "cancelled")
REFS = {
    "status": "sessionStatuses/",
    "session_type": "sessionTypes/",
    "photographer": "schedules/",
    "location": "locations/",
}


@dataclass
class HubPage:
    items: list[object]
    next_page_token: str
    clients: dict[str, str] = field(default_factory=dict)  # clients/{id} -> display name


def _day(text: str, name: str, violations: list[FieldViolation]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        violations.append(FieldViolation(name, "a date, YYYY-MM-DD"))
        return None


def page_size(query: Mapping[str, str]) -> int:
    raw = query.get("page_size", "")
    return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else PAGE_SIZES[0]


def sessions_request(query: Mapping[str, str], caller: Caller) -> pb.ListSessionsRequest:
    """The ListSessions request of the hub's filters; a bad one is a field error of the form."""
    violations: list[FieldViolation] = []
    request = pb.ListSessionsRequest(page_token=query.get("page_token", ""))
    for name, prefix in REFS.items():
        value = query.get(name, "")
        if value:
            if not value.startswith(prefix):
                violations.append(FieldViolation(name, "choose one of the list"))
            setattr(request, name, value)
    if request.location and not caller.may_see_location(request.location.removeprefix("locations/")):
        violations.append(FieldViolation("location", "is not one of your locations"))
    if caller.location_ids is not None:
        request.locations.extend(f"locations/{x}" for x in sorted(caller.location_ids))
    for flag in FLAGS:
        choice = query.get(flag, "")
        if choice in ("yes", "no"):
            setattr(request, flag, choice == "yes")
    request.file_number = query.get("file_number", "").strip()
    due = _day(query.get("due_before", ""), "due_before", violations)
    if due is not None:
        request.status_due_before.CopyFrom(date_pb2.Date(year=due.year, month=due.month, day=due.day))
    start = _day(query.get("date_from", ""), "date_from", violations)
    end = _day(query.get("date_to", ""), "date_to", violations)
    if start is not None:
        request.start_time.FromDatetime(datetime.combine(start, time(), UTC) - timedelta(hours=14))
    if end is not None:  # instants bound the day in any zone; the page shows the studio's dates
        request.end_time.FromDatetime(datetime.combine(end + timedelta(days=1), time(), UTC) + timedelta(hours=14))
    if start and end and end < start:
        violations.append(FieldViolation("date_to", "must not be before the first date"))
    request.order_by = "start_time desc" if query.get("sort") == "latest" else "start_time"
    if violations:
        raise InvalidArgument("the filters are not valid", violations=violations)
    return request


def in_dates(session: pb.Session, query: Mapping[str, str]) -> bool:
    """The studio-date bounds (the instants asked of scheduling are a day wider)."""
    day = date(session.session_date.year, session.session_date.month, session.session_date.day)
    start, end = query.get("date_from", ""), query.get("date_to", "")
    return (not start or day >= date.fromisoformat(start)) and (not end or day <= date.fromisoformat(end))


async def client_names(up: Upstreams, caller: Caller, clients: set[str]) -> dict[str, str]:
    names = sorted(clients)
    found = await asyncio.gather(
        *(
            up.call(
                up.scheduling.GetKnownClient,
                pb.GetKnownClientRequest(name=n.replace("clients/", "knownClients/", 1)),
                caller,
            )
            for n in names
        ),
        return_exceptions=True,
    )
    return {n: k.display_name if isinstance(k, pb.KnownClient) else n for n, k in zip(names, found, strict=True)}


async def sessions_page(up: Upstreams, caller: Caller, query: Mapping[str, str]) -> HubPage:
    request = sessions_request(query, caller)
    request.page_size = page_size(query)
    reply = await up.call(up.scheduling.ListSessions, request, caller)
    sessions = [s for s in reply.sessions if in_dates(s, query)]
    names = await client_names(up, caller, {s.client for s in sessions})
    return HubPage(list(sessions), reply.next_page_token, names)


# The Clients hub's orders: the `sort` of its query string, what the page calls it, and the
# clients service's order_by.
CLIENT_SORTS = {
    "": ("Oldest first", "create_time"),
    "newest": ("Newest first", "create_time desc"),
    "name": ("By name", "family_name"),
    "last_session": ("Latest session first", "last_session_time desc"),
}


def clients_request(query: Mapping[str, str]) -> clients_pb2.ListClientsRequest:
    violations: list[FieldViolation] = []
    sort = query.get("sort", "")
    if sort not in CLIENT_SORTS:
        violations.append(FieldViolation("sort", "choose one of the list"))
        sort = ""
    request = clients_pb2.ListClientsRequest(page_token=query.get("page_token", ""), order_by=CLIENT_SORTS[sort][1])
    criteria = clients_pb2.ClientCriteria(
        query=query.get("q", "").strip(),
        tags=[t.strip() for t in query.get("tag", "").split(",") if t.strip()],
        referral_source=query.get("referral_source", "").strip(),
        organization=query.get("organization", ""),
    )
    year = query.get("year", "").strip()
    if year:
        if not year.isdigit() or not 1900 <= int(year) <= 2200:
            violations.append(FieldViolation("year", "a year, for example 2026"))
        elif not criteria.organization:
            violations.append(FieldViolation("organization", "choose the organization of that year"))
        else:
            criteria.year = int(year)
    if violations:
        raise InvalidArgument("the filters are not valid", violations=violations)
    if query.get("group", ""):
        request.group = query["group"]
    elif criteria.ByteSize():
        request.criteria.CopyFrom(criteria)
    return request


async def clients_page(up: Upstreams, caller: Caller, query: Mapping[str, str]) -> HubPage:
    request = clients_request(query)
    request.page_size = page_size(query)
    reply = await up.call(up.clients.ListClients, request, caller)
    return HubPage(list(reply.clients), reply.next_page_token)


def display_name(client: clients_pb2.Client) -> str:
    person = f"{client.given_name} {client.family_name}".strip()
    if person and client.household_name:
        return f"{person} ({client.household_name})"
    return person or client.household_name


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


SESSION_COLUMNS = [
    "Session number", "Date", "Start", "End", "Client", "Type", "Status", "Status due", "Location",
    "Photographer", "File number", "Confirmed", "No show", "Redo", "On hold", "Cancelled", "Description",
]  # fmt: skip
CLIENT_COLUMNS = ["Last name", "First name", "Household", "Email", "Phone", "Tags", "Referral source", "Created"]


def _d(x: date_pb2.Date) -> str:
    return f"{x.year:04d}-{x.month:02d}-{x.day:02d}" if x.year else ""


def session_row(s: pb.Session, names: Mapping[str, str], clients: Mapping[str, str]) -> list[str]:
    flags = ["yes" if getattr(s, f) else "" for f in FLAGS]
    return [
        s.session_number, _d(s.session_date), f"{s.start.hours:02d}:{s.start.minutes:02d}",
        f"{s.end.hours:02d}:{s.end.minutes:02d}", clients.get(s.client, s.client), names.get(s.session_type, ""),
        names.get(s.status, ""), _d(s.status_due_date), names.get(s.location, ""), names.get(s.photographer, ""),
        s.file_number, *flags, s.description,
    ]  # fmt: skip


def client_row(c: clients_pb2.Client) -> list[str]:
    return [
        c.family_name, c.given_name, c.household_name, c.emails[0] if c.emails else "",
        c.phones[0] if c.phones else "", ", ".join(c.tags), c.referral_source,
        c.create_time.ToDatetime().date().isoformat(),
    ]  # fmt: skip


async def export_sessions(
    up: Upstreams, caller: Caller, query: Mapping[str, str], names: Mapping[str, str]
) -> AsyncIterator[str]:
    """Every session the filters select as CSV, a page of scheduling's at a time."""
    request = sessions_request({**query, "page_token": ""}, caller)
    request.page_size = EXPORT_PAGE
    yield _csv([SESSION_COLUMNS])
    sent = 0
    while sent < EXPORT_ROWS:
        reply = await up.call(up.scheduling.ListSessions, request, caller)
        sessions = [s for s in reply.sessions if in_dates(s, query)]
        clients = await client_names(up, caller, {s.client for s in sessions})
        yield _csv([session_row(s, names, clients) for s in sessions])
        sent += len(reply.sessions)
        if not reply.next_page_token:
            return
        request.page_token = reply.next_page_token


async def export_clients(up: Upstreams, caller: Caller, query: Mapping[str, str]) -> AsyncIterator[str]:
    request = clients_request({**query, "page_token": ""})
    request.page_size = EXPORT_PAGE
    yield _csv([CLIENT_COLUMNS])
    sent = 0
    while sent < EXPORT_ROWS:
        reply = await up.call(up.clients.ListClients, request, caller)
        yield _csv([client_row(c) for c in reply.clients])
        sent += len(reply.clients)
        if not reply.next_page_token:
            return
        request.page_token = reply.next_page_token
