"""Studio setup, locations and rooms, in the console (issue 17). Managers and owners see them;
a location is added and changed by those scheduling lets (`company.admin`: owners), rooms (the
camera rooms' resource schedules) by managers and owners (`setup.write`). Staff limited to some
locations see and change only those: scheduling answers for the caller's token. Forms are shown
back with each refusal beside its field and what was typed kept; a room scheduling will not
delete (in use) says why."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.type_pages import TYPE_ID, beside_fields, may_set_up, not_saved, refused, upstreams_of
from shutterbook_console.application import studio_places as places
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.location_form import DAYS, form_field, parse_location, with_blank_rows, zones
from shutterbook_console.domain.setup_items import item_field, parse_room
from shutterbook_console.upstreams import UpstreamError
from shutterbook_kit.permissions import Permission, grants

FORBIDDEN = "Studio setup is done by managers and owners."
OWNERS_ONLY = "Locations are added and changed by the studio's owners."
DONE = {"saved": "Saved.", "added": "Added.", "deleted": "Deleted."}
ZONES = [(zone, zone.replace("_", " ")) for zone in zones()]
_NAMED = re.compile(r"\s*\([a-zA-Z]+/[0-9A-Za-z-]+\)")  # "(pictureDays/abc)" after a name
_RESOURCE = re.compile(r"\b([a-zA-Z]+)/[0-9A-Za-z-]+")
_KINDS = {"sessionTypes": "a session type", "appointmentTypes": "an appointment type", "pictureDays": "a picture day"}


async def setup_session(
    request: Request[Any, Any, State], template: str, title: str
) -> CurrentSession | Redirect | Template:
    """The signed-in manager or owner; else the login page, or `template` saying who may."""
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if not may_set_up(session):
        return staff_page(template, session, 403, title=title, error=FORBIDDEN, forbidden=True)
    return session


def in_use(exc: UpstreamError, what: str) -> tuple[int, str]:
    """A refused delete as the page says it: scheduling's reason (why it is in use) without
    record names, or the usual refusal."""
    if exc.code.name != "FAILED_PRECONDITION":
        return refused(exc)
    reason = exc.message.split(": ", 1)[-1]
    reason = _RESOURCE.sub(lambda m: _KINDS.get(m.group(1), "another record"), _NAMED.sub("", reason)).strip()
    return 409, f"{what} cannot be deleted: {reason}."


def refusal_beside(exc: UpstreamError, to_field: Callable[[str], str], errors: dict[str, str]) -> tuple[int, str]:
    """Scheduling's refusal beside the form's fields: its field violations, and a name another
    record already has beside the name (ALREADY_EXISTS names that field in its metadata)."""
    if exc.code.name == "ALREADY_EXISTS":
        name = to_field(exc.metadata.get("field", "")) or "display_name"
        errors.setdefault(name, "Another one already has this name: choose another.")
        return 422, ""
    return beside_fields(exc, to_field, errors)


@dataclass(frozen=True)
class Outcome:
    """How a form's save went: saved, or the status, the errors by field and the summary."""

    saved: bool
    status: int = 200
    errors: dict[str, str] = field(default_factory=dict)
    error: str = ""


async def save_checked(
    found: dict[str, str], save: Callable[[], Awaitable[object]], to_field: Callable[[str], str]
) -> Outcome:
    """`save()` when the console `found` no problem, scheduling's refusal put beside the fields."""
    errors = dict(found)
    status, error = 422, ""
    if not errors:
        try:
            await save()
            return Outcome(True)
        except UpstreamError as exc:
            status, error = refusal_beside(exc, to_field, errors)
    return Outcome(False, status, errors, not_saved(errors) or error)


def _may_change_locations(session: CurrentSession) -> bool:
    return Permission.COMPANY_ADMIN in grants(session.staff.caller())


def notice(request: Request[Any, Any, State]) -> str:
    return DONE.get(request.query_params.get("done", ""), "")


# --- locations ---


@get("/setup/locations", include_in_schema=False)
async def locations_page(request: Request[Any, Any, State]) -> Template | Redirect:
    title = "Studio setup: locations"
    session = await setup_session(request, "locations.html", title)
    if not isinstance(session, CurrentSession):
        return session
    context: dict[str, Any] = {"title": title, "may_change": _may_change_locations(session), "days": DAYS}
    try:
        locations = await places.list_locations(upstreams_of(request), session.staff.caller())
    except UpstreamError as exc:
        status, message = refused(exc)
        return staff_page("locations.html", session, status, error=message, locations=[], **context)
    return staff_page("locations.html", session, locations=locations, notice=notice(request), **context)


