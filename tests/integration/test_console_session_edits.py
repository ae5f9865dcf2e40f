"""Editing when and with whom a session is on its record (page 02), over HTTP through the console
in front of the real clients, scheduling and billing services with the demo studio:

- the front desk moves a simple session (date, start, end) and changes its photographer,
  assistant and room in one save; the history says who did it;
- a change onto a busy photographer is refused with the message beside the photographer and
  nothing changed (not even the time typed with it), and saved with "Book anyway";
- bad dates and times are refused beside their fields, the form keeps what was typed;
- an advanced session's blocks are changed, added and removed; a block onto a busy schedule is
  refused beside that block and leaves every block as it was;
- a photographer changes the photo-day fields of their own session, gets someone else's
  session read-only, and a save of it refused (403) with the session unchanged."""

from __future__ import annotations

import re

import httpx
import pytest

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.console_stack_support import (  # noqa: F401 (`stack`)
    DEMO_META,
    ConsoleStack,
    EditStudio,
    date_text,
    module_console_stack,
    weekday,
)
from tests.console_support import csrf, field_error, field_value, log_in

pytestmark = pytest.mark.xdist_group("console_session_edits")

DESK = "frontdesk@example.com"
PHOTOGRAPHER = "john@example.com"  # linked to John Doe's schedule at the first location


async def _form(http: httpx.AsyncClient, session: pb.Session) -> dict[str, str | list[str]]:
    """What the record's form posts as it stands (the fields this test changes; the rest kept)."""
    token = next(iter((await csrf(http)).values()))
    form: dict[str, str | list[str]] = {
        "_csrf_token": token,
        "description": session.description,
        "session_type": session.session_type,
        "session_number": session.session_number,
        "status": session.status,
        "file_number": session.file_number,
        "status_due_date": date_text(session.status_due_date),
        "reminder_minutes": str(session.reminder_minutes) if session.HasField("reminder_minutes") else "",
        "notes": session.notes,
    }
    if not session.use_advanced_calendar:
        form |= {
            "session_date": date_text(session.session_date),
            "start": f"{session.start.hours:02d}:{session.start.minutes:02d}",
            "end": f"{session.end.hours:02d}:{session.end.minutes:02d}",
            "photographer": session.photographer,
            "assistant": session.assistant,
            "camera_room": session.camera_room,
        }
    return form


def _blocks(session: pb.Session) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for i, b in enumerate(session.time_blocks):
        out |= {
            f"blocks-{i}-date": date_text(b.date),
            f"blocks-{i}-start": f"{b.start.hours:02d}:{b.start.minutes:02d}",
            f"blocks-{i}-end": f"{b.end.hours:02d}:{b.end.minutes:02d}",
            f"blocks-{i}-schedules": list(b.schedules),
        }
    return out


async def test_the_front_desk_moves_a_session_and_changes_its_people(stack: ConsoleStack) -> None:
    studio = await EditStudio.of(stack)
    when = weekday(40)
    session = await studio.book(when, 9, studio.john)
    busy = await studio.book(when, 14, studio.others[0])  # the other photographer, 14:00-15:00
    later = weekday(41)
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{session.name}")
        assert field_value(page.text, "session_date") == date_text(when)
        assert field_value(page.text, "start") == "09:00"

        # onto the other photographer at 14:30: they are busy then; nothing changes
        form = await _form(http, session)
        form |= {
            "start": "14:30",
            "end": "15:30",
            "photographer": studio.others[0].name,
            "camera_room": studio.room.name,
        }
        refused = await http.post(f"/{session.name}", data=form)
        assert refused.status_code == 409
        assert f"{studio.others[0].display_name} is busy then" in field_error(refused.text, "photographer")
        assert "nothing was changed" in refused.text
        assert field_value(refused.text, "start") == "14:30"  # what was typed is kept
        assert "Book anyway" in refused.text
        kept = await studio.get(session.name)
        assert (kept.start.hours, kept.photographer, kept.camera_room) == (9, studio.john.name, "")
        assert busy.name  # still there, untouched

        # the next day at 11:15-12:45 with an assistant and the room: one save
        form |= {
            "session_date": date_text(later),
            "start": "11:15",
            "end": "12:45",
            "photographer": studio.john.name,
            "assistant": studio.others[0].name,
        }
        saved = await http.post(f"/{session.name}", data=form)
        assert saved.status_code == 302, saved.text
        moved = await studio.get(session.name)
        assert moved.session_date == later
        assert (moved.start.hours, moved.start.minutes, moved.end.hours, moved.end.minutes) == (11, 15, 12, 45)
        assert (moved.assistant, moved.camera_room) == (studio.others[0].name, studio.room.name)
        record = (await http.get(f"/{session.name}")).text
        assert "Priya Patel" in record  # the history names who changed it
        assert f"Assistant</span>: — → {studio.others[0].display_name}" in record

        # "Book anyway" over the busy photographer
        form |= {"session_date": date_text(when), "start": "14:00", "end": "15:00", "book_anyway": "on"}
        anyway = await http.post(f"/{session.name}", data=form)
        assert anyway.status_code == 302
        assert (await studio.get(session.name)).start.hours == 14


