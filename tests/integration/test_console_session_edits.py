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
from datetime import date, timedelta

import httpx
import pytest

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.console_stack_support import DEMO_META, ConsoleStack, module_console_stack  # noqa: F401 (`stack`)
from tests.console_support import csrf, log_in

pytestmark = pytest.mark.xdist_group("console_session_edits")

DESK = "frontdesk@example.com"
PHOTOGRAPHER = "john@example.com"  # linked to John Doe's schedule at the first location


def _day(days_ahead: int) -> date_pb2.Date:
    d = date.today() + timedelta(days=days_ahead)
    while d.weekday() >= 5:  # weekdays: inside the demo studio's hours
        d += timedelta(days=1)
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def _text(d: date_pb2.Date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'id="{re.escape(name)}-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|⚠", "", found.group(1)).strip() if found else ""


def _value(page: str, name: str) -> str:
    found = re.search(rf'id="{re.escape(name)}" name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


class Studio:
    def __init__(self, stack: ConsoleStack) -> None:
        self.s = stack.services.scheduling

    async def load(self) -> None:
        locations = await self.s.ListLocations(pb.ListLocationsRequest(page_size=10), metadata=DEMO_META)
        self.location = locations.locations[0]  # where the demo links John's account to his schedule
        schedules = await self.s.ListSchedules(
            pb.ListSchedulesRequest(page_size=100, location=self.location.name), metadata=DEMO_META
        )
        staff = [x for x in schedules.schedules if x.kind == pb.SCHEDULE_KIND_STAFF]
        self.john = next(x for x in staff if x.display_name.startswith("John Doe"))
        self.others = [x for x in staff if x.name != self.john.name]
        self.room = next(x for x in schedules.schedules if x.kind == pb.SCHEDULE_KIND_RESOURCE)
        types = await self.s.ListSessionTypes(pb.ListSessionTypesRequest(page_size=100), metadata=DEMO_META)
        self.session_type = types.session_types[0]
        known = await self.s.ListKnownClients(pb.ListKnownClientsRequest(page_size=10), metadata=DEMO_META)
        self.client = known.known_clients[0].client

    async def book(self, when: date_pb2.Date, hour: int, photographer: pb.Schedule, **fields: object) -> pb.Session:
        session = pb.Session(
            client=self.client,
            session_type=self.session_type.name,
            location=self.location.name,
            session_date=when,
            start=pb.TimeOfDay(hours=hour),
            end=pb.TimeOfDay(hours=hour + 1),
            photographer=photographer.name,
            description="Edit test",
            **fields,  # type: ignore[arg-type]
        )
        return await self.s.CreateSession(pb.CreateSessionRequest(session=session), metadata=DEMO_META)

    async def get(self, name: str) -> pb.Session:
        return await self.s.GetSession(pb.GetSessionRequest(name=name), metadata=DEMO_META)


async def _studio(stack: ConsoleStack) -> Studio:
    studio = Studio(stack)
    await studio.load()
    return studio


async def _form(http: httpx.AsyncClient, session: pb.Session) -> dict[str, str]:
    """What the record's form posts as it stands (the fields this test changes; the rest kept)."""
    token = next(iter((await csrf(http)).values()))
    form = {
        "_csrf_token": token,
        "description": session.description,
        "session_type": session.session_type,
        "session_number": session.session_number,
        "status": session.status,
        "file_number": session.file_number,
        "status_due_date": _text(session.status_due_date),
        "reminder_minutes": str(session.reminder_minutes) if session.HasField("reminder_minutes") else "",
        "notes": session.notes,
    }
    if not session.use_advanced_calendar:
        form |= {
            "session_date": _text(session.session_date),
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
            f"blocks-{i}-date": _text(b.date),
            f"blocks-{i}-start": f"{b.start.hours:02d}:{b.start.minutes:02d}",
            f"blocks-{i}-end": f"{b.end.hours:02d}:{b.end.minutes:02d}",
            f"blocks-{i}-schedules": list(b.schedules),
        }
    return out


async def test_the_front_desk_moves_a_session_and_changes_its_people(stack: ConsoleStack) -> None:
    studio = await _studio(stack)
    when = _day(40)
    session = await studio.book(when, 9, studio.john)
    busy = await studio.book(when, 14, studio.others[0])  # the other photographer, 14:00-15:00
    later = _day(41)
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{session.name}")
        assert _value(page.text, "session_date") == _text(when)
        assert _value(page.text, "start") == "09:00"

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
        assert f"{studio.others[0].display_name} is busy then" in _field_error(refused.text, "photographer")
        assert "nothing was changed" in refused.text
        assert _value(refused.text, "start") == "14:30"  # what was typed is kept
        assert "Book anyway" in refused.text
        kept = await studio.get(session.name)
        assert (kept.start.hours, kept.photographer, kept.camera_room) == (9, studio.john.name, "")
        assert busy.name  # still there, untouched

        # the next day at 11:15-12:45 with an assistant and the room: one save
        form |= {
            "session_date": _text(later),
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
        form |= {"session_date": _text(when), "start": "14:00", "end": "15:00", "book_anyway": "on"}
        anyway = await http.post(f"/{session.name}", data=form)
        assert anyway.status_code == 302
        assert (await studio.get(session.name)).start.hours == 14


async def test_bad_times_are_refused_beside_their_fields(stack: ConsoleStack) -> None:
    studio = await _studio(stack)
    session = await studio.book(_day(42), 9, studio.john)
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        form = await _form(http, session) | {"session_date": "2026-02-30", "start": "25:00", "end": ""}
        refused = await http.post(f"/{session.name}", data=form)
        assert refused.status_code == 422
        assert _field_error(refused.text, "session_date") == "A date, YYYY-MM-DD"
        assert _field_error(refused.text, "start") == "A time, HH:MM"
        assert _value(refused.text, "session_date") == "2026-02-30"
        form |= {"session_date": _text(session.session_date), "start": "10:00", "end": "09:30"}
        backwards = await http.post(f"/{session.name}", data=form)
        assert backwards.status_code == 422
        assert "after the start" in _field_error(backwards.text, "end")
        form |= {"end": "10:30", "photographer": "schedules/not-a-schedule"}
        unknown = await http.post(f"/{session.name}", data=form)
        assert unknown.status_code == 422
        assert _field_error(unknown.text, "photographer")
    kept = await studio.get(session.name)
    assert (kept.start.hours, kept.end.hours, kept.photographer) == (9, 10, studio.john.name)


async def test_an_advanced_sessions_blocks_are_added_changed_and_removed(stack: ConsoleStack) -> None:
    studio = await _studio(stack)
    first, second = _day(45), _day(46)
    wedding = await studio.s.CreateSession(
        pb.CreateSessionRequest(
            session=pb.Session(
                client=studio.client,
                session_type=studio.session_type.name,
                location=studio.location.name,
                description="Wedding",
                use_advanced_calendar=True,
                time_blocks=[
                    pb.TimeBlock(
                        date=first,
                        start=pb.TimeOfDay(hours=9),
                        end=pb.TimeOfDay(hours=11),
                        schedules=[studio.john.name],
                    ),
                    pb.TimeBlock(
                        date=second,
                        start=pb.TimeOfDay(hours=13),
                        end=pb.TimeOfDay(hours=14),
                        schedules=[studio.room.name],
                    ),
                ],
            )
        ),
        metadata=DEMO_META,
    )
    busy = await studio.book(second, 15, studio.others[0])
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{wedding.name}")
        assert _value(page.text, "blocks-1-start") == "13:00"
        assert 'id="blocks-2-date"' in page.text  # the row to add a block

        # the second block onto the busy photographer: refused beside that block, nothing changed
        form = await _form(http, wedding) | _blocks(wedding)
        form |= {"blocks-1-start": "15:00", "blocks-1-end": "16:00", "blocks-1-schedules": [studio.others[0].name]}
        refused = await http.post(f"/{wedding.name}", data=form)
        assert refused.status_code == 409
        assert "is busy then" in _field_error(refused.text, "blocks-1-schedules")
        kept = await studio.get(wedding.name)
        assert [(b.date, b.start.hours) for b in kept.time_blocks] == [(first, 9), (second, 13)]

        # a block with no schedule and no start: both beside the row
        form |= {"blocks-1-start": "", "blocks-1-schedules": []}
        invalid = await http.post(f"/{wedding.name}", data=form)
        assert invalid.status_code == 422
        assert _field_error(invalid.text, "blocks-1-start") == "Enter the time"
        assert _field_error(invalid.text, "blocks-1-schedules")

        # the first changed, the second removed, a third added
        form = await _form(http, wedding) | _blocks(wedding)
        form |= {
            "blocks-0-start": "08:30",
            "blocks-1-remove": "on",
            "blocks-2-date": _text(second),
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
    studio = await _studio(stack)
    own = await studio.book(_day(48), 9, studio.john)
    theirs = await studio.book(_day(48), 9, studio.others[0])
    async with stack.console.client(timeout=60) as http:
        assert (await log_in(http, PHOTOGRAPHER, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{own.name}")
        assert "you may change its status" in page.text
        assert re.search(r'name="confirmed"[^>]*>', page.text) and "disabled" not in re.search(
            r'name="confirmed"[^>]*>', page.text
        ).group(0)  # type: ignore[union-attr]
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
