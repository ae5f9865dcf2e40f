"""The open-slot read model: open slots per (company, kind, type, location, location-local day),
held in this gateway process's memory and pre-encoded, so an open-slot query answers without
asking scheduling (README, "Open slots: the read model").

- Filled from scheduling's ListOpenSlots: a day nobody asked for yet (or whose entry expired,
  `ttl_seconds`) is read, with the other missing days of the query, in one call; concurrent
  readers of the same days share that call.
- Kept current by scheduling's events (`shared_events.OPEN_SLOT_EVENTS`: slot held, released,
  booked, removed, restored; session and appointment booked, rescheduled, cancelled, updated,
  status changed), heard by every gateway process: each drops the company's entries for the
  days the event touches (a day either side: entries are location-local days), and the next
  query reads them again. A read that started before such an event is not kept (a generation
  per company and day), so an answer from before a change never outlives its event.
- Time slots created, changed or deleted drop their day (`scheduling.time_slot.*`; a slot
  moved to another day, the day an entry still lists it on too; a generated batch,
  `scheduling.time_slots.generated`, the days of its span); a location, schedule or type
  changed drops all of the company's days (`scheduling.*.changed`: rare, and a type's online
  settings or a location's zone touch every day). `ttl_seconds` is what is left when an event
  is missed (NATS away); slots that time made too soon or past are dropped at every answer
  (their start, minimum notice and maximum advance travel with them).
- Every slot read is remembered by its name (`known`, bounded), past its day's drop: a booking
  of a slot the model read takes its kind, type and location from here instead of asking
  scheduling (catalog.offer says what it relies on: those never change under a slot's id); a
  deleted slot is forgotten (its event).

Nothing is decided on the model: a hold and a booking are checked by scheduling against its
database, so a slot taken in the event's lag is refused there (409 with fresh slots).
Per process, in memory: each replica keeps its own (rebuilt lazily after a start), which needs
no shared store, and costs each replica one ListOpenSlots per day and change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from shutterbook.common.v1.events_pb2 import EventEnvelope
from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit import shared_events as se
from shutterbook_kit.broadcast import BroadcastListener

Day = tuple[str, str, str, str, date]  # company, kind, type id, location name, location-local day
SlotEvent = opb.SlotBookedEvent | opb.SlotRemovedEvent | opb.SlotRestoredEvent | opb.TimeSlotChangedEvent
HoldEvent = opb.SlotHeldEvent | opb.SlotReleasedEvent
SESSION_EVENTS = (
    sev.SessionBookedEvent,
    sev.SessionRescheduledEvent,
    sev.SessionCancelledEvent,
    sev.SessionUpdatedEvent,
    sev.SessionStatusChangedEvent,
)
RESCHEDULED_EVENTS = (sev.SessionRescheduledEvent, sev.AppointmentRescheduledEvent)
EntryEvent = (
    sev.SessionBookedEvent
    | sev.SessionRescheduledEvent
    | sev.SessionCancelledEvent
    | sev.SessionUpdatedEvent
    | sev.SessionStatusChangedEvent
    | sev.AppointmentBookedEvent
    | sev.AppointmentRescheduledEvent
    | sev.AppointmentCancelledEvent
    | sev.AppointmentUpdatedEvent
)
ENTRY_EVENT_TYPES = (
    se.SESSION_BOOKED,
    se.SESSION_RESCHEDULED,
    se.SESSION_CANCELLED,
    se.SESSION_UPDATED,
    se.SESSION_STATUS_CHANGED,
    se.APPOINTMENT_BOOKED,
    se.APPOINTMENT_RESCHEDULED,
    se.APPOINTMENT_CANCELLED,
    se.APPOINTMENT_UPDATED,
)
Fetch = Callable[[date, date], Awaitable[list[opb.TimeSlot]]]  # location-local first..last, inclusive


@dataclass(frozen=True)
class OpenSlot:
    """A slot as scheduling listed it, with its JSON in its location's zone (schemas.Slot), once."""

    message: opb.TimeSlot
    day: date  # in its location's zone
    start: float  # epoch seconds
    not_before: float  # the minimum notice: open only while now < start - notice
    not_after: float  # the maximum advance: open only while now >= start - advance (0: no limit)
    encoded: bytes

    def open_at(self, now: float) -> bool:
        return now < self.not_before and (self.not_after == 0.0 or now >= self.not_after)