async def test_bad_times_are_refused_beside_their_fields(stack: ConsoleStack) -> None:
    studio = await EditStudio.of(stack)
    session = await studio.book(weekday(42), 9, studio.john)
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        form = await _form(http, session) | {"session_date": "2026-02-30", "start": "25:00", "end": ""}
        refused = await http.post(f"/{session.name}", data=form)
        assert refused.status_code == 422
        assert field_error(refused.text, "session_date") == "A date, YYYY-MM-DD"
        assert field_error(refused.text, "start") == "A time, HH:MM"
        assert field_value(refused.text, "session_date") == "2026-02-30"
        form |= {"session_date": date_text(session.session_date), "start": "10:00", "end": "09:30"}
        backwards = await http.post(f"/{session.name}", data=form)
        assert backwards.status_code == 422
        assert "after the start" in field_error(backwards.text, "end")
        form |= {"end": "10:30", "photographer": "schedules/not-a-schedule"}
        unknown = await http.post(f"/{session.name}", data=form)
        assert unknown.status_code == 422
        assert field_error(unknown.text, "photographer")
    kept = await studio.get(session.name)
    assert (kept.start.hours, kept.end.hours, kept.photographer) == (9, 10, studio.john.name)


async def test_an_advanced_sessions_blocks_are_added_changed_and_removed(stack: ConsoleStack) -> None:
    studio = await EditStudio.of(stack)
    first, second = weekday(45), weekday(46)
    wedding = await studio.book_wedding((first, 9, 11, studio.john), (second, 13, 14, studio.room))
    busy = await studio.book(second, 15, studio.others[0])
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{wedding.name}")
        assert field_value(page.text, "blocks-1-start") == "13:00"
        assert 'id="blocks-2-date"' in page.text  # the row to add a block

        # the second block onto the busy photographer: refused beside that block, nothing changed
        form = await _form(http, wedding) | _blocks(wedding)
        form |= {"blocks-1-start": "15:00", "blocks-1-end": "16:00", "blocks-1-schedules": [studio.others[0].name]}
        refused = await http.post(f"/{wedding.name}", data=form)
        assert refused.status_code == 409
        assert "is busy then" in field_error(refused.text, "blocks-1-schedules")
        kept = await studio.get(wedding.name)
        assert [(b.date, b.start.hours) for b in kept.time_blocks] == [(first, 9), (second, 13)]

        # a block with no schedule and no start: both beside the row
        form |= {"blocks-1-start": "", "blocks-1-schedules": []}
        invalid = await http.post(f"/{wedding.name}", data=form)
        assert invalid.status_code == 422
        assert field_error(invalid.text, "blocks-1-start") == "Enter the time"
        assert field_error(invalid.text, "blocks-1-schedules")

        # the first changed, the second removed, a third added
        form = await _form(http, wedding) | _blocks(wedding)
        form |= {
            "blocks-0-start": "08:30",
            "blocks-1-remove": "on",
            "blocks-2-date": date_text(second),
            "blocks-2-start": "17:00",
            "blocks-2-end": "18:00",
            "blocks-2-schedules": [studio.john.name, studio.room.name],
        }
        saved = await http.post(f"/{wedding.name}", data=form)
        assert saved.status_code == 302, saved.text
        changed = await studio.get(wedding.name)
        assert [(b.date, b.start.hours, b.start.minutes, list(b.schedules)) for b in changed.time_blocks] == [
            (first, 8, 30, [studio.john.name]),
            (second, 17, 0, [studio.john.name, studio.room.name]),
        ]
        assert busy.name


async def test_a_photographer_edits_only_their_own_sessions_photo_day_fields(stack: ConsoleStack) -> None:
    studio = await EditStudio.of(stack)
    own = await studio.book(weekday(48), 9, studio.john)
    theirs = await studio.book(weekday(48), 9, studio.others[0])
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, PHOTOGRAPHER, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{own.name}")
        assert "you may change its status" in page.text
        confirmed = re.search(r'name="confirmed"[^>]*>', page.text)
        description = re.search(r'name="description"[^>]*>', page.text)
        assert confirmed is not None
        assert description is not None
        assert "disabled" not in confirmed.group(0)  # a photo-day field: theirs to change
        assert "disabled" in description.group(0)
        assert 'name="session_date"' not in page.text  # the time is the front desk's

        # the photo-day fields are saved; a description sent along is not the photographer's to change
        form = await _form(http, own) | {"confirmed": "on", "no_show": "on", "description": "Changed by John"}
        saved = await http.post(f"/{own.name}", data=form)
        assert saved.status_code == 302, saved.text
        after = await studio.get(own.name)
        assert (after.confirmed, after.no_show, after.description) == (True, True, "Edit test")

        # someone else's session: read only, and a save refused with nothing changed
        other = await http.get(f"/{theirs.name}")
        assert "read only for you" in other.text
        assert ">Save</button>" not in other.text
        form = await _form(http, theirs) | {"confirmed": "on"}
        refused = await http.post(f"/{theirs.name}", data=form)
        assert refused.status_code == 403
        assert "only change your own sessions" in refused.text
        assert not (await studio.get(theirs.name)).confirmed


async def test_the_clients_hub_sorts_by_latest_session(stack: ConsoleStack) -> None:
    """The hub asks clients for `last_session_time desc` (the order across pages is clients'
    own: tests/integration/test_clients_last_session.py) and shows each client's last session."""
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get("/clients", params={"sort": "last_session"})
        assert page.status_code == 200
        assert "(latest session first)" in page.text
        assert '<th scope="col">Last session</th>' in page.text
        shown = re.findall(
            r'<td class="nowrap">(\d{4}-\d{2}-\d{2}|<span class="muted">—</span>)</td>\s*</tr>', page.text
        )
        assert shown
        dates = [d for d in shown if d[0].isdigit()]
        assert dates  # the demo's clients have sessions, learned from scheduling's events
        assert dates == sorted(dates, reverse=True)
        assert shown[: len(dates)] == dates  # the clients without a session come last
