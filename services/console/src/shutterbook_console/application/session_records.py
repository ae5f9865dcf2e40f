"""The session record (page 02) and the plain "New session" form (until the Scheduling Wizard):
what they offer (types, statuses, schedules, clients), booking through CreateSession, and
saving through UpdateSession with an update_mask of the fields that changed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from google.protobuf import json_format

from shutterbook.common.v1 import audit_pb2, date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.session_edits import (
    WhenAndWho,
    busy_messages,
    form_field,
    refuse_unless_editable,
    when_and_who,
)
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound
from shutterbook_kit.identity import Caller

PAGE = 1000
FLAGS = ("confirmed", "no_show", "redo")


@dataclass
class Choices:
    session_types: list[pb.SessionType]
    statuses: list[pb.SessionStatus]
    staff: list[pb.Schedule]
    rooms: list[pb.Schedule]
    clients: list[pb.KnownClient] = field(default_factory=list)


async def choices(up: Upstreams, caller: Caller, location: str, *, with_clients: bool) -> Choices:
    s = up.scheduling
    types, statuses, schedules = await asyncio.gather(
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=PAGE), caller),
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=PAGE), caller),
        up.call(s.ListSchedules, pb.ListSchedulesRequest(page_size=PAGE, location=location), caller),
    )
    clients: list[pb.KnownClient] = []
    if with_clients:
        known = await up.call(s.ListKnownClients, pb.ListKnownClientsRequest(page_size=PAGE), caller)
        clients = sorted((k for k in known.known_clients if not k.deleted), key=lambda k: k.display_name.lower())
    by_name = sorted(schedules.schedules, key=lambda x: x.display_name)
    return Choices(
        list(types.session_types),
        list(statuses.session_statuses),
        [x for x in by_name if x.kind == pb.SCHEDULE_KIND_STAFF],
        [x for x in by_name if x.kind != pb.SCHEDULE_KIND_STAFF],
        clients,
    )


def pb_date(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _time(text: str, name: str, violations: list[FieldViolation]) -> pb.TimeOfDay | None:
    try:
        parsed = datetime.strptime(text, "%H:%M")
    except ValueError:
        violations.append(FieldViolation(name, "a time, HH:MM"))
        return None
    return pb.TimeOfDay(hours=parsed.hour, minutes=parsed.minute)


def new_session(form: dict[str, str], location: str) -> pb.Session:
    """The session the form describes; bad dates and times are field errors here, the rest
    is scheduling's to judge (its field violations come back named)."""
    violations: list[FieldViolation] = []
    if not form.get("client"):
        violations.append(FieldViolation("client", "choose the client"))
    try:
        day = date.fromisoformat(form.get("session_date", ""))
    except ValueError:
        violations.append(FieldViolation("session_date", "a date, YYYY-MM-DD"))
        day = None
    start = _time(form.get("start", ""), "start", violations)
    end = _time(form.get("end", ""), "end", violations) if form.get("end") else None
    if violations:
        raise InvalidArgument("the session is not valid", violations=violations)
    session = pb.Session(
        client=form["client"],
        description=form.get("description", "").strip(),
        session_type=form.get("session_type", ""),
        location=location,
        status=form.get("status", ""),
        photographer=form.get("photographer", ""),
        assistant=form.get("assistant", ""),
        camera_room=form.get("camera_room", ""),
        confirmed=form.get("confirmed") == "on",
    )
    if day is not None:
        session.session_date.CopyFrom(pb_date(day))
    if start is not None:
        session.start.CopyFrom(start)
    if end is not None:
        session.end.CopyFrom(end)
    return session


async def book(up: Upstreams, caller: Caller, session: pb.Session, *, book_anyway: bool) -> pb.Session:
    if not caller.may_see_location(session.location.removeprefix("locations/")):
        raise InvalidArgument(
            "that is not a location you work at",
            violations=[FieldViolation("location", "is not one of your locations")],
        )
    request = pb.CreateSessionRequest(session=session, allow_conflicts=book_anyway)
    return await up.call(up.scheduling.CreateSession, request, caller)


HISTORY = 20  # the newest entries a session record shows

# How the history names a change (scheduling's audit actions).
ACTIONS = {
    "booked": "Booked",
    "updated": "Changed",
    "rescheduled": "Moved",
    "held": "Put on hold",
    "released": "Taken off hold",
    "cancelled": "Cancelled",
    "cancelled_online": "Cancelled online",
    "rescheduled_online": "Moved online",
}
UNSHOWN = frozenset({"create_time", "booked_on", "name"})  # said by the entry itself


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    what: str
    changes: list[Change]


