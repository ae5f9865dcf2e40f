"""Pure rules of online time slots: when a slot is open. No I/O.

`why_not_open` is the one decision behind both "is it listed as open" (ListOpenSlots) and
"may it be held or booked" (HoldSlot, BookOnline, RescheduleOnlineBooking), so a listed slot
never fails to book for a reason the listing ignored (only for a change that happened since).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shutterbook_scheduling.domain.rules import Interval

NOT_PUBLISHED = "the slot is not published"
BOOKED = "the slot is booked"
REMOVED = "the slot was removed by a booking that overlaps it"
NOT_ONLINE = "the session type is not available for online booking"
TOO_SOON = "the slot starts within the minimum notice"
TOO_FAR = "the slot starts beyond the maximum advance"
PAST = "the slot has started"
BUSY = "a schedule of the slot is busy then"
HELD = "the slot is held for another booking"


@dataclass(frozen=True)
class SlotFacts:
    """What the decision needs to know about one slot."""

    start: datetime
    end: datetime
    schedule_ids: tuple[str, ...]
    published: bool
    booked: bool
    removed: bool
    available_online: bool
    buffers: tuple[int, int]  # the type's buffers (minutes before, after)
    minimum_notice_minutes: int
    maximum_advance_days: int

    @property
    def occupied(self) -> Interval:
        return Interval(self.start, self.end).widened(*self.buffers)


@dataclass
class BusyIndex:
    """Busy intervals per schedule, for "does anything overlap this interval" in O(log n)."""

    _starts: dict[str, list[datetime]] = field(default_factory=dict)
    _max_end: dict[str, list[datetime]] = field(default_factory=dict)

    @classmethod
    def of(cls, intervals: Iterable[tuple[str, datetime, datetime]]) -> BusyIndex:
        per: dict[str, list[tuple[datetime, datetime]]] = {}
        for schedule_id, start, end in intervals:
            per.setdefault(schedule_id, []).append((start, end))
        index = cls()
        for schedule_id, items in per.items():
            items.sort()
            index._starts[schedule_id] = [s for s, _ in items]
            running: list[datetime] = []
            for _, end in items:
                running.append(end if not running or end > running[-1] else running[-1])
            index._max_end[schedule_id] = running
        return index

    def overlaps(self, schedule_id: str, wanted: Interval) -> bool:
        starts = self._starts.get(schedule_id)
        if not starts:
            return False
        # intervals starting before wanted.end; any of them ending after wanted.start overlaps
        k = bisect_left(starts, wanted.end)
        return k > 0 and self._max_end[schedule_id][k - 1] > wanted.start


def why_not_open(slot: SlotFacts, now: datetime, busy: BusyIndex, held: BusyIndex) -> str:
    """ "" when the slot is open; otherwise the first reason it is not."""
    if not slot.published:
        return NOT_PUBLISHED
    if slot.booked:
        return BOOKED
    if slot.removed:
        return REMOVED
    if not slot.available_online:
        return NOT_ONLINE
    if slot.start <= now:
        return PAST
    if slot.start < now + timedelta(minutes=slot.minimum_notice_minutes):
        return TOO_SOON
    if slot.maximum_advance_days > 0 and slot.start > now + timedelta(days=slot.maximum_advance_days):
        return TOO_FAR
    occupied = slot.occupied
    if any(busy.overlaps(s, occupied) for s in slot.schedule_ids):
        return BUSY
    if any(held.overlaps(s, occupied) for s in slot.schedule_ids):
        return HELD
    return ""


def reach(spans: Iterable[tuple[datetime, datetime]], widest_buffers_minutes: int) -> Interval:
    """Where anything that can make these slots (start, end) busy lies: from the earliest start
    to the latest end, widened on both sides by the widest buffers (before + after) of their
    types. `spans` must not be empty."""
    items = list(spans)
    widest = timedelta(minutes=widest_buffers_minutes)
    return Interval(min(s for s, _ in items) - widest, max(e for _, e in items) + widest)


def hold_is_live(held: bool, expires_at: datetime, now: datetime) -> bool:
    """A hold still holds its slot: held, and not expired (an expired hold frees its slot by
    itself, no sweeper needed)."""
    return held and expires_at > now


def too_many_holds(live: int, limit: int) -> bool:
    """A client with `live` live holds may not take another one beyond `limit`."""
    return live >= limit
