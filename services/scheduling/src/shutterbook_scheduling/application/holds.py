"""Hold and slot handling of online booking: how long holds last and how many a client may
have, holding and releasing a slot, the hold a booking books through, taking the slot, removing
the slots a booking conflicts with, and the refusals a concurrent winner causes.

Concurrency (DESIGN.md invariant: an online slot is never booked twice, and no schedule holds
two overlapping online bookings):
- holding, booking straight from a slot, moving a booking to a slot and editing a slot lock
  the slot's schedule rows first (PostgreSQL: FOR UPDATE, in id order; SQLite's BEGIN
  IMMEDIATE serializes every writer), then read the slot and take the open-slot decision,
  which sees other holds' blocks and the calendar: a concurrent one of them on a shared
  schedule waits, then sees what the first wrote (and concurrent inserts of overlapping
  blocks under an exclusion constraint cannot deadlock);
- holding writes hold blocks on the slot's schedules; PostgreSQL's exclusion constraint on
  `online_hold_blocks` refuses a second overlapping hold as well. A booking straight from a
  slot (or a booking moving to one) writes no hold blocks: its transaction ends with the
  booking's own calendar blocks, and the schedules stay locked until it does; the hold row it
  is recorded through is written once, already booked (`HoldRepository.book`). Booking
  through a hold takes no lock: the hold's blocks keep the others out until the booking's
  calendar blocks replace them, in the booking's transaction;
- the booking's calendar blocks are written by the one booking path (`entries`, conflicts
  not allowed), so the calendar exclusion constraint refuses overlapping bookings too;
- the slot is taken with a conditional UPDATE (no live booking holds it), so at most once.
Expired holds need no sweeper: every read ignores them (expires_at <= now), and every write
that holds or books straight from a slot deletes the expired hold blocks of its schedules
before it writes anything else (marking those holds expired and emitting
`scheduling.slot.released`): HoldSlot first (its own hold blocks must not meet them in the
exclusion constraint), a booking straight from a slot right after the open-slot decision,
whose statement finds them.

A client holds at most `HoldSettings.max_per_client` live holds (held, not
expired): HoldSlot locks the client's known-client row before counting them (PostgreSQL; a
plain count is racy under READ COMMITTED), SQLite's BEGIN IMMEDIATE serializes the count. A
client the hold itself makes known (its row inserted by this transaction, which a concurrent
holder of the same client waits for) holds nothing yet: no count.

A booking's id may be given by the caller (`session_id`, `appointment_id`, AIP-133), so that
it can be named, e.g. invoiced, before the booking is confirmed. It must not be the id of any
session or appointment (of any company: the ids are the tables' keys, and the two kinds share
the columns above); on PostgreSQL a transaction-scoped advisory lock on the id serializes two
bookings claiming it, SQLite's BEGIN IMMEDIATE already does (storage/booking_ids.py).

Holds' rows and blocks are read and written through storage/hold_repository.py, slots' through
storage/slot_repository.py, with the statements and locks described above, in this order.

HoldSlot and ReleaseHold take plain values (a HoldSlot request arrives as a checked
`domain.holds.HoldRequest`) and hand holds (`domain.holds.SlotHold`) to the API edge, which makes
their messages (api/hold_convert.py): the edge runs the work once per request id (`HoldOnce`,
the answer's message is what a retry gets; its `run_online`, with this module's `memoized`
reads and `slot_refusal`) and builds the hold events (`Holding.held`,
`Holding.released`, called in the hold's unit of work, also for holds found expired).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from shutterbook_kit.errors import (
    Aborted,
    FailedPrecondition,
    NotFound,
    Violations,
)
from shutterbook_kit.idempotency import Refusal, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.client_directory import ensure_version_new_in
from shutterbook_scheduling.application.entries import (
    buffers,
)
from shutterbook_scheduling.application.planning import known_client
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.application.slot_state import (
    SlotAnnounce,
    SlotEvents,
    decide_open,
    is_appointment_slot,
    load_slot_type,
    locked_slot,
    not_open_error,
    removed_ids,
    schedules_of,
    why_not_open,
)
from shutterbook_scheduling.domain.holds import HoldRequest, HoldState, SlotHold
from shutterbook_scheduling.domain.known_clients import ClientVersion, KnownClient
from shutterbook_scheduling.domain.online_slots import hold_is_live, too_many_holds
from shutterbook_scheduling.domain.rules import Interval
from shutterbook_scheduling.domain.setup import AppointmentType, BookingType, SessionType
from shutterbook_scheduling.settings import HoldSettings
from shutterbook_scheduling.storage.hold_repository import HoldRepository, hold_at
from shutterbook_scheduling.storage.known_client_repository import KnownClientRepository
from shutterbook_scheduling.storage.online_models import SlotHoldRow, TimeSlotRow
from shutterbook_scheduling.storage.slot_repository import SlotRepository
from shutterbook_scheduling.storage.slot_rows import slot_of

A = TypeVar("A")

# Emits a hold's event (`scheduling.slot.held` or `scheduling.slot.released`) for the hold as
# shown, in the unit of work given.
Announce = Callable[[UnitOfWork, str, SlotHold], None]
# Runs a hold's work (in a unit of work it opens) once per the request's request_id; the edge's
# answer (a retry gets the first's).
HoldWork = Callable[[UnitOfWork], Awaitable[SlotHold]]
HoldOnce = Callable[[HoldWork], Awaitable[A]]


@dataclass(frozen=True)
class Holding:
    """How holds are taken (`settings`: how long they last, how many a client may have) and
    announced (the API edge's event builders), and how the slots booked through them are
    (`slots`: booked, removed by the booking, restored when it moves)."""

    settings: HoldSettings
    held: Announce
    released: Announce
    slots: SlotEvents


class SlotTaken(FailedPrecondition):
    """A concurrent hold or booking won the slot (or a slot sharing a schedule)."""


def taken(name: str) -> SlotTaken:
    return SlotTaken(
        f"{name} is not open: another booking or hold took it (or a slot sharing its schedules)",
        reason="SLOT_NOT_OPEN",
        metadata={"slot": name},
    )


def is_hold_overlap(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "ex_online_hold_blocks_no_overlap" in text or "ex_calendar_blocks_no_overlap" in text or "23P01" in text


def memoized(work: Callable[[UnitOfWork], Awaitable[A]]) -> Callable[[UnitOfWork], Awaitable[A]]:
    """An online step's `work`, reading the types, locations and schedules once per its unit of
    work (`uow.memo`): it books, it does not change them."""

    async def run(uow: UnitOfWork) -> A:
        uow.memo = {}
        return await work(uow)

    return run


def slot_refusal(slot_name: Callable[[], str]) -> Refusal:
    """An overlapping hold or booking refused by the database is SLOT_NOT_OPEN; a deadlock
    between concurrent bookings is ABORTED (retry)."""

    async def refuse(exc: Exception) -> Exception | None:
        if isinstance(exc, IntegrityError):
            return taken(slot_name()) if is_hold_overlap(exc) else None
        if isinstance(exc, DBAPIError) and "deadlock" in str(exc.orig).lower():
            return Aborted("a concurrent booking collided with this one; retry", reason="CONCURRENT_BOOKING")
        return None

    return refuse


async def clean_expired(
    uow: UnitOfWork, company_id: str, schedule_ids: list[str], now: datetime, released: Announce
) -> None:
    """Delete the expired hold blocks of these schedules; their holds end as expired."""
    if not schedule_ids:
        return
    await end_expired(
        uow, company_id, await HoldRepository(uow).expired_hold_ids(company_id, schedule_ids, now), now, released
    )


async def end_expired(uow: UnitOfWork, company_id: str, hold_ids: set[str], now: datetime, released: Announce) -> None:
    """These holds' hold blocks (expired) deleted; those still held end as expired, announced
    released (`released`)."""
    for hold in await HoldRepository(uow).end_expired(hold_ids):
        hold.state = int(HoldState.EXPIRED)
        released(uow, company_id, hold_at(hold, now))


async def type_of(uow: UnitOfWork, company_id: str, slot: TimeSlotRow) -> SessionType | AppointmentType:
    """The slot's SessionType, or AppointmentType for a slot of an appointment type."""
    booking_type = await load_slot_type(uow, company_id, slot)
    if booking_type is None:
        raise FailedPrecondition(
            f"timeSlots/{slot.id} has no session or appointment type any more", reason="SLOT_NOT_OPEN"
        )
    return booking_type


async def take_hold(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    client_id: str,
    now: datetime,
    holding: Holding,
    *,
    locked: list[str],
) -> SlotHoldRow:
    """HoldSlot's hold: hold blocks first (on PostgreSQL the exclusion constraint refuses an
    overlapping hold's), then the open-slot decision; the hold lasts `holding.settings.duration`
    (the holds found expired are announced released). `locked`: the slot's schedules, locked
    by the caller before it read the slot (`locked_slot`)."""
    name = f"timeSlots/{slot.id}"
    await clean_expired(uow, company_id, locked, now, holding.released)
    booking_type = await type_of(uow, company_id, slot)
    expires = now + holding.settings.duration
    repo = HoldRepository(uow)
    hold = repo.new_hold(company_id, slot.id, client_id, int(HoldState.HELD), expires, now)
    occupied = Interval(slot.start_at, slot.end_at).widened(*buffers(booking_type))
    try:
        await repo.write_blocks(hold, locked, occupied, expires)
    except IntegrityError as exc:
        if is_hold_overlap(exc):
            raise taken(name) from None
        raise
    reason = (await why_not_open(uow, company_id, [slot], now, own_hold=hold.id))[slot.id]
    if reason:
        raise not_open_error(name, reason)
    repo.add(hold)
    return hold


async def hold_to_book(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    client_id: str,
    now: datetime,
    holding: Holding,
    *,
    locked: list[str],
    own_entry: str = "",
) -> SlotHoldRow:
    """A booking straight from a slot (no hold made first), or a booking moving to it
    (`own_entry`, whose own blocks do not make the slot busy): the slot's schedules are locked
    by the caller before it read the slot (`locked`), so no hold blocks are written (see the
    module's docstring). The open-slot decision, whose statement also finds the holds with
    expired hold blocks on those schedules: they are cleaned (their holds announced released)
    before anything is written, as `clean_expired` would have first (expired blocks count for
    no decision; a refusal rolls both back). The hold row the booking is recorded through
    (`HoldRepository.booked_through`: booked online) is returned booked and not written yet:
    `HoldRepository.book` writes it once, with the booking's id."""
    decision = await decide_open(uow, company_id, [slot], now, own_entry=own_entry, expired_on=locked)
    await end_expired(uow, company_id, decision.expired_holds, now, holding.released)
    reason = decision.reasons[slot.id]
    if reason:
        raise not_open_error(f"timeSlots/{slot.id}", reason)
    expires = now + holding.settings.duration
    return HoldRepository.new_hold(company_id, slot.id, client_id, int(HoldState.BOOKED), expires, now)


async def require_known_client(uow: UnitOfWork, company_id: str, name: str, path: str) -> str:
    v = Violations()
    client_id = await known_client(uow, company_id, name, path, v)
    v.raise_if_any()
    assert client_id is not None
    return client_id


def require_request_id(request_id: str, v: Violations) -> None:
    if not request_id:
        v.add("request_id", "is required")
    validate_request_id(request_id, v)


async def booking_client(uow: UnitOfWork, company_id: str, name: str, details: ClientVersion | None, path: str) -> str:
    """The id of the client a booking is for: its version (`details`, when the request carries
    the client's details) applied first as EnsureKnownClient does, in this unit of work; else a
    client already known here (INVALID_ARGUMENT on `path` otherwise)."""
    if details is None:
        return await require_known_client(uow, company_id, name, path)
    known, _new = await ensure_version_new_in(uow, company_id, details)
    return _usable(known, name, path)


async def _locked_known_client(uow: UnitOfWork, company_id: str, name: str, path: str) -> str:
    """The known client's id, its row locked (PostgreSQL) so that concurrent holders of one
    client count their holds one after another; INVALID_ARGUMENT for a client not known here
    (or deleted, or merged away)."""
    client_id = name.removeprefix("clients/")
    return _usable(await KnownClientRepository(uow).locked(company_id, client_id), name, path)


def _usable(known: KnownClient | None, name: str, path: str) -> str:
    if known is None or not known.usable:
        v = Violations()
        v.add(path, f"{name} is not a known client of this company")
        v.raise_if_any()
    assert known is not None
    return known.client_id


async def _check_hold_limit(
    uow: UnitOfWork, company_id: str, client_id: str, now: datetime, limit: int, *, new_client: bool = False
) -> None:
    """Refuse a hold beyond the client's limit of live holds (the client's row locked first). A
    client `new_client` (made known by this unit of work) holds nothing yet: not counted."""
    live = 0 if new_client else await HoldRepository(uow).live_count(company_id, client_id, now)
    if too_many_holds(live, limit):
        raise FailedPrecondition(
            f"clients/{client_id} already holds {live} slots, the most a client may hold at once;"
            " book or release one first",
            reason="TOO_MANY_HOLDS",
            metadata={"client": f"clients/{client_id}", "limit": str(limit)},
        )


async def hold_slot(company_id: str, request: HoldRequest, holding: Holding, once: HoldOnce[A]) -> A:
    """Hold the slot for the client. With the client's details, the client is made known here
    first (as EnsureKnownClient does) in the same transaction: one commit for both."""
    details = request.details

    async def work(uow: UnitOfWork) -> SlotHold:
        now = utcnow()
        new_client = False
        if details is not None:
            known, new_client = await ensure_version_new_in(uow, company_id, details)
            client_id = _usable(known, request.client, "client")
        else:
            client_id = await _locked_known_client(uow, company_id, request.client, "client")
        limit = holding.settings.max_per_client
        await _check_hold_limit(uow, company_id, client_id, now, limit, new_client=new_client)
        # the slot's schedules locked first, then its row read once, as a writer before us left it
        slot, locked = await locked_slot(uow, company_id, request.time_slot, field="time_slot")
        row = await take_hold(uow, company_id, slot, client_id, now, holding, locked=locked)
        hold = hold_at(row, now)
        holding.held(uow, company_id, hold)
        return hold

    return await once(work)


async def load_hold(uow: UnitOfWork, company_id: str, name: str, field: str) -> SlotHoldRow:
    hold_id = parse_name(name, "slotHolds", field=field)
    # a hold is where its slot is: one at a location outside the caller's scope is not found
    row = await HoldRepository(uow).locked(company_id, hold_id, caller_scope())
    if row is None:
        raise NotFound(f"{name} not found")
    return row


async def release_hold(company_id: str, name: str, request_id: str, released: Announce, once: HoldOnce[A]) -> A:
    """Release the hold `name`; a hold no longer held is answered as it is."""
    v = Violations()
    validate_request_id(request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> SlotHold:
        now = utcnow()
        row = await load_hold(uow, company_id, name, "name")
        if not hold_is_live(row.state == HoldState.HELD, row.expires_at, now):
            slot = await SlotRepository(uow).get(row.slot_id)
            return hold_at(row, now, appointment=slot is not None and is_appointment_slot(slot))
        row.state = int(HoldState.RELEASED)
        await HoldRepository(uow).delete_blocks(row.id)
        hold = hold_at(row, now)
        released(uow, company_id, hold)
        return hold

    return await once(work)


async def take_slot(uow: UnitOfWork, slot: TimeSlotRow, session_id: str) -> None:
    """The conditional UPDATE that books a slot at most once."""
    if not await SlotRepository(uow).take(slot, session_id, utcnow()):
        raise taken(f"timeSlots/{slot.id}")


async def auto_remove(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    booking_type: BookingType,
    session_name: str,
    removed: SlotAnnounce,
) -> None:
    """ "Auto-Remove conflicting time slots upon booking": every slot (not booked) overlapping
    the booking on a shared schedule is removed, recorded against the booking (a session or an
    appointment, `session_name` is its resource name; slots of both kinds are removed), and
    announced by `removed` (the edge's `SlotEvents.removed`)."""
    if not booking_type.online.auto_remove_conflicting_slots:
        return
    session_id = session_name.split("/", 1)[1]
    schedule_ids = (await schedules_of(uow, [slot.id]))[slot.id]
    occupied = Interval(slot.start_at, slot.end_at).widened(*buffers(booking_type))
    slots = SlotRepository(uow)
    overlapping = await slots.free_overlapping(company_id, schedule_ids, occupied.start, occupied.end, slot.id)
    already = await removed_ids(uow, [r.id for r in overlapping])
    for row in overlapping:
        slots.add_removal(company_id, session_id, row.id)
        if row.id not in already:
            removed(uow, company_id, slot_of(row, removed=True), session_name)
