"""Studio setup in the console (issue 17, part A): locations, rooms, session statuses and the
numbering preference, over HTTP through the console in front of the real clients, scheduling
and billing services with the demo studio:

- an owner adds a location (zone, address, studio hours, lunch) and changes it; scheduling holds
  what the form said; bad input (an unknown zone, a row with from after to, a lunch outside the
  day's hours) is refused beside each field with what was typed kept and nothing written;
- a manager sees the locations but may not add one (scheduling's `company.admin`);
- a manager adds, renames and deletes a room; a blank name is refused beside it; a room
  sessions use is refused with scheduling's reason and stays;
- statuses: add, edit, a duplicate name and bad days refused beside their fields, delete, the
  default status refused with its reason;
- numbering: saved, and bad input refused beside each field with nothing written;
- a manager limited to one location sees only that location's rooms and locations;
- a front desk is refused every page and every save (403), nothing written."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.demo import DEMO_COMPANY_ID, DEMO_STAFF_PASSWORD
from tests.console_stack_support import (  # noqa: F401 (`stack`)
    DEMO_META,
    ConsoleStack,
    EditStudio,
    module_console_stack,
    weekday,
)
from tests.console_support import csrf, field_error, field_value, log_in

pytestmark = pytest.mark.xdist_group("console_studio_setup")

OWNER = "owner@example.com"
MANAGER = "manager@example.com"
DESK = "frontdesk@example.com"


async def _token(http: httpx.AsyncClient) -> str:
    return next(iter((await csrf(http)).values()))


@asynccontextmanager
async def _signed_in(
    stack: ConsoleStack, email: str, password: str = DEMO_STAFF_PASSWORD
) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, email, password)).status_code == 200
        yield http


async def _locations(stack: ConsoleStack) -> list[pb.Location]:
    reply = await stack.services.scheduling.ListLocations(pb.ListLocationsRequest(page_size=100), metadata=DEMO_META)
    return list(reply.locations)


async def _rooms(stack: ConsoleStack) -> list[pb.Schedule]:
    reply = await stack.services.scheduling.ListSchedules(pb.ListSchedulesRequest(page_size=1000), metadata=DEMO_META)
    return [x for x in reply.schedules if x.kind == pb.SCHEDULE_KIND_RESOURCE]


async def _statuses(stack: ConsoleStack) -> list[pb.SessionStatus]:
    request = pb.ListSessionStatusesRequest(page_size=1000)
    return list((await stack.services.scheduling.ListSessionStatuses(request, metadata=DEMO_META)).session_statuses)


def _hours(location: pb.Location) -> list[tuple[int, str, str]]:
    return [
        (h.day, f"{h.start.hours:02d}:{h.start.minutes:02d}", f"{h.end.hours:02d}:{h.end.minutes:02d}")
        for h in location.studio_hours
    ]


def _location_form(token: str, name: str) -> dict[str, str]:
    return {
        "_csrf_token": token,
        "display_name": name,
        "time_zone": "America/Chicago",
        "address_line_1": "12 Elm Street",
        "locality": "Springfield",
        "administrative_area": "IL",
        "postal_code": "62701",
        "region_code": "us",
        "hours-0-day": "1",
        "hours-0-start": "09:00",
        "hours-0-end": "17:00",
        "hours-1-day": "",
        "hours-1-start": "",
        "hours-1-end": "",
        "hours-2-day": "6",
        "hours-2-start": "10:00",
        "hours-2-end": "14:00",
        "lunch-0-day": "1",
        "lunch-0-start": "12:00",
        "lunch-0-end": "12:30",
    }


async def test_an_owner_adds_and_changes_a_location_and_bad_input_is_refused_per_field(stack: ConsoleStack) -> None:
    before = len(await _locations(stack))
    async with _signed_in(stack, OWNER) as http:
        token = await _token(http)
        bad = _location_form(token, "Riverside Studio") | {
            "time_zone": "Mars/Olympus",
            "hours-0-end": "08:00",  # before from
            "lunch-0-day": "2",  # Tuesday: no studio hours
        }
        refused = await http.post("/setup/locations/new", data=bad)
        assert refused.status_code == 422
        assert "time zone" in field_error(refused.text, "time_zone")
        assert field_error(refused.text, "hours-0-end") == "Must be after the from time."
        assert field_error(refused.text, "lunch-0-start") == "Must be inside the studio hours of Tuesday."
        assert "Not saved" in refused.text
        assert field_value(refused.text, "display_name") == "Riverside Studio"  # what was typed is kept
        assert field_value(refused.text, "hours-0-end") == "08:00"
        assert len(await _locations(stack)) == before  # nothing written

        added = await http.post("/setup/locations/new", data=_location_form(token, "Riverside Studio"))
        assert added.status_code == 302, added.text
        location = next(x for x in await _locations(stack) if x.display_name == "Riverside Studio")
        assert location.time_zone == "America/Chicago"
        assert list(location.address.address_lines) == ["12 Elm Street"]
        assert location.address.region_code == "US"
        assert _hours(location) == [(1, "09:00", "17:00"), (6, "10:00", "14:00")]
        assert [(x.day, x.start.hours, x.end.minutes) for x in location.lunch_periods] == [(1, 12, 30)]

        location_id = location.name.split("/")[1]
        page = await http.get(f"/setup/locations/{location_id}")
        assert page.status_code == 200
        assert field_value(page.text, "hours-1-start") == "10:00"  # the saved rows, the empty one gone
        assert field_value(page.text, "hours-2-start") == ""  # and empty rows to add more
        changed = _location_form(token, "Riverside Studio North") | {
            "time_zone": "America/New_York",
            "hours-0-end": "18:00",
            "hours-2-day": "",
            "hours-2-start": "",
            "hours-2-end": "",
            "lunch-0-day": "",
            "lunch-0-start": "",
            "lunch-0-end": "",
        }
        saved = await http.post(f"/setup/locations/{location_id}", data=changed)
        assert saved.status_code == 302, saved.text
        now = next(x for x in await _locations(stack) if x.name == location.name)
        assert (now.display_name, now.time_zone) == ("Riverside Studio North", "America/New_York")
        assert _hours(now) == [(1, "09:00", "18:00")]
        assert not now.lunch_periods

        unknown = await http.post("/setup/locations/not-a-location", data=changed)
        assert unknown.status_code == 404

    async with _signed_in(stack, MANAGER) as http:
        listed = await http.get("/setup/locations")
        assert listed.status_code == 200
        assert (await EditStudio.of(stack)).location.display_name in listed.text
        assert "Riverside Studio North" not in listed.text  # the demo manager is given the demo's locations only
        assert "added and changed by the studio's owners" in listed.text
        token = await _token(http)
        refused = await http.post("/setup/locations/new", data=_location_form(token, "Manager Studio"))
        assert refused.status_code == 403
        assert not [x for x in await _locations(stack) if x.display_name == "Manager Studio"]


async def test_a_manager_adds_renames_and_deletes_a_room(stack: ConsoleStack) -> None:
    studio = await EditStudio.of(stack)
    async with _signed_in(stack, MANAGER) as http:
        token = await _token(http)
        count = len(await _rooms(stack))
        blank = await http.post("/setup/rooms", data={"_csrf_token": token, "display_name": " ", "location": ""})
        assert blank.status_code == 422
        assert field_error(blank.text, "display_name") == "Enter the room's name."
        assert field_error(blank.text, "location") == "Choose the room's location."
        assert len(await _rooms(stack)) == count  # nothing written

        form = {"_csrf_token": token, "display_name": "Camera room 7", "location": studio.location.name}
        added = await http.post("/setup/rooms", data=form)
        assert added.status_code == 302, added.text
        room = next(x for x in await _rooms(stack) if x.display_name == "Camera room 7")
        assert room.location == studio.location.name
        room_id = room.name.split("/")[1]
        assert "Camera room 7" in (await http.get("/setup/rooms")).text

        empty = await http.post(f"/setup/rooms/{room_id}", data={"_csrf_token": token, "display_name": ""})
        assert empty.status_code == 422
        assert field_error(empty.text, "display_name") == "Enter the room's name."
        renamed = await http.post(f"/setup/rooms/{room_id}", data={"_csrf_token": token, "display_name": "Studio B"})
        assert renamed.status_code == 302
        got = await stack.services.scheduling.GetSchedule(pb.GetScheduleRequest(name=room.name), metadata=DEMO_META)
        assert (got.display_name, got.location, got.kind) == (
            "Studio B",
            studio.location.name,
            pb.SCHEDULE_KIND_RESOURCE,
        )

        # a room sessions use: refused with scheduling's reason, kept
        await studio.book(weekday(160), 10, studio.john, camera_room=room.name)
        in_use = await http.post(f"/setup/rooms/{room_id}/delete", data={"_csrf_token": token})
        assert in_use.status_code == 409
        assert 'The room "Studio B" cannot be deleted: sessions or appointments use it.' in html.unescape(in_use.text)
        assert room.name in {x.name for x in await _rooms(stack)}

        spare = await http.post("/setup/rooms", data=form | {"display_name": "Spare room"})
        assert spare.status_code == 302
        spare_room = next(x for x in await _rooms(stack) if x.display_name == "Spare room")
        deleted = await http.post(f"/setup/rooms/{spare_room.name.split('/')[1]}/delete", data={"_csrf_token": token})
        assert deleted.status_code == 302
        assert spare_room.name not in {x.name for x in await _rooms(stack)}


async def test_statuses_and_numbering_are_set_up_with_refusals_beside_their_fields(stack: ConsoleStack) -> None:
    async with _signed_in(stack, MANAGER) as http:
        token = await _token(http)
        bad = await http.post("/setup/statuses", data={"_csrf_token": token, "display_name": "", "due_in_days": "-3"})
        assert bad.status_code == 422
        assert field_error(bad.text, "display_name") == "Enter the status's name."
        assert "whole number of days" in field_error(bad.text, "due_in_days")
        assert field_value(bad.text, "due_in_days") == "-3"
        before = await _statuses(stack)

        form = {"_csrf_token": token, "display_name": "Album Ordered", "due_in_days": "21", "is_default": "1"}
        added = await http.post("/setup/statuses", data=form)
        assert added.status_code == 302, added.text
        status = next(x for x in await _statuses(stack) if x.display_name == "Album Ordered")
        assert (status.due_in_days, status.is_default) == (21, True)
        status_id = status.name.split("/")[1]
        default = await http.post(f"/setup/statuses/{status_id}/delete", data={"_csrf_token": token})
        assert default.status_code == 409
        assert 'The status "Album Ordered" cannot be deleted: it is the default status.' in html.unescape(default.text)

        duplicate = await http.post("/setup/statuses", data=form)
        assert duplicate.status_code == 422
        assert "already has this name" in field_error(duplicate.text, "display_name")
        assert len(await _statuses(stack)) == len(before) + 1

        edited = await http.post(
            f"/setup/statuses/{status_id}",
            data={"_csrf_token": token, "display_name": "Album Sent", "due_in_days": "30"},
        )
        assert edited.status_code == 302
        got = await stack.services.scheduling.GetSessionStatus(
            pb.GetSessionStatusRequest(name=status.name), metadata=DEMO_META
        )
        assert (got.display_name, got.due_in_days, got.is_default) == ("Album Sent", 30, False)  # box unticked
        deleted = await http.post(f"/setup/statuses/{status_id}/delete", data={"_csrf_token": token})
        assert deleted.status_code == 302
        assert status.name not in {x.name for x in await _statuses(stack)}

        prefs = pb.GetSchedulingPreferencesRequest(name="schedulingPreferences")
        was = await stack.services.scheduling.GetSchedulingPreferences(prefs, metadata=DEMO_META)
        wrong = await http.post(
            "/setup/numbering",
            data={"_csrf_token": token, "next_session_number": "ten", "session_number_prefix": "S <b>"},
        )
        assert wrong.status_code == 422
        assert "whole number" in field_error(wrong.text, "next_session_number")
        assert "letters, digits" in field_error(wrong.text, "session_number_prefix")
        assert field_value(wrong.text, "next_session_number") == "ten"
        assert await stack.services.scheduling.GetSchedulingPreferences(prefs, metadata=DEMO_META) == was
        saved = await http.post(
            "/setup/numbering",
            data={"_csrf_token": token, "next_session_number": "5001", "session_number_prefix": "S-"},
        )
        assert saved.status_code == 302
        now = await stack.services.scheduling.GetSchedulingPreferences(prefs, metadata=DEMO_META)
        assert (now.next_session_number, now.session_number_prefix) == (5001, "S-")
        assert field_value((await http.get("/setup/numbering")).text, "next_session_number") == "5001"


async def test_a_manager_limited_to_one_location_sees_only_its_rooms(stack: ConsoleStack) -> None:
    rooms = await _rooms(stack)
    first = (await EditStudio.of(stack)).location
    second = next(x for x in await _locations(stack) if x.name != first.name and x.name in {r.location for r in rooms})
    theirs = {x.display_name for x in rooms if x.location == first.name}
    others = {x.display_name for x in rooms if x.location == second.name}
    assert theirs
    assert others
    await stack.console.staff(
        "limited.manager@example.com", ["manager"], company=DEMO_COMPANY_ID, locations=[first.name.split("/")[1]]
    )
    async with _signed_in(stack, "limited.manager@example.com", "a long enough password") as http:
        page = (await http.get("/setup/rooms")).text
        assert all(name in page for name in theirs)
        assert not any(name in page for name in others)
        listed = (await http.get("/setup/locations")).text
        assert first.display_name in listed
        assert second.display_name not in listed
        hidden = next(x for x in rooms if x.location == second.name)
        assert (await http.get(f"/setup/rooms/{hidden.name.split('/')[1]}")).status_code == 404
        token = await _token(http)
        form = {"_csrf_token": token, "display_name": "Elsewhere", "location": second.name}
        refused = await http.post("/setup/rooms", data=form)
        assert refused.status_code == 422
        assert field_error(refused.text, "location") == "Choose the room's location."
        assert "Elsewhere" not in {x.display_name for x in await _rooms(stack)}


async def test_a_front_desk_is_refused_studio_setup(stack: ConsoleStack) -> None:
    rooms = await _rooms(stack)
    statuses = await _statuses(stack)
    async with _signed_in(stack, DESK) as http:
        for path in ("/setup/locations", "/setup/locations/new", "/setup/rooms", "/setup/statuses", "/setup/numbering"):
            page = await http.get(path)
            assert page.status_code == 403, path
            assert "managers and owners" in page.text
        token = await _token(http)
        room = rooms[0].name.split("/")[1]
        for path, form in (
            ("/setup/rooms", {"display_name": "Desk room", "location": rooms[0].location}),
            (f"/setup/rooms/{room}", {"display_name": "Desk renamed"}),
            (f"/setup/rooms/{room}/delete", {}),
            ("/setup/statuses", {"display_name": "Desk status", "due_in_days": "1"}),
            (f"/setup/statuses/{statuses[0].name.split('/')[1]}/delete", {}),
            ("/setup/numbering", {"next_session_number": "1", "session_number_prefix": ""}),
            ("/setup/locations/new", {"display_name": "Desk studio", "time_zone": "UTC"}),
        ):
            refused = await http.post(path, data={"_csrf_token": token, **form})
            assert refused.status_code == 403, path
    assert await _rooms(stack) == rooms
    assert await _statuses(stack) == statuses
