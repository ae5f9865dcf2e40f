"""Picture days (issue 21), the rules: which children of a family are photographed, whether
self-booking is open, what a family may book into one slot, progress, and the close's
assignment of the remaining families. Pure: no I/O, no protobuf.

A slot belongs to one family at a time and holds at most `siblings_per_slot` of its
children; every child is booked at most once (the storage's conditional updates keep both
true under concurrent families; these functions say what is allowed).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shutterbook_scheduling.domain.bulk_jobs import BulkTemplate, JobRow
from shutterbook_scheduling.domain.client_selection import ClientSelector

MAX_SIBLINGS_PER_SLOT = 20
SELF = ""  # the member id of a child who is the client itself


def member_id(child: str) -> str:
    """The member id of a child's key (`clients/{id}/familyMembers/{id}`, or `clients/{id}`: SELF)."""
    return child.rsplit("/", 1)[-1] if "/familyMembers/" in child else SELF


class Window(enum.Enum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


class CloseAction(enum.Enum):
    LEAVE_UNBOOKED = "leave_unbooked"
    ASSIGN_REMAINING = "assign_remaining"


@dataclass(frozen=True)
class FamilyMember:
    member_id: str
    display_name: str
    is_child: bool


@dataclass(frozen=True)
class Child:
    member_id: str  # SELF for a client who is the child
    display_name: str


def member_children(client_display_name: str, members: Sequence[FamilyMember]) -> list[Child]:
    """The children photographed for a family: its members whose relationship is child, in the
    family's order; a client without any (a student booked as a client) is itself the one child."""
    children = [Child(m.member_id, m.display_name) for m in members if m.is_child]
    return children or [Child(SELF, client_display_name)]


def window(now: datetime, open_at: datetime, close_at: datetime) -> Window:
    if now < open_at:
        return Window.NOT_OPEN
    if now < close_at:
        return Window.OPEN
    return Window.CLOSED


def window_problem(now: datetime, open_at: datetime, close_at: datetime) -> str | None:
    """Why a family may not book, reschedule or cancel now; None while self-booking is open."""
    state = window(now, open_at, close_at)
    if state is Window.NOT_OPEN:
        return "self-booking has not opened yet"
    if state is Window.CLOSED:
        return "self-booking has closed; please call the studio"
    return None


def settings_problems(siblings_per_slot: int, open_at: datetime | None, close_at: datetime | None) -> dict[str, str]:
    """The picture day's own settings: field -> what is wrong."""
    found: dict[str, str] = {}
    if not 1 <= siblings_per_slot <= MAX_SIBLINGS_PER_SLOT:
        found["siblings_per_slot"] = f"must be 1 to {MAX_SIBLINGS_PER_SLOT}"
    if open_at is not None and close_at is not None and close_at <= open_at:
        found["close_time"] = "must be after open_time"
    return found


def booking_problems(
    requested: Sequence[str], members: Sequence[str], booked_elsewhere: Sequence[str], siblings_per_slot: int
) -> list[tuple[int | None, str]]:
    """What is wrong with booking `requested` children (keys) into one slot: (index of the child or
    None for the whole list, why). `members` are the family's member children, `booked_elsewhere`
    those already in another booking."""
    found: list[tuple[int | None, str]] = []
    if not requested:
        found.append((None, "name at least one child"))
    elif len(requested) > siblings_per_slot:
        found.append((None, f"at most {siblings_per_slot} children share a slot; book another slot for the others"))
    seen: set[str] = set()
    for i, child in enumerate(requested):
        if child not in members:
            found.append((i, f"{child} is not a child of this family on this picture day"))
        elif child in seen:
            found.append((i, f"{child} is listed twice"))
        elif child in booked_elsewhere:
            found.append((i, f"{child} is already booked; reschedule or cancel that booking"))
        seen.add(child)
    return found


@dataclass(frozen=True)
class Progress:
    families_booked: int
    families_total: int
    children_booked: int
    children_total: int

    @property
    def families_not_booked(self) -> int:
        return self.families_total - self.families_booked


def progress(children_booked_per_family: Sequence[tuple[int, int]]) -> Progress:
    """From (children booked, children in all) per family: a family is booked when all are."""
    return Progress(
        families_booked=sum(1 for booked, total in children_booked_per_family if booked >= total),
        families_total=len(children_booked_per_family),
        children_booked=sum(booked for booked, _ in children_booked_per_family),
        children_total=sum(total for _, total in children_booked_per_family),
    )


@dataclass(frozen=True)
class Assignment:
    client_id: str
    slot_id: str
    children: tuple[str, ...]


def assign_remaining(
    families: Sequence[tuple[str, Sequence[str]]], free_slots: Sequence[str], siblings_per_slot: int
) -> list[Assignment]:
    """The close's assignment: families (client id, unbooked children, in name order) take the
    free slots in time order, `siblings_per_slot` children a slot; what does not fit stays
    unbooked (a family is never half-assigned)."""
    out: list[Assignment] = []
    slots = list(free_slots)
    for client_id, children in families:
        groups = [tuple(children[i : i + siblings_per_slot]) for i in range(0, len(children), siblings_per_slot)]
        if not groups or len(groups) > len(slots):
            continue
        for group in groups:
            out.append(Assignment(client_id, slots.pop(0), group))
    return out


@dataclass(frozen=True)
class NewDay:
    """A day's own settings as a create request gives them (checked by the edge)."""

    siblings_per_slot: int
    open_at: datetime
    close_at: datetime
    close_action: CloseAction


@dataclass(frozen=True)
class NewFamily:
    """A family as the clients service lists it: its member children (`member_children`)."""

    client_id: str
    display_name: str
    children: tuple[Child, ...]


# --- the aggregate's objects (storage/picture_day_repository.py maps rows to them) ---


@dataclass(frozen=True)
class DayRecord:
    """What a day was created with beyond its own settings, as given: its title, the selector of
    its families, its session template (None: not given), its time-slot rows, and how many
    families of the selection were left out (not known to scheduling)."""

    display_name: str
    families: ClientSelector
    template: BulkTemplate | None
    rows: tuple[JobRow, ...]
    skipped_families: int


@dataclass(frozen=True)
class PictureDay:
    """A picture day as created: its settings, and what else it was created with (`record`)."""

    id: str
    company_id: str
    location_id: str
    time_zone: str
    siblings_per_slot: int
    open_at: datetime
    close_at: datetime
    close_action: CloseAction
    created_by: str
    created_at: datetime
    record: DayRecord

    @property
    def session_template(self) -> BulkTemplate:
        """The session template the day was created with (all empty when none was given)."""
        return self.record.template or BulkTemplate()

    def window(self, now: datetime) -> Window:
        return window(now, self.open_at, self.close_at)

    def window_problem(self, now: datetime) -> str | None:
        return window_problem(now, self.open_at, self.close_at)


@dataclass(frozen=True)
class DayState:
    """A day as read: its self-booking window now, and its live progress."""

    day: PictureDay
    window: Window
    progress: Progress
    slots_free: int
    slots_total: int


def day_state(
    day: PictureDay, now: datetime, children_per_family: Sequence[tuple[int, int]], slots: tuple[int, int]
) -> DayState:
    """The day at `now`, from (children booked, children in all) per family and (slots taken,
    slots in all)."""
    taken, total = slots
    return DayState(day, day.window(now), progress(children_per_family), total - taken, total)


@dataclass(frozen=True)
class FamilyChild:
    """A member child of a family (member_id SELF: the client is the child); `booking_id`
    names the child's one booking (None: not booked)."""

    client_id: str
    member_id: str
    display_name: str
    booking_id: str | None


@dataclass(frozen=True)
class Family:
    day_id: str
    client_id: str
    display_name: str
    email: str
    has_access_code: bool
    children: tuple[FamilyChild, ...]

    @property
    def booked(self) -> bool:
        """Every child is booked."""
        return all(c.booking_id for c in self.children)


@dataclass(frozen=True)
class Slot:
    id: str
    day_id: str
    start_at: datetime
    end_at: datetime
    booking_id: str | None  # the one booking that has it (None: free)

    @property
    def free(self) -> bool:
        return self.booking_id is None


@dataclass(frozen=True)
class Booking:
    """A family's booking of a slot; `children` are the children's keys. A cancelled booking
    has let go of its slot and children."""

    id: str
    day_id: str
    client_id: str
    slot_id: str
    children: tuple[str, ...]
    session_id: str
    cancelled: bool
    created_at: datetime


@dataclass(frozen=True)
class FamilyAccess:
    """What a family's access code shows: the day, the family, its live bookings (each with
    its slot), and the slots it may book or move to (the free ones and its own), in time order."""

    day: PictureDay
    window: Window
    family: Family
    bookings: tuple[tuple[Booking, Slot], ...]
    slots: tuple[Slot, ...]


def family_access(
    day: PictureDay, now: datetime, family: Family, bookings: Sequence[Booking], slots: Sequence[Slot]
) -> FamilyAccess:
    own = {b.slot_id for b in bookings}
    by_id = {s.id: s for s in slots}
    return FamilyAccess(
        day,
        day.window(now),
        family,
        tuple((b, by_id[b.slot_id]) for b in bookings),
        tuple(s for s in slots if s.free or s.id in own),
    )