# Fields a change records in parts, shown whole: a date, a time of day.
PARTS = {
    frozenset({"year", "month", "day"}): "{year:04d}-{month:02d}-{day:02d}",
    frozenset({"hours", "minutes"}): "{hours:02d}:{minutes:02d}",
}


def _shown(value: object, names: Mapping[str, str]) -> str:
    """A recorded value for people: yes/no, whole numbers, a resource by its display name."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):  # participants, a block's schedules
        return ", ".join(_shown(v, names) for v in value)
    return json.dumps(value)


def _label(path: str) -> str:
    return path.replace(".", " ").replace("_", " ").capitalize()


def _changes(entry: audit_pb2.AuditEntry, names: Mapping[str, str]) -> list[Change]:
    sides: dict[str, dict[str, object]] = {}
    for c in entry.changes:
        if c.field.split(".")[0] in UNSHOWN:
            continue
        for side in ("before", "after"):
            if c.HasField(side):
                sides.setdefault(c.field, {})[side] = json_format.MessageToDict(getattr(c, side))
    out: list[Change] = []
    grouped: dict[str, dict[str, dict[str, object]]] = {}
    for path, values in sides.items():
        head, _, part = path.rpartition(".")
        grouped.setdefault(head, {})[part] = values
    for head, parts in grouped.items():
        pattern = PARTS.get(frozenset(parts)) if head else None
        if pattern is None:
            for part, values in parts.items():
                path = f"{head}.{part}" if head else part
                out.append(
                    Change(_label(path), _shown(values.get("before"), names), _shown(values.get("after"), names))
                )
            continue
        whole = [_whole(pattern, {p: v.get(side) for p, v in parts.items()}) for side in ("before", "after")]
        out.append(Change(_label(head), whole[0], whole[1]))
    return sorted(out, key=lambda c: c.field)


def _whole(pattern: str, parts: Mapping[str, object]) -> str:
    """A date or time from its parts; when only some parts changed (the others are not
    recorded), the parts that did, by name."""
    if any(v is None for v in parts.values()):
        return " ".join(f"{k} {_shown(v, {})}" for k, v in sorted(parts.items()) if v is not None)
    return pattern.format(**{k: int(v) for k, v in parts.items()})  # type: ignore[call-overload]


def history_of(entries: Sequence[audit_pb2.AuditEntry], names: Mapping[str, str]) -> list[HistoryEntry]:
    """Scheduling's audit entries of a session as the record shows them: when, who (the staff
    member's name, else how the caller is named), what, and each field's before and after
    (`names`: display names of the statuses, types and schedules a value may name)."""
    out: list[HistoryEntry] = []
    for entry in entries:
        who = entry.caller_display_name or entry.caller
        what = ACTIONS.get(entry.action, entry.action.replace("_", " ").capitalize())
        out.append(HistoryEntry(entry.create_time.ToDatetime(tzinfo=UTC), who, what, _changes(entry, names)))
    return out


@dataclass(frozen=True)
class SessionRecord:
    session: pb.Session
    client: pb.KnownClient | None
    location: pb.Location
    choices: Choices
    history: list[HistoryEntry] = field(default_factory=list)
    names: Mapping[str, str] = field(default_factory=dict)  # display names of what the session names


async def visible_session(up: Upstreams, caller: Caller, name: str) -> pb.Session:
    """The session, or NOT_FOUND when it is at a location the staff member does not work at
    (as another company's would be). Scheduling refuses it the same way for the staff
    member's token; the console checks again, for every session it opens or changes, to answer
    with its own reason."""
    session = await up.call(up.scheduling.GetSession, pb.GetSessionRequest(name=name), caller)
    if not caller.may_see_location(session.location.removeprefix("locations/")):
        raise NotFound("no such session", reason="SESSION_NOT_FOUND")
    return session


async def load_record(up: Upstreams, caller: Caller, name: str) -> SessionRecord:
    session = await visible_session(up, caller, name)
    known = session.client.replace("clients/", "knownClients/", 1)
    trail = audit_pb2.ListAuditEntriesRequest(parent=name, page_size=HISTORY)
    client, location, offered, entries = await asyncio.gather(
        up.call(up.scheduling.GetKnownClient, pb.GetKnownClientRequest(name=known), caller),
        up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=session.location), caller),
        choices(up, caller, session.location, with_clients=False),
        up.call(up.scheduling.ListAuditEntries, trail, caller),
    )
    names = {x.name: x.display_name for x in offered.session_types}
    names |= {x.name: x.display_name for x in offered.statuses}
    names |= {x.name: x.display_name for x in [*offered.staff, *offered.rooms]}
    names |= {m.name: m.display_name for m in client.family_members}
    return SessionRecord(session, client, location, offered, history_of(entries.audit_entries, names), names)


def changes(
    current: pb.Session, form: dict[str, str], participants: list[str], allowed: frozenset[str] | None = None
) -> tuple[pb.Session, list[str]]:
    """The new values and the update_mask: only what differs from `current` (and of that, only
    the `allowed` fields when given: a photographer's photo-day fields)."""
    if allowed is not None:
        every, every_path = changes(current, form, participants)
        kept = [m for m in every_path if m in allowed]
        return pb.Session(name=current.name, **{m: getattr(every, m) for m in kept}), kept
    changed = pb.Session(name=current.name)
    mask: list[str] = []
    for name in ("description", "session_type", "session_number", "status", "file_number"):
        value = form.get(name, "").strip()
        if value != getattr(current, name):
            setattr(changed, name, value)
            mask.append(name)
    notes = form.get("notes", current.notes).replace("\r\n", "\n").strip()  # a textarea sends CRLF
    if notes != current.notes:
        changed.notes = notes
        mask.append("notes")
    for flag in FLAGS:
        ticked = form.get(flag) == "on"
        if ticked != getattr(current, flag):
            setattr(changed, flag, ticked)
            mask.append(flag)
    due = form.get("status_due_date", "")
    current_due = current.status_due_date
    current_text = f"{current_due.year:04d}-{current_due.month:02d}-{current_due.day:02d}" if current_due.year else ""
    if due and due != current_text:
        try:
            changed.status_due_date.CopyFrom(pb_date(date.fromisoformat(due)))
        except ValueError:
            raise InvalidArgument(
                "the status due date is not valid", violations=[FieldViolation("status_due_date", "a date")]
            ) from None
        mask.append("status_due_date")
    reminder = form.get("reminder_minutes", "").strip()
    current_reminder = str(current.reminder_minutes) if current.HasField("reminder_minutes") else ""
    if reminder != current_reminder:
        if reminder:
            if not reminder.isdigit():
                raise InvalidArgument(
                    "the reminder is not valid", violations=[FieldViolation("reminder_minutes", "whole minutes")]
                )
            changed.reminder_minutes = int(reminder)
        mask.append("reminder_minutes")
    if sorted(participants) != sorted(current.participants):
        changed.participants.extend(participants)
        mask.append("participants")
    return changed, mask


async def save(
    up: Upstreams, caller: Caller, record: SessionRecord, form: dict[str, str], participants: list[str]
) -> pb.Session:
    """UpdateSession with the changed fields, times and people included (one change: a conflict
    refuses all of it, unless "book anyway" is ticked); then hold/release and cancel, which
    scheduling changes through their own RPCs. A photographer saves only the photo-day fields
    of their own sessions; anyone else's is refused here, before scheduling is asked."""
    s = up.scheduling
    current = record.session
    allowed = refuse_unless_editable(caller, current)
    changed, mask = changes(current, form, participants, allowed)
    moved = when_and_who(current, form) if allowed is None and not current.cancelled else WhenAndWho()
    changed.MergeFrom(moved.session)
    mask += moved.paths
    session = current
    if mask:
        request = pb.UpdateSessionRequest(session=changed, allow_conflicts=form.get("book_anyway") == "on")
        request.update_mask.paths.extend(mask)
        try:
            session = await up.call(s.UpdateSession, request, caller)
        except UpstreamError as exc:
            raise _on_the_form(exc, moved, current, record.names) from None
    if allowed is not None:
        return session
    on_hold = form.get("on_hold") == "on"
    if on_hold != current.on_hold and not current.cancelled:
        session = await up.call(s.HoldSession, pb.HoldSessionRequest(name=current.name, on_hold=on_hold), caller)
    if form.get("cancelled") == "on" and not current.cancelled:
        session = await up.call(s.CancelSession, pb.CancelSessionRequest(name=current.name), caller)
    return session


def _on_the_form(exc: UpstreamError, moved: WhenAndWho, current: pb.Session, names: Mapping[str, str]) -> UpstreamError:
    """Scheduling's refusal with its fields named as the form's, and each conflict as a
    message beside the busy person, room or block."""
    violations = [FieldViolation(form_field(v.field, moved.rows), v.description) for v in exc.violations]
    violations += busy_messages(exc.conflicts, moved, current, dict(names))
    return replace(exc, violations=violations)