def _location_page(
    session: CurrentSession, status: int, location_id: str, v: dict[str, Any], **context: Any
) -> Template:
    title = "Studio setup: new location" if not location_id else f"Studio setup: {v.get('display_name') or 'location'}"
    v = {**v, "hours": with_blank_rows(v.get("hours", [])), "lunch": with_blank_rows(v.get("lunch", []))}
    context.setdefault("title", title)
    return staff_page("location.html", session, status, location_id=location_id, v=v, zones=ZONES, days=DAYS, **context)


async def _location_owner(request: Request[Any, Any, State]) -> CurrentSession | Redirect | Template:
    session = await setup_session(request, "location.html", "Studio setup: locations")
    if isinstance(session, CurrentSession) and not _may_change_locations(session):
        return staff_page(
            "location.html", session, 403, title="Studio setup: locations", error=OWNERS_ONLY, forbidden=True
        )
    return session


@get("/setup/locations/new", include_in_schema=False)
async def new_location_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await _location_owner(request)
    if not isinstance(session, CurrentSession):
        return session
    return _location_page(session, 200, "", {"time_zone": ""})


@get("/setup/locations/{location_id:str}", include_in_schema=False)
async def location_page(request: Request[Any, Any, State], location_id: FromPath[str]) -> Template | Redirect:
    session = await _location_owner(request)
    if not isinstance(session, CurrentSession):
        return session
    if not TYPE_ID.match(location_id):
        return _location_page(session, 404, location_id, {}, error="That location does not exist.", forbidden=True)
    try:
        location = await places.get_location(upstreams_of(request), session.staff.caller(), location_id)
    except UpstreamError as exc:
        status, message = refused(exc)
        return _location_page(session, status, location_id, {}, error=message, forbidden=True)
    return _location_page(session, 200, location_id, places.location_values(location), notice=notice(request))


async def _save_location(request: Request[Any, Any, State], location_id: str) -> Template | Redirect:
    session = await _location_owner(request)
    if not isinstance(session, CurrentSession):
        return session
    if location_id and not TYPE_ID.match(location_id):
        return _location_page(session, 404, location_id, {}, error="That location does not exist.", forbidden=True)
    up, caller = upstreams_of(request), session.staff.caller()
    form = await request.form()
    parsed = parse_location({k: str(v) for k, v in form.items() if isinstance(v, str)})

    async def save() -> pb.Location:
        if location_id:
            return await places.update_location(up, caller, location_id, parsed.values)
        return await places.create_location(up, caller, parsed.values)

    done = await save_checked(parsed.errors, save, lambda path: form_field(path, parsed.rows))
    if done.saved:
        where = f"/setup/locations/{location_id}?done=saved" if location_id else "/setup/locations?done=added"
        return Redirect(where, headers=NO_STORE)
    return _location_page(session, done.status, location_id, parsed.typed, errors=done.errors, error=done.error)


@post("/setup/locations/new", include_in_schema=False)
async def new_location_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    return await _save_location(request, "")


@post("/setup/locations/{location_id:str}", include_in_schema=False)
async def location_submit(request: Request[Any, Any, State], location_id: FromPath[str]) -> Template | Redirect:
    return await _save_location(request, location_id)


# --- rooms ---

ROOMS_TITLE = "Studio setup: rooms"


async def _rooms_page(
    request: Request[Any, Any, State], session: CurrentSession, status: int = 200, **context: Any
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    try:
        locations = await places.list_locations(up, caller)
        rooms = await places.list_rooms(up, caller)
    except UpstreamError as exc:
        status, message = refused(exc)
        return staff_page("rooms.html", session, status, title=ROOMS_TITLE, error=message, rooms=[], locations=[])
    names = {x.name: x.display_name for x in locations}
    context.setdefault("v", {"location": locations[0].name if len(locations) == 1 else ""})
    context.setdefault("notice", notice(request))
    return staff_page(
        "rooms.html",
        session,
        status,
        title=ROOMS_TITLE,
        rooms=rooms,
        locations=locations,
        location_options=list(names.items()),
        names=names,
        **context,
    )


@get("/setup/rooms", include_in_schema=False)
async def rooms_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "rooms.html", ROOMS_TITLE)
    if not isinstance(session, CurrentSession):
        return session
    return await _rooms_page(request, session)


