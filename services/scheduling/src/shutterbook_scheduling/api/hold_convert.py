"""The slot hold at the API edge (issue 13's shape, see api/company_convert.py): HoldSlot's
request to a checked `domain.holds.HoldRequest` (the client's details to a client version),
holds (domain/holds.py) to SlotHold messages; HoldSlot and ReleaseHold run once per their
`request_id` (`hold_once`, `release_once`: the idempotency record keeps the answer's message;
`run_online`, shared with the online bookings, answers the database's overlap refusals);
and the hold events (`scheduling.slot.held`, `scheduling.slot.released`), protobuf messages
too, built here and passed down to the use cases (`holding`, with the slot events)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import run_idempotent
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.known_client_convert import carried_version, without_details
from shutterbook_scheduling.api.proto_values import run_once, ts
from shutterbook_scheduling.api.slot_events import SLOT_EVENTS
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.application.holds import (
    Holding,
    HoldOnce,
    HoldWork,
    memoized,
    require_request_id,
    slot_refusal,
)
from shutterbook_scheduling.domain.holds import HoldRequest, HoldState, SlotHold
from shutterbook_scheduling.settings import HoldSettings

R = TypeVar("R", bound=Message)


def hold_request(request: opb.HoldSlotRequest) -> HoldRequest:
    """INVALID_ARGUMENT for a malformed request; the client's version when it carries the
    client's details (as the client held for)."""
    v = Violations()
    require_request_id(request.request_id, v)
    parse_reference(request.time_slot, "timeSlots", field="time_slot", violations=v)
    parse_reference(request.client, "clients", field="client", violations=v)
    details = request.client_details if request.HasField("client_details") else None
    version = carried_version(request.client, details, v)
    v.raise_if_any()
    return HoldRequest(request.time_slot, request.client, request.request_id, version)


def hold_state(state: HoldState) -> opb.SlotHoldState.ValueType:
    """The hold's state in the API: `SlotHoldState` has domain/holds.py's numbers."""
    return opb.SlotHoldState.ValueType(int(state))


def hold_message(hold: SlotHold) -> opb.SlotHold:
    booking = hold.booking_id
    msg = opb.SlotHold(
        name=f"slotHolds/{hold.hold_id}",
        time_slot=f"timeSlots/{hold.slot_id}",
        client=f"clients/{hold.client_id}",
        state=hold_state(hold.state),
        session=f"sessions/{booking}" if booking and not hold.appointment else "",
        appointment=f"appointments/{booking}" if booking and hold.appointment else "",
    )
    msg.expire_time.CopyFrom(ts(hold.expires_at))
    msg.create_time.CopyFrom(ts(hold.created_at))
    return msg


def announce_held(uow: UnitOfWork, company_id: str, hold: SlotHold) -> None:
    uow.emit(events.SLOT_HELD, company_id, opb.SlotHeldEvent(hold=hold_message(hold)))


def announce_released(uow: UnitOfWork, company_id: str, hold: SlotHold) -> None:
    uow.emit(events.SLOT_RELEASED, company_id, opb.SlotReleasedEvent(hold=hold_message(hold)))


def holding(settings: HoldSettings) -> Holding:
    """The use cases' `Holding`: the settings, the hold events built here, and the slot events
    of the bookings made through holds (api/slot_events.py)."""
    return Holding(settings, held=announce_held, released=announce_released, slots=SLOT_EVENTS)


async def run_online(
    db: Database,
    company_id: str,
    scope: str,
    request: Message,
    request_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
    slot_name: Callable[[], str],
    *,
    lock: str = "",
) -> R:
    """An online step (a hold, an online booking) run once per `request_id` (the kit's
    `run_idempotent`: a retry gets the first's answer; `lock`, an advisory lock it takes with
    its look-up), its reads memoized (`holds.memoized`), the database's overlap refusals
    answered as SLOT_NOT_OPEN for `slot_name()` (`holds.slot_refusal`)."""
    return await run_idempotent(
        db,
        company_id=company_id,
        scope=scope,
        request=request,
        request_id=request_id,
        response_type=response_type,
        work=memoized(work),
        source=SOURCE,
        refusal=slot_refusal(slot_name),
        lock=lock,
    )


def hold_once(db: Database, company_id: str, request: opb.HoldSlotRequest) -> HoldOnce[opb.SlotHold]:
    """HoldSlot's work run once per its request_id, the hold's message the answer. A retry is the
    same hold whatever version of the client it carries (the client may have changed between
    the attempts): the details take no part in the request's fingerprint."""
    same = without_details(request)

    async def run(work: HoldWork) -> opb.SlotHold:
        async def as_message(uow: UnitOfWork) -> opb.SlotHold:
            return hold_message(await work(uow))

        return await run_online(
            db, company_id, "HoldSlot", same, request.request_id, opb.SlotHold, as_message, lambda: request.time_slot
        )

    return run


def release_once(db: Database, company_id: str, request: opb.ReleaseHoldRequest) -> HoldOnce[opb.SlotHold]:
    """ReleaseHold's work run once per its request_id, the hold's message the answer."""

    async def run(work: HoldWork) -> opb.SlotHold:
        async def as_message(uow: UnitOfWork) -> opb.SlotHold:
            return hold_message(await work(uow))

        return await run_once(db, company_id, "ReleaseHold", request, opb.SlotHold, as_message)

    return run
