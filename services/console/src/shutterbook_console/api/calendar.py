"""The calendar: its page, the one API call per view change (`GET /api/v1/calendar`: resources,
events and shading of a location's range in one body), and moving a session by drag and drop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter
from litestar.response import Redirect, Template

from shutterbook_console.api.deps import current_session, provide_session
from shutterbook_console.api.problems import conflict_problem, problem, problem_responses
from shutterbook_console.application.calendar import (
    Move,
    NeedsConfirmation,
    calendar_view,
    move_session,
    visible_locations,
)
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.upstreams import UpstreamError, Upstreams

NO_STORE = {"Cache-Control": "no-store"}
LOCAL = "%Y-%m-%dT%H:%M:%S"


class CalendarResource(msgspec.Struct):
    id: str
    title: str
    kind: str


class CalendarEvent(msgspec.Struct):
    id: str
    resource_id: str
    start: str  # local wall clock, no offset: the location's time
    end: str
    kind: str  # session, appointment, time_off
    entry: str  # sessions/{id}, appointments/{id}, schedules/{id}
    title: str
    type_name: str
    color: str
    confirmed: bool
    client_name: str
    session_number: str


class CalendarShade(msgspec.Struct):
    start: str
    end: str
    kind: str  # closed, lunch, off
    resource_id: str  # empty: every column


class CalendarBody(msgspec.Struct):
    location: str
    location_name: str
    time_zone: str
    resources: list[CalendarResource]
    events: list[CalendarEvent]
    shading: list[CalendarShade]


class MoveBody(msgspec.Struct, forbid_unknown_fields=True):
    session: Annotated[str, msgspec.Meta(max_length=100, pattern=r"^sessions/[0-9a-f-]{36}$")]
    from_schedule: Annotated[str, msgspec.Meta(max_length=100, pattern=r"^schedules/[0-9a-f-]{36}$")]
    start: Annotated[str, msgspec.Meta(max_length=19, description="new local start, YYYY-MM-DDTHH:MM:SS")]
    end: Annotated[str, msgspec.Meta(max_length=19, description="new local end")]
    to_schedule: Annotated[str, msgspec.Meta(max_length=100, pattern=r"^(schedules/[0-9a-f-]{36})?$")] = ""
    book_anyway: bool = False


class MovedBody(msgspec.Struct):
    session: str
    start: str
    end: str


def _local(text: str, field: str) -> datetime:
    try:
        return datetime.strptime(text, LOCAL)
    except ValueError:
        raise problem(
            422, "not a local date and time", code="INVALID_ARGUMENT", errors=[{"field": field, "detail": LOCAL}]
        ) from None


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise problem(
            422, "not a date", code="INVALID_ARGUMENT", errors=[{"field": field, "detail": "a date, YYYY-MM-DD"}]
        ) from None


def _upstreams(request: Request[Any, Any, State]) -> Upstreams:
    up: Upstreams = request.app.state.upstreams
    return up


class CalendarController(Controller):
    path = "/api/v1/calendar"
    tags = ["calendar"]
    # the staff member's session is `current`, not `session`: a move's body has a `session` field,
    # and Litestar reports a body field that fails validation under a dependency's name as that
    # dependency's failure (a 500 instead of the 400 naming the field)
    dependencies = {"current": Provide(provide_session), "up": Provide(_upstreams, sync_to_thread=False)}

    @get(
        "",
        operation_id="getCalendar",
        summary="A location's calendar for a range of days, in one body",
        description=(
            "Columns (one per staff and room schedule), the sessions and appointments on them "
            "(on-hold and cancelled left out) and the shading (closed hours, lunch, outside working "
            "hours), all in the location's wall-clock time. One call per view change."
        ),
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def get_calendar(
        self,
        current: NamedDependency[CurrentSession],
        up: NamedDependency[Upstreams],
        location: Annotated[str, Parameter(max_length=36, description="the location id")],
        start: Annotated[str, Parameter(max_length=25, description="first local day, YYYY-MM-DD")],
        end: Annotated[str, Parameter(max_length=25, description="the day after the last, YYYY-MM-DD")],
    ) -> CalendarBody:
        view = await calendar_view(up, current.staff.caller(), location, _day(start, "start"), _day(end, "end"))
        return CalendarBody(
            location=location,
            location_name=view.location.display_name,
            time_zone=view.location.time_zone,
            resources=[CalendarResource(r.id, r.title, r.kind) for r in view.resources],
            events=[
                CalendarEvent(
                    id=e.id,
                    resource_id=e.resource,
                    start=e.start.strftime(LOCAL),
                    end=e.end.strftime(LOCAL),
                    kind=e.kind,
                    entry=e.entry,
                    title=e.title,
                    type_name=e.type_name,
                    color=e.color,
                    confirmed=e.confirmed,
                    client_name=e.client_name,
                    session_number=e.session_number,
                )
                for e in view.events
            ],
            shading=[
                CalendarShade(s.start.strftime(LOCAL), s.end.strftime(LOCAL), s.kind, s.resource) for s in view.shades
            ],
        )

    @post(
        "/moves",
        operation_id="moveSession",
        summary="Move a session to another time or column",
        description=(
            "Checks the studio hours, lunch periods and the column's working hours, then scheduling's "
            "conflicts. A 409 lists `warnings` or `conflicts`; send again with `book_anyway` to confirm."
        ),
        status_code=200,
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def move(
        self, current: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], data: JSONBody[MoveBody]
    ) -> MovedBody:
        move = Move(
            data.session,
            data.from_schedule,
            data.to_schedule,
            _local(data.start, "start"),
            _local(data.end, "end"),
            data.book_anyway,
        )
        try:
            moved = await move_session(up, current.staff.caller(), move)
        except NeedsConfirmation as exc:
            raise problem(
                409, "needs confirming", code=exc.reason, detail=exc.message, extra={"warnings": exc.warnings}
            ) from exc
        except UpstreamError as exc:
            if not exc.conflicts:
                raise
            raise conflict_problem(exc) from exc
        return MovedBody(moved.name, data.start, data.end)


@get("/calendar", include_in_schema=False)
async def calendar_page(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller = current.staff.caller()
    try:
        locations = await visible_locations(_upstreams(request), caller)
    except UpstreamError as exc:
        return Template(
            "message.html",
            context={"title": "Calendar", "message": exc.message, "link": "/calendar", "link_label": "Try again"},
            status_code=503,
        )
    wanted = request.query_params.get("location", "")
    ids = [loc.name.removeprefix("locations/") for loc in locations]
    selected = wanted if wanted in ids else (ids[0] if ids else "")
    return Template(
        "calendar.html",
        context={
            "title": "Calendar",
            "body_class": "app calendar-app",
            "staff": current.staff,
            "locations": [
                {"id": i, "name": loc.display_name, "time_zone": loc.time_zone}
                for i, loc in zip(ids, locations, strict=True)
            ],
            "selected": selected,
            "view": request.query_params.get("view", "day"),
            "date": request.query_params.get("date", ""),
            "schedule": request.query_params.get("schedule", ""),
        },
        headers=NO_STORE,
    )