@post("/setup/rooms", include_in_schema=False)
async def room_create(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "rooms.html", ROOMS_TITLE)
    if not isinstance(session, CurrentSession):
        return session
    up, caller = upstreams_of(request), session.staff.caller()
    form = await request.form()
    try:
        locations = {x.name for x in await places.list_locations(up, caller)}
    except UpstreamError:
        locations = set()
    parsed = parse_room({k: str(v) for k, v in form.items() if isinstance(v, str)}, locations)
    done = await save_checked(
        parsed.errors,
        lambda: places.create_room(up, caller, parsed.values["display_name"], parsed.values["location"]),
        lambda p: item_field(p, ("display_name", "location")),
    )
    if done.saved:
        return Redirect("/setup/rooms?done=added", headers=NO_STORE)
    return await _rooms_page(request, session, done.status, v=parsed.typed, errors=done.errors, error=done.error)


def _room_page(
    session: CurrentSession, status: int, room_id: str, room: pb.Schedule | None, **context: Any
) -> Template:
    context.setdefault("v", {"display_name": room.display_name if room is not None else ""})
    title = f"Room: {room.display_name}" if room is not None else "Room"
    return staff_page("room.html", session, status, title=title, room_id=room_id, room=room, **context)


async def _room(request: Request[Any, Any, State], room_id: str) -> tuple[CurrentSession | Redirect | Template, Any]:
    """The session and the room (a resource schedule the caller sees), or the page to answer."""
    session = await setup_session(request, "room.html", ROOMS_TITLE)
    if not isinstance(session, CurrentSession):
        return session, None
    if not TYPE_ID.match(room_id):
        return _room_page(session, 404, room_id, None, error="That room does not exist."), None
    try:
        room = await places.get_room(upstreams_of(request), session.staff.caller(), room_id)
    except UpstreamError as exc:
        status, message = refused(exc)
        return _room_page(session, status, room_id, None, error=message), None
    if room.kind != pb.SCHEDULE_KIND_RESOURCE:
        return _room_page(session, 404, room_id, None, error="That room does not exist."), None
    return session, room


@get("/setup/rooms/{room_id:str}", include_in_schema=False)
async def room_page(request: Request[Any, Any, State], room_id: FromPath[str]) -> Template | Redirect:
    session, room = await _room(request, room_id)
    if not isinstance(session, CurrentSession):
        return session
    return _room_page(session, 200, room_id, room, notice=notice(request))


@post("/setup/rooms/{room_id:str}", include_in_schema=False)
async def room_rename(request: Request[Any, Any, State], room_id: FromPath[str]) -> Template | Redirect:
    session, room = await _room(request, room_id)
    if not isinstance(session, CurrentSession):
        return session
    form = await request.form()
    parsed = parse_room(
        {**{k: str(v) for k, v in form.items() if isinstance(v, str)}, "location": room.location}, {room.location}
    )
    done = await save_checked(
        parsed.errors,
        lambda: places.rename_room(
            upstreams_of(request), session.staff.caller(), room_id, parsed.values["display_name"]
        ),
        lambda p: item_field(p, ("display_name",)),
    )
    if done.saved:
        return Redirect(f"/setup/rooms/{room_id}?done=saved", headers=NO_STORE)
    return _room_page(session, done.status, room_id, room, v=parsed.typed, errors=done.errors, error=done.error)


@post("/setup/rooms/{room_id:str}/delete", include_in_schema=False)
async def room_delete(request: Request[Any, Any, State], room_id: FromPath[str]) -> Template | Redirect:
    session, room = await _room(request, room_id)
    if not isinstance(session, CurrentSession):
        return session
    try:
        await places.delete_room(upstreams_of(request), session.staff.caller(), room_id)
    except UpstreamError as exc:
        status, message = in_use(exc, f'The room "{room.display_name}"')
        return _room_page(session, status, room_id, room, error=message)
    return Redirect("/setup/rooms?done=deleted", headers=NO_STORE)


LOCATION_HANDLERS = [
    locations_page,
    new_location_page,
    location_page,
    new_location_submit,
    location_submit,
    rooms_page,
    room_create,
    room_page,
    room_rename,
    room_delete,
]
