"""The Sessions hub (`/sessions`) and the Clients hub (`/clients`): filters in the query string
(so a filtered list is a link), one upstream page per page shown, and the same filters exported
as CSV (`/sessions/export.csv`, `/clients/export.csv`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Redirect, Stream, Template

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.client_pages import field_errors, notice_page, upstreams
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.problems import status_of
from shutterbook_console.application.calendar import visible_locations
from shutterbook_console.application.client_records import may_edit_clients, names
from shutterbook_console.application.hubs import (
    CLIENT_SORTS,
    PAGE_SIZES,
    HubPage,
    clients_page,
    display_name,
    export_clients,
    export_sessions,
    sessions_page,
)
from shutterbook_kit.errors import DomainError
from shutterbook_kit.identity import Caller

NO_STORE = {"Cache-Control": "no-store"}
SESSION_FILTERS = (
    "location", "photographer", "session_type", "status", "confirmed", "no_show", "redo", "on_hold", "cancelled",
    "file_number", "due_before", "date_from", "date_to", "sort", "page_size",
)  # fmt: skip
CLIENT_FILTERS = ("q", "tag", "referral_source", "organization", "year", "group", "sort", "page_size")


def _query(request: Request[Any, Any, State], keys: tuple[str, ...]) -> dict[str, str]:
    q = request.query_params
    values = {k: str(q.get(k, "")).strip() for k in keys}
    values["page_token"] = str(q.get("page_token", ""))
    return values


def _link(values: dict[str, str], **change: str) -> str:
    merged = {k: v for k, v in {**values, **change}.items() if v}
    return urlencode(merged)


async def _session_choices(up: Any, caller: Caller) -> dict[str, Any]:
    s = up.scheduling
    locations, types, statuses, schedules = await asyncio.gather(
        visible_locations(up, caller),
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=1000), caller),
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=1000), caller),
        up.call(s.ListSchedules, pb.ListSchedulesRequest(page_size=1000), caller),
    )
    mine = {loc.name for loc in locations}
    staff = [x for x in schedules.schedules if x.kind == pb.SCHEDULE_KIND_STAFF and x.location in mine]
    return {
        "locations": locations,
        "types": sorted(types.session_types, key=lambda x: x.display_name),
        "statuses": list(statuses.session_statuses),
        "photographers": sorted(staff, key=lambda x: x.display_name),
    }


async def _hub(
    request: Request[Any, Any, State],
    template: str,
    keys: tuple[str, ...],
    load: Callable[[Any, Caller, dict[str, str]], Any],
    extra: Callable[[Any, Caller], Any],
    **context: Any,
) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller = current.staff.caller()
    up = upstreams(request)
    values = _query(request, keys)
    errors: dict[str, str] = {}
    error = ""
    status = 200
    page = HubPage([], "")
    offered: dict[str, Any] = {}
    try:
        offered = await extra(up, caller)
        page = await load(up, caller, values)
    except DomainError as exc:
        errors = field_errors(exc)
        error = "Please correct the filter marked below." if errors else f"The list is not available: {exc.message}."
        status = status_of(exc)
    return Template(
        template,
        context={
            "body_class": "app",
            "staff": current.staff,
            "v": values,
            "page": page,
            "errors": errors,
            "error": error,
            "page_sizes": PAGE_SIZES,
            "next_link": _link(values, page_token=page.next_page_token) if page.next_page_token else "",
            "first_link": _link(values, page_token="") if values["page_token"] else "",
            "export_link": _link(values, page_token="", page_size=""),
            "may_add": may_edit_clients(caller),
            **offered,
            **context,
        },
        status_code=status,
        headers=NO_STORE,
    )


async def _sessions_extra(up: Any, caller: Caller) -> dict[str, Any]:
    offered, known = await asyncio.gather(_session_choices(up, caller), names(up, caller))
    return {**offered, "names": known}


@get("/sessions", include_in_schema=False)
async def sessions_hub(request: Request[Any, Any, State]) -> Template | Redirect:
    return await _hub(request, "hub_sessions.html", SESSION_FILTERS, sessions_page, _sessions_extra, title="Sessions")


async def _clients_extra(up: Any, caller: Caller) -> dict[str, Any]:
    c = up.clients
    orgs, groups = await asyncio.gather(
        up.call(c.ListOrganizations, clients_pb2.ListOrganizationsRequest(page_size=1000), caller),
        up.call(c.ListClientGroups, clients_pb2.ListClientGroupsRequest(page_size=1000), caller),
    )
    return {
        "organizations": sorted(orgs.organizations, key=lambda x: x.display_name),
        "groups": list(groups.client_groups),
        "display_name": display_name,
    }


@get("/clients", include_in_schema=False)
async def clients_hub(request: Request[Any, Any, State]) -> Template | Redirect:
    sorts = [(key, label) for key, (label, _) in CLIENT_SORTS.items()]
    return await _hub(
        request, "hub_clients.html", CLIENT_FILTERS, clients_page, _clients_extra, title="Clients", client_sorts=sorts
    )


async def _export(name: str, rows: AsyncIterator[str]) -> Stream | Template:
    """`rows` as a CSV download; the filters are checked (the first chunk) before it starts."""
    try:
        first = await anext(rows)
    except DomainError as exc:
        return notice_page("Export", f"Not exported: {exc.message}.", status_of(exc), link=("/", "Home"))

    async def body() -> AsyncIterator[str]:
        yield first
        async for chunk in rows:
            yield chunk

    return Stream(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
    )


@get("/sessions/export.csv", include_in_schema=False)
async def sessions_csv(request: Request[Any, Any, State]) -> Stream | Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller = current.staff.caller()
    up = upstreams(request)
    try:
        known = await names(up, caller)
    except DomainError as exc:
        return notice_page("Export", f"Not exported: {exc.message}.", status_of(exc), link=("/", "Home"))
    return await _export("sessions.csv", export_sessions(up, caller, _query(request, SESSION_FILTERS), known))


@get("/clients/export.csv", include_in_schema=False)
async def clients_csv(request: Request[Any, Any, State]) -> Stream | Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    rows = export_clients(upstreams(request), current.staff.caller(), _query(request, CLIENT_FILTERS))
    return await _export("clients.csv", rows)


HUB_HANDLERS = [sessions_hub, clients_hub, sessions_csv, clients_csv]