@dataclass(frozen=True)
class DaySlots:
    """One day's open slots, soonest first, and when all of them are open by the clock alone
    (so an answer filters a day's slots one by one only near its edges of notice and advance)."""

    slots: list[OpenSlot]
    all_open_before: float  # the earliest minimum-notice edge
    all_open_from: float  # the latest maximum-advance edge (0: none)

    @classmethod
    def of(cls, slots: list[OpenSlot]) -> DaySlots:
        return cls(
            slots,
            min((s.not_before for s in slots), default=float("inf")),
            max((s.not_after for s in slots), default=0.0),
        )

    def open_at(self, now: float) -> list[OpenSlot]:
        if now < self.all_open_before and now >= self.all_open_from:
            return self.slots
        return [s for s in self.slots if s.open_at(now)]


def local_day(slot: opb.TimeSlot) -> date:
    return datetime.fromtimestamp(slot.start_time.seconds, UTC).astimezone(ZoneInfo(slot.time_zone)).date()


class OpenSlotModel:
    def __init__(
        self,
        encode: Callable[[opb.TimeSlot], bytes],
        ttl_seconds: float = 60.0,
        max_days: int = 100_000,
        max_known: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.encode = encode
        self.ttl_seconds = ttl_seconds
        self.max_days = max_days
        self.clock = clock
        self.wall_clock = wall_clock
        self._days: dict[Day, tuple[float, DaySlots]] = {}  # day -> (expires, its slots)
        self._by_company_day: dict[tuple[str, date], set[Day]] = {}
        self._generation: dict[tuple[str, date], int] = {}
        self._company_generation: dict[str, int] = {}
        # every slot seen (listed, or named by an event) -> its company and local day, so a
        # hold's event, which names only the slot, finds its day
        self._slot_days: dict[str, tuple[str, date]] = {}
        self._inflight: dict[tuple[str, str, str, str, date, date], asyncio.Task[list[opb.TimeSlot]]] = {}
        # (company, slot name) -> the stored days listing it (one, but for a moved slot whose
        # old day's entry its event has not dropped yet), kept in step by `_store` and `_drop`
        self._by_slot: dict[tuple[str, str], dict[Day, OpenSlot]] = {}
        # (company, slot name) -> the slot's last message read (`known`), kept when its day is
        # dropped (a booking's events drop the days it touches: the next booking of a slot the
        # model listed still finds it); the oldest forgotten first beyond `max_known`
        self._known: dict[tuple[str, str], opb.TimeSlot] = {}
        self.max_known = max_known
        self.reads = 0  # ListOpenSlots calls made (for tests and the bench)
        self.invalidations = 0

    # ------------------------------------------------------------------ reading

    async def open_slots(
        self, company: str, kind: str, type_id: str, location: str, first: date, last: date, fetch: Fetch
    ) -> list[tuple[date, list[OpenSlot]]]:
        """The open slots of the type at `location` on location-local days first..last, per day,
        soonest first, as of now (reading the days the model lacks through `fetch`). The lists
        are the model's own: not to be changed."""
        now = self.clock()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        keys = [(company, kind, type_id, location, d) for d in days]
        missing = [k for k in keys if (entry := self._days.get(k)) is None or entry[0] <= now]
        if missing:
            await self._fill(company, kind, type_id, location, missing[0][4], missing[-1][4], fetch)
        wall = self.wall_clock()
        out: list[tuple[date, list[OpenSlot]]] = []
        for key in keys:
            entry = self._days.get(key)
            if entry is None:  # dropped by an event during the read: read it now, not kept
                out.append((key[4], (await self._read_uncached(key[4], fetch)).open_at(wall)))
                continue
            out.append((key[4], entry[1].open_at(wall)))
        return out

    def known(self, company: str, slot_name: str) -> opb.TimeSlot | None:
        """What never changes under a slot's id (`timeSlots/{id}`) - its name, location and type
        (session or appointment) - for a slot this model read from scheduling, whether or not
        a day entry lists it now (None: never read here, deleted since, or forgotten). Nothing
        else is set: its times, state and settings are scheduling's to read. Not to be changed."""
        return self._known.get((company, slot_name))

    def days_listing(self, company: str, slot_name: str) -> list[date]:
        """The location-local days whose stored entries list the slot (none when none do)."""
        return [key[4] for key in self._by_slot.get((company, slot_name), ())]

    async def _read_uncached(self, day: date, fetch: Fetch) -> DaySlots:
        self.reads += 1
        found = [self._slot(m) for m in await fetch(day, day) if local_day(m) == day]
        return DaySlots.of(sorted(found, key=lambda s: (s.start, s.message.name)))

    async def _fill(
        self, company: str, kind: str, type_id: str, location: str, first: date, last: date, fetch: Fetch
    ) -> None:
        span = (company, kind, type_id, location, first, last)
        task = self._inflight.get(span)
        if task is None:
            task = asyncio.ensure_future(self._read_and_store(company, kind, type_id, location, first, last, fetch))
            self._inflight[span] = task
            task.add_done_callback(lambda _t: self._inflight.pop(span, None))
        await asyncio.shield(task)

    async def _read_and_store(
        self, company: str, kind: str, type_id: str, location: str, first: date, last: date, fetch: Fetch
    ) -> list[opb.TimeSlot]:
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        generations = {d: self._generation_of(company, d) for d in days}
        self.reads += 1
        messages = await fetch(first, last)
        by_day: dict[date, list[OpenSlot]] = {d: [] for d in days}
        for message in messages:
            day = self.note_slot(company, message)
            if day in by_day:
                by_day[day].append(self._slot(message))
        expires = self.clock() + self.ttl_seconds
        for day, slots in by_day.items():
            if self._generation_of(company, day) != generations[day]:
                continue  # an event touched this day while it was read: the answer may predate it
            slots.sort(key=lambda s: (s.start, s.message.name))
            self._store((company, kind, type_id, location, day), expires, DaySlots.of(slots))
        return messages

    def _generation_of(self, company: str, day: date) -> tuple[int, int]:
        return self._company_generation.get(company, 0), self._generation.get((company, day), 0)

    def note_slot(self, company: str, message: opb.TimeSlot) -> date:
        """Remember a slot's company and day (for its hold's events); returns the day."""
        day = local_day(message)
        if len(self._slot_days) >= 10 * self.max_days:
            self._slot_days.clear()  # bounded: a hold on a forgotten slot drops the company's days
        self._slot_days[message.name] = (company, day)
        return day

    def _slot(self, message: opb.TimeSlot) -> OpenSlot:
        start = float(message.start_time.seconds)
        advance = message.maximum_advance_days
        return OpenSlot(
            message=message,
            day=local_day(message),
            start=start,
            not_before=start - 60.0 * message.minimum_notice_minutes,
            not_after=start - 86_400.0 * advance if advance > 0 else 0.0,
            encoded=self.encode(message),
        )

    def _store(self, key: Day, expires: float, slots: DaySlots) -> None:
        if self.ttl_seconds <= 0:
            return
        if key not in self._days:
            while len(self._days) >= self.max_days:
                self._drop(next(iter(self._days)))
        else:
            self._unindex(key)
        self._days[key] = (expires, slots)
        self._by_company_day.setdefault((key[0], key[4]), set()).add(key)
        for slot in slots.slots:
            self._by_slot.setdefault((key[0], slot.message.name), {})[key] = slot
            self._remember(key[0], slot.message)

    def _remember(self, company: str, message: opb.TimeSlot) -> None:
        known = (company, message.name)
        facts = self._known.pop(known, None)  # to the end: the most recently read is forgotten last
        if facts is None:
            # a message of its own with what never changes under the slot's id: the slot as
            # read is part of its reply, which (upb) it would keep alive whole
            facts = opb.TimeSlot(
                name=message.name,
                location=message.location,
                session_type=message.session_type,
                appointment_type=message.appointment_type,
            )
        self._known[known] = facts
        while len(self._known) > self.max_known:
            del self._known[next(iter(self._known))]

    def forget(self, company: str, slot_name: str) -> None:
        """A slot deleted: no longer `known` (a booking of it asks scheduling, which says so)."""
        self._known.pop((company, slot_name), None)

    def _unindex(self, key: Day) -> None:
        """Take the slots of the day stored at `key` out of the slot index."""
        entry = self._days.get(key)
        if entry is None:
            return
        for slot in entry[1].slots:
            days = self._by_slot.get((key[0], slot.message.name))
            if days is not None:
                days.pop(key, None)
                if not days:
                    del self._by_slot[(key[0], slot.message.name)]

    def _drop(self, key: Day) -> None:
        self._unindex(key)
        self._days.pop(key, None)
        keys = self._by_company_day.get((key[0], key[4]))
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_company_day[(key[0], key[4])]

    # ------------------------------------------------------------------ events

    def invalidate(self, company: str, days: Iterable[date]) -> None:
        """Drop the company's entries of these location-local days (every type and location)."""
        self.invalidations += 1
        for day in days:
            self._generation[(company, day)] = self._generation.get((company, day), 0) + 1
            for key in list(self._by_company_day.get((company, day), ())):
                self._drop(key)

    def invalidate_times(self, company: str, *spans: tuple[int, int]) -> None:
        """Drop the company's days touched by these [start, end] epoch-second spans: their UTC
        days and one either side (any location's local day of those instants)."""
        days: set[date] = set()
        for start, end in spans:
            if not start and not end:
                continue
            first = datetime.fromtimestamp(start, UTC).date() - timedelta(days=1)
            last = datetime.fromtimestamp(max(start, end), UTC).date() + timedelta(days=1)
            days.update(first + timedelta(days=i) for i in range(min((last - first).days + 1, 400)))
        self.invalidate(company, days)

    def invalidate_slot(self, company: str, slot_name: str) -> None:
        """A hold's event names only its slot: drop its day (and a day either side), or every
        entry of the company when the slot was never seen here."""
        seen = self._slot_days.get(slot_name)
        if seen is not None and seen[0] == company:
            self.invalidate(company, [seen[1] + timedelta(days=d) for d in (-1, 0, 1)])
            return
        self.invalidate_company(company)

    def invalidate_company(self, company: str) -> None:
        """Drop every entry of the company."""
        self.invalidations += 1
        self._company_generation[company] = self._company_generation.get(company, 0) + 1
        for key in [k for k in self._days if k[0] == company]:
            self._drop(key)

    def clear(self) -> None:
        for company, day in list(self._by_company_day):
            self.invalidate(company, [day])


def listen(listener: BroadcastListener, model: OpenSlotModel) -> None:
    """Keep `model` current from scheduling's events, heard by this process."""

    def slot_event(envelope: EventEnvelope, event: SlotEvent) -> None:
        # the slot's day as the event has it, and any day an entry still lists it on: a slot
        # moved to another day (its update's event) leaves its old day's entry too
        company = envelope.company_id
        listing = model.days_listing(company, event.time_slot.name)
        model.invalidate(company, [model.note_slot(company, event.time_slot), *listing])

    def hold_event(envelope: EventEnvelope, event: HoldEvent) -> None:
        model.invalidate_slot(envelope.company_id, event.hold.time_slot)

    def entry_event(envelope: EventEnvelope, event: EntryEvent) -> None:
        entry = event.session if isinstance(event, SESSION_EVENTS) else event.appointment
        spans = [(entry.start_time.seconds, entry.end_time.seconds)]
        if isinstance(event, RESCHEDULED_EVENTS):
            spans.append((event.previous_start_time.seconds, event.previous_end_time.seconds))
        model.invalidate_times(envelope.company_id, *spans)

    def generated(envelope: EventEnvelope, event: opb.TimeSlotsGeneratedEvent) -> None:
        start, end = event.start_time.seconds, event.end_time.seconds
        if end - start > 366 * 86_400:  # beyond what invalidate_times walks day by day
            model.invalidate_company(envelope.company_id)
        else:
            model.invalidate_times(envelope.company_id, (start, end))

    def deleted(envelope: EventEnvelope, event: opb.TimeSlotChangedEvent) -> None:
        model.forget(envelope.company_id, event.time_slot.name)

    listener.on(se.TIME_SLOT_DELETED, deleted)
    for slot_type in (
        se.SLOT_BOOKED,
        se.SLOT_REMOVED,
        se.SLOT_RESTORED,
        se.TIME_SLOT_CREATED,
        se.TIME_SLOT_UPDATED,
        se.TIME_SLOT_DELETED,
    ):
        listener.on(slot_type, slot_event)
    for hold_type in (se.SLOT_HELD, se.SLOT_RELEASED):
        listener.on(hold_type, hold_event)
    for entry_type in ENTRY_EVENT_TYPES:
        listener.on(entry_type, entry_event)
    listener.on(se.TIME_SLOTS_GENERATED, generated)
    for configuration_type in se.CONFIGURATION_EVENTS:
        listener.on(configuration_type, lambda envelope, _event: model.invalidate_company(envelope.company_id))
