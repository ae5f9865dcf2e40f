"""Editing when and with whom a session is, on its record (page 02): a simple session's date,
start, end, photographer, assistant and camera room, an advanced session's time blocks (add,
change, remove), and who may change what (the kit's permission table: a photographer only
the photo-day fields of their own sessions; the front desk and up everything).

Scheduling changes the times and the people in the same UpdateSession, so a conflict on any of
them refuses the whole save and the session stays as it was; its conflicts come back here as
messages beside the field of the busy photographer, assistant, room or block."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.upstreams import ConflictItem
from shutterbook_kit.errors import FieldViolation, InvalidArgument, PermissionDenied
from shutterbook_kit.identity import Caller
from shutterbook_kit.permissions import Permission, grants

PHOTO_DAY_FIELDS = frozenset({"status", "confirmed", "no_show", "redo"})
PEOPLE = ("photographer", "assistant", "camera_room")
TIMES = ("session_date", "start", "end")
MAX_BLOCKS = 50  # an advanced session's blocks the form takes (one more row: a new block)


def may_book(caller: Caller) -> bool:
    return Permission.SESSIONS_BOOK in grants(caller)


def own_session(caller: Caller, session: pb.Session) -> bool:
    """The caller's schedule is the session's photographer or assistant (as scheduling checks)."""
    own = caller.staff_schedule_id.removeprefix("schedules/")
    return bool(own) and own in {x.removeprefix("schedules/") for x in (session.photographer, session.assistant)}


def editable(caller: Caller, session: pb.Session) -> frozenset[str] | None:
    """What the caller may change on this session: None for everything, the photo-day fields of
    their own session for a photographer, nothing on anyone else's."""
    if may_book(caller):
        return None
    if Permission.SESSIONS_PHOTO_DAY in grants(caller) and own_session(caller, session):
        return PHOTO_DAY_FIELDS
    return frozenset()


def refuse_unless_editable(caller: Caller, session: pb.Session) -> frozenset[str] | None:
    allowed = editable(caller, session)
    if allowed is not None and not allowed:
        raise PermissionDenied(
            "only the session's own photographer or assistant, or the front desk, may change it",
            metadata={"permission": Permission.SESSIONS_BOOK.value},
        )
    return allowed


