"""Sessions and appointments (the entries every booking path books and changes; issue 13),
plain Python: every field the API's `Session` and `Appointment` carry, and the rules that
belong to an entry's own fields.

References (`clients/{id}`, `schedules/{id}`, ...) are kept as the caller gave them: planning
checks them against the studio's setup and names each bad one (application/planning.py).
Wall-clock input (`Day`, `Clock`) is kept as given too, possibly impossible (a 30 February, an
hour 25), so a request's every bad field is named at once; `None` is a field not given. The
API edge makes messages of these (api/entry_convert.py), storage makes rows of them
(storage/entry_records.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.domain.setup import BookingType, Location, SessionStatus

MAX_DESCRIPTION = 2000
MAX_FILE_NUMBER = 100
MAX_NOTES = 10_000


@dataclass(frozen=True)
class Day:
    """A calendar date as given (all zero: not given)."""

    year: int
    month: int
    day: int

    @staticmethod
    def of(value: date) -> Day:
        return Day(value.year, value.month, value.day)

    def unset(self) -> bool:
        return self.year == 0 and self.month == 0 and self.day == 0

    def read(self) -> date:
        """The date; ValueError when impossible (all zero included)."""
        return date(self.year, self.month, self.day)


@dataclass(frozen=True)
class Clock:
    """A wall-clock time of day as given (hours 0-23 and minutes 0-59 when valid)."""

    hours: int
    minutes: int

    @staticmethod
    def of(value: time) -> Clock:
        return Clock(value.hour, value.minute)

    @staticmethod
    def at_minute(minute: int) -> Clock:
        return Clock(minute // 60, minute % 60)

    def valid(self) -> bool:
        return 0 <= self.hours <= 23 and 0 <= self.minutes <= 59

    def minute(self) -> int:
        return self.hours * 60 + self.minutes


NO_DAY = Day(0, 0, 0)
MIDNIGHT = Clock(0, 0)


def read_day(value: Day | None, path: str, problems: dict[str, str], *, required: bool = True) -> date | None:
    """A given date as a date; a missing (all zero) or impossible one is a problem of `path`."""
    value = value or NO_DAY
    if value.unset():
        if required:
            problems[path] = "is required"
        return None
    try:
        return value.read()
    except ValueError:
        problems[path] = "is not a valid date"
        return None


def read_clock(value: Clock | None, path: str, problems: dict[str, str]) -> time | None:
    """A given time of day as a time (not given reads as midnight, as the API's zero value)."""
    value = value or MIDNIGHT
    if not value.valid():
        problems[path] = "must be hours 0-23 and minutes 0-59"
        return None
    return time(value.hours, value.minutes)


@dataclass
class TimeBlock:
    """One block of an advanced session: its date and times as given, its schedules and
    location (names), and the UTC instants planning gave it."""

    date: Day | None = None
    start: Clock | None = None
    end: Clock | None = None
    schedules: list[str] = field(default_factory=list)
    location: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None

    def given(self) -> tuple[object, ...]:
        """What a caller says of the block (not the instants computed from it). A block's date
        or time not given differs from one given all zero (a block keeps whether its start was
        given: a stored midnight block resent with `start` 00:00 is a change)."""
        return (self.date, self.start, self.end, tuple(self.schedules), self.location)


@dataclass
class Session:
    """A session, every field of the API's `Session` (names as the API gives them)."""

    name: str = ""
    client: str = ""
    description: str = ""
    notes: str = ""
    session_type: str = ""
    location: str = ""
    session_date: Day | None = None
    start: Clock | None = None
    end: Clock | None = None
    time_blocks: list[TimeBlock] = field(default_factory=list)
    start_time: datetime | None = None
    end_time: datetime | None = None
    photographer: str = ""
    assistant: str = ""
    camera_room: str = ""
    camera_room_text: str = ""
    session_number: str = ""
    status: str = ""
    status_due_date: Day | None = None
    booked_by: str = ""
    booked_on: datetime | None = None
    file_number: str = ""
    reminder_minutes: int | None = None
    reminder_emit_time: datetime | None = None
    confirmed: bool = False
    no_show: bool = False
    redo: bool = False
    on_hold: bool = False
    cancelled: bool = False
    participants: list[str] = field(default_factory=list)
    use_advanced_calendar: bool = False
    booked_online: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None
    time_zone: str = ""

    @property
    def session_id(self) -> str:
        return self.name.removeprefix("sessions/")

    def occupies(self) -> bool:
        """On-hold and cancelled sessions do not take their schedules' time."""
        return rules.occupies(on_hold=self.on_hold, cancelled=self.cancelled)

    def wall_clock(self) -> tuple[object, ...]:
        """What a caller says of the session's times: date, start and end, and each block's
        date, times, schedules and location (not the instants computed from them)."""
        times = (self.session_date or NO_DAY, self.start or MIDNIGHT, self.end or MIDNIGHT)
        return (*times, *(b.given() for b in self.time_blocks))

    def block_times(self) -> list[tuple[datetime | None, datetime | None]]:
        """When the session's blocks are (a simple session has one block)."""
        return [(b.start_time, b.end_time) for b in self.time_blocks]


@dataclass
class Appointment:
    """An appointment, every field of the API's `Appointment` (names as the API gives them)."""

    name: str = ""
    appointment_type: str = ""
    client: str = ""
    session: str = ""
    description: str = ""
    location: str = ""
    appointment_date: Day | None = None
    start: Clock | None = None
    end: Clock | None = None
    schedules: list[str] = field(default_factory=list)
    start_time: datetime | None = None
    end_time: datetime | None = None
    confirmed: bool = False
    cancelled: bool = False
    reminder_minutes: int | None = None
    booked_by: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    time_zone: str = ""

    @property
    def appointment_id(self) -> str:
        return self.name.removeprefix("appointments/")


def reminder_problem(minutes: int | None) -> str | None:
    if minutes is not None and not 0 <= minutes <= rules.MAX_REMINDER_MINUTES:
        return f"must be 0 to {rules.MAX_REMINDER_MINUTES} minutes"
    return None


def session_number_problem(number: str) -> str | None:
    """A session number given by hand: printable, no surrounding spaces, not too long."""
    if number and (
        len(number) > rules.MAX_SESSION_NUMBER_LENGTH or not number.isprintable() or number != number.strip()
    ):
        return "must be 1 to 40 printable characters without surrounding spaces"
    return None


def session_field_problems(session: Session) -> dict[str, str]:
    """Problems of a session's own fields (not its references), by field path."""
    problems: dict[str, str] = {}
    reminder = reminder_problem(session.reminder_minutes)
    if reminder:
        problems["reminder_minutes"] = reminder
    if len(session.description) > MAX_DESCRIPTION:
        problems["description"] = "must be at most 2000 characters"
    if len(session.file_number) > MAX_FILE_NUMBER:
        problems["file_number"] = "must be at most 100 characters"
    if len(session.notes) > MAX_NOTES:
        problems["notes"] = "must be at most 10,000 characters"
    number = session_number_problem(session.session_number)
    if number:
        problems["session_number"] = number
    if session.camera_room and session.camera_room_text:
        problems["camera_room_text"] = "give a camera room schedule or free text, not both"
    return problems


def appointment_field_problems(appointment: Appointment) -> dict[str, str]:
    """Problems of an appointment's own fields (not its references), by field path."""
    problems: dict[str, str] = {}
    reminder = reminder_problem(appointment.reminder_minutes)
    if reminder:
        problems["reminder_minutes"] = reminder
    if len(appointment.description) > MAX_DESCRIPTION:
        problems["description"] = "must be at most 2000 characters"
    return problems


def take_new_times(entry: Session | Appointment, day: Day | None, start: Clock | None, end: Clock | None) -> None:
    """A reschedule's wall-clock times on a simple session or an appointment: the date, the
    start, and the end (None: the type's duration decides)."""
    if isinstance(entry, Session):
        entry.session_date = day
    else:
        entry.appointment_date = day
    entry.start = start
    entry.end = end


@dataclass(frozen=True)
class PlannedBlock:
    """A block an entry occupies, as planned: its position, location and schedules (ids), its
    UTC instants and its local date and wall-clock times."""

    index: int
    location_id: str
    schedule_ids: list[str]
    start: datetime
    end: datetime
    local_date: date
    local_start: time
    local_end: time


def place_session(session: Session, time_zone: str, blocks: list[PlannedBlock]) -> None:
    """The output fields a session's plan decides: its zone, UTC start and end, and its blocks.
    A simple session gets its one block (its end defaulted when not given); an advanced one's
    blocks get their ends, locations and instants, and the session the first block's date and
    start and the last block's end."""
    session.time_zone = time_zone
    session.start_time = min(b.start for b in blocks)
    session.end_time = max(b.end for b in blocks)
    if not session.use_advanced_calendar:
        block = blocks[0]
        session.end = Clock.of(block.local_end)
        session.time_blocks = [
            TimeBlock(
                date=Day.of(block.local_date),
                start=Clock.of(block.local_start),
                end=Clock.of(block.local_end),
                schedules=[f"schedules/{s}" for s in block.schedule_ids],
                location=session.location,
                start_time=block.start,
                end_time=block.end,
            )
        ]
        return
    for block, out in zip(blocks, session.time_blocks, strict=True):
        out.end = Clock.of(block.local_end)
        out.location = f"locations/{block.location_id}"
        out.start_time, out.end_time = block.start, block.end
    session.session_date = Day.of(blocks[0].local_date)
    session.start = Clock.of(blocks[0].local_start)
    session.end = Clock.of(blocks[-1].local_end)


def place_appointment(appointment: Appointment, time_zone: str, block: PlannedBlock) -> None:
    """The output fields an appointment's plan decides: its zone, UTC start and end, its end
    (defaulted when not given)."""
    appointment.time_zone = time_zone
    appointment.start_time, appointment.end_time = block.start, block.end
    appointment.end = Clock.of(block.local_end)


SESSION_TIMES = frozenset({"session_date", "start", "end"})


def update_problems(advanced: bool, paths: list[str], updated: Session) -> list[tuple[str, str]]:
    """What an update (its mask's `paths`) may not do to a session (`advanced`: it was one):
    an advanced session's times and schedules change with its blocks, and it keeps one; a
    simple session has no blocks to change. (field, problem) pairs, in order."""
    problems: list[tuple[str, str]] = []
    named = set(paths)
    if advanced and {"photographer", "assistant", "camera_room", *SESSION_TIMES} & named:
        problems.append(("update_mask", "an advanced session's times and schedules change with its time_blocks"))
    if not advanced and "time_blocks" in named:
        problems.append(
            ("update_mask", "time_blocks change only on an advanced session (use session_date, start, end)")
        )
    if advanced and "time_blocks" in named and not updated.time_blocks:
        problems.append(("session.time_blocks", "an advanced session keeps at least one time block"))
    return problems


def due_date(session_day: date, due_in_days: int) -> Day:
    """A status's due date for a session on `session_day`."""
    return Day.of(rules.status_due_date(session_day, due_in_days))


def reminder_at(start: datetime, session: Session) -> datetime | None:
    """When the session's reminder is due (None without a reminder)."""
    return rules.reminder_instant(start, session.reminder_minutes)


# --- what the audit trail keeps of an entry -------------------------------------------------


def json_instant(value: datetime) -> str:
    """An instant as the audit trail writes it (RFC 3339 in UTC, `Z`, the fraction in 0, 3, 6
    or 9 digits, as protobuf's JSON writes a Timestamp)."""
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micros = utc.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def _day_record(value: Day) -> dict[str, int]:
    return {"year": value.year, "month": value.month, "day": value.day}


def _clock_record(value: Clock) -> dict[str, int]:
    return {"hours": value.hours, "minutes": value.minutes}


def _present(out: dict[str, Any], name: str, value: Day | Clock | datetime | None) -> None:
    if isinstance(value, Day):
        out[name] = _day_record(value)
    elif isinstance(value, Clock):
        out[name] = _clock_record(value)
    elif value is not None:
        out[name] = json_instant(value)


def _block_record(block: TimeBlock) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _present(out, "date", block.date)
    _present(out, "start", block.start)
    _present(out, "end", block.end)
    out["schedules"] = list(block.schedules)
    out["location"] = block.location
    _present(out, "start_time", block.start_time)
    _present(out, "end_time", block.end_time)
    return out


_SESSION_TEXT = (
    *("name", "client", "description", "session_type", "location", "photographer", "assistant", "camera_room"),
    *("camera_room_text", "session_number", "status", "booked_by", "file_number"),
)
_SESSION_FLAGS = ("confirmed", "no_show", "redo", "on_hold", "cancelled", "use_advanced_calendar", "booked_online")


def session_record(session: Session) -> dict[str, Any]:
    """The session as the audit trail keeps it (`uow.audit` before/after): the `Session`
    message's fields by their names, a date, time or instant only when given."""
    out: dict[str, Any] = {name: getattr(session, name) for name in (*_SESSION_TEXT, *_SESSION_FLAGS)}
    for name in ("session_date", "start", "end", "start_time", "end_time", "status_due_date", "booked_on"):
        _present(out, name, getattr(session, name))
    for name in ("reminder_emit_time", "create_time", "update_time"):
        _present(out, name, getattr(session, name))
    if session.reminder_minutes is not None:
        out["reminder_minutes"] = session.reminder_minutes
    out["participants"] = list(session.participants)
    out["time_blocks"] = [_block_record(b) for b in session.time_blocks]
    out["time_zone"] = session.time_zone
    out["notes"] = session.notes
    return out


def appointment_record(appointment: Appointment) -> dict[str, Any]:
    """The appointment as the audit trail keeps it (the `Appointment` message's fields)."""
    text = ("name", "appointment_type", "client", "session", "description", "location", "booked_by", "time_zone")
    out: dict[str, Any] = {name: getattr(appointment, name) for name in text}
    for name in ("appointment_date", "start", "end", "start_time", "end_time", "create_time", "update_time"):
        _present(out, name, getattr(appointment, name))
    out["schedules"] = list(appointment.schedules)
    out["confirmed"] = appointment.confirmed
    out["cancelled"] = appointment.cancelled
    if appointment.reminder_minutes is not None:
        out["reminder_minutes"] = appointment.reminder_minutes
    return out


# --- what an entry's events say ---------------------------------------------------------------

# ScheduleKind values (scheduling.proto): a staff member's schedule, a resource's (a camera room)
STAFF_SCHEDULE = 1
RESOURCE_SCHEDULE = 2


@dataclass(frozen=True)
class SessionShown:
    """A session as its events show it: the session, its type and its status (the studio's
    setup resources, as read); for the booked event, its location (the studio's name and
    address)."""

    session: Session
    type: BookingType | None
    status: SessionStatus | None
    location: Location | None = None


@dataclass(frozen=True)
class SessionEvent:
    """A session's event: `change` is booked, updated, status_changed, rescheduled, cancelled or
    reminder_due; a reschedule's times before the move (`previous`), a status change's previous
    status, an update's changed paths."""

    change: str
    shown: SessionShown
    previous: tuple[datetime | None, datetime | None] | None = None
    previous_status: str = ""
    changed_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppointmentEvent:
    """An appointment's event: `change` is booked, updated, rescheduled or cancelled; the
    appointment and its type; a reschedule's times before the move, an update's changed paths."""

    change: str
    appointment: Appointment
    type: BookingType | None
    previous: tuple[datetime | None, datetime | None] | None = None
    changed_paths: tuple[str, ...] = ()


EntryEvent = SessionEvent | AppointmentEvent