def date_text(value: date_pb2.Date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year else ""


def time_text(value: pb.TimeOfDay) -> str:
    return f"{value.hours:02d}:{value.minutes:02d}"


def _day(text: str, name: str, v: list[FieldViolation], *, required: bool = True) -> date_pb2.Date | None:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        if required or text.strip():
            v.append(FieldViolation(name, "a date, YYYY-MM-DD" if text.strip() else "enter the date"))
        return None
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _clock(text: str, name: str, v: list[FieldViolation], *, required: bool) -> pb.TimeOfDay | None:
    if not text.strip():
        if required:
            v.append(FieldViolation(name, "enter the time"))
        return None
    try:
        parsed = datetime.strptime(text.strip(), "%H:%M")
    except ValueError:
        v.append(FieldViolation(name, "a time, HH:MM"))
        return None
    return pb.TimeOfDay(hours=parsed.hour, minutes=parsed.minute)


def _after(start: pb.TimeOfDay | None, end: pb.TimeOfDay | None, name: str, v: list[FieldViolation]) -> None:
    if start is not None and end is not None and (end.hours, end.minutes) <= (start.hours, start.minutes):
        v.append(FieldViolation(name, "must be after the start (the same day)"))


@dataclass
class WhenAndWho:
    """What the form changes of the session's times and people: values, mask paths, and for
    blocks which form row each new block came from (to put an error beside its row)."""

    session: pb.Session = field(default_factory=pb.Session)
    paths: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def simple_changes(current: pb.Session, form: dict[str, str], v: list[FieldViolation]) -> WhenAndWho:
    out = WhenAndWho()
    texts = {name: form.get(name, "").strip() for name in TIMES}
    before = {
        "session_date": date_text(current.session_date),
        "start": time_text(current.start),
        "end": time_text(current.end) if current.HasField("end") else "",
    }
    if any(texts[name] != before[name] for name in TIMES):
        day = _day(texts["session_date"], "session_date", v)
        start = _clock(texts["start"], "start", v, required=True)
        end = _clock(texts["end"], "end", v, required=False)
        _after(start, end, "end", v)
        if day is not None and start is not None:
            out.session.session_date.CopyFrom(day)
            out.session.start.CopyFrom(start)
            if end is not None:
                out.session.end.CopyFrom(end)
            out.paths.extend(TIMES)
    for name in PEOPLE:
        value = form.get(name, "").strip()
        if value != getattr(current, name):
            setattr(out.session, name, value)
            out.paths.append(name)
    return out


def _block_key(b: pb.TimeBlock) -> tuple[str, str, str, tuple[str, ...], str]:
    return (date_text(b.date), time_text(b.start), time_text(b.end), tuple(sorted(b.schedules)), b.location)


def block_changes(current: pb.Session, form: dict[str, str], v: list[FieldViolation]) -> WhenAndWho:
    """The blocks the form keeps (a row ticked "remove" goes), changes, and adds (the last,
    empty row, when its date or start is filled)."""
    out = WhenAndWho()
    existing = list(current.time_blocks)
    for row in range(min(len(existing), MAX_BLOCKS) + 1):
        p = f"blocks-{row}-"
        adding = row == len(existing)
        if adding and not (form.get(p + "date", "").strip() or form.get(p + "start", "").strip()):
            continue
        if not adding and form.get(p + "remove") == "on":
            continue
        day = _day(form.get(p + "date", ""), p + "date", v)
        start = _clock(form.get(p + "start", ""), p + "start", v, required=True)
        end = _clock(form.get(p + "end", ""), p + "end", v, required=False)
        _after(start, end, p + "end", v)
        schedules = [s for s in form.get(p + "schedules", "").split(",") if s]
        if not schedules:
            v.append(FieldViolation(p + "schedules", "choose at least one schedule for the block"))
        if day is None or start is None:
            continue
        block = pb.TimeBlock(date=day, start=start, schedules=schedules)
        if end is not None:
            block.end.CopyFrom(end)
        if not adding:
            block.location = existing[row].location
        out.session.time_blocks.append(block)
        out.rows.append(row)
    if not v and not out.session.time_blocks:
        v.append(FieldViolation("blocks", "keep at least one time block (or cancel the session)"))
    if [_block_key(b) for b in out.session.time_blocks] != [_block_key(b) for b in existing]:
        out.paths.append("time_blocks")
    return out


def when_and_who(current: pb.Session, form: dict[str, str]) -> WhenAndWho:
    """The times and people the form changes; every bad field at once as InvalidArgument."""
    v: list[FieldViolation] = []
    out = block_changes(current, form, v) if current.use_advanced_calendar else simple_changes(current, form, v)
    if v:
        raise InvalidArgument("the session's times are not valid", violations=v)
    return out


_BLOCK_PATH = re.compile(r"^session\.time_blocks\[(\d+)\]\.(\w+)")
_OCCUPIED = re.compile(r"^(schedules/\S+) is occupied (\S+) to (\S+)$")


def form_field(path: str, rows: list[int]) -> str:
    """Scheduling's field path as the form's field (`session.time_blocks[1].end`: the end of the
    form row that block came from)."""
    found = _BLOCK_PATH.match(path)
    if found is None:
        return path
    index, part = int(found.group(1)), found.group(2)
    row = rows[index] if index < len(rows) else index
    return f"blocks-{row}-{'date' if part == 'date' else part}"


def _local(text: str, zone: ZoneInfo) -> str:
    moment = datetime.fromisoformat(text)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def busy_messages(
    conflicts: list[ConflictItem], change: WhenAndWho, current: pb.Session, names: dict[str, str]
) -> list[FieldViolation]:
    """Each conflict as a message beside the field whose schedule is busy: the photographer,
    assistant or room of a simple session, the block's schedules of an advanced one; the date
    when no field holds it (time off of a schedule the session keeps)."""
    zone = ZoneInfo(current.time_zone or "UTC")
    out: list[FieldViolation] = []
    seen: set[str] = set()
    for c in conflicts:
        found = _OCCUPIED.match(c.description)
        if found is None:
            continue
        schedule = found.group(1)
        try:
            start, end = _local(found.group(2), zone), _local(found.group(3), zone)
        except ValueError:
            continue
        text = f"{names.get(schedule, 'a schedule')} is busy then ({start} to {end[-5:]})"
        if current.use_advanced_calendar:
            blocks = change.session.time_blocks if change.paths else current.time_blocks
            rows = change.rows if change.paths else list(range(len(blocks)))
            fields = [f"blocks-{rows[i]}-schedules" for i, b in enumerate(blocks) if schedule in b.schedules]
        else:
            fields = [
                name
                for name in PEOPLE
                if (getattr(change.session, name) if name in change.paths else getattr(current, name)) == schedule
            ] or ["session_date"]
        for name in fields:
            if name not in seen:
                seen.add(name)
                out.append(FieldViolation(name, text))
    return out
