"""The slot hold, plain Python (issue 13): a client's hold on an online time slot as the use
cases hand it to the API edge (api/hold_convert.py makes SlotHold messages of it), the state a
hold shows at a given instant, and a HoldSlot request read into plain values.

A hold's state is stored as its number in the API's `SlotHoldState` (`HoldState` keeps the same
numbers). A held hold past its expiry shows as expired: holds expire by themselves, no sweeper
marks them (application/holds.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from shutterbook_scheduling.domain.known_clients import ClientVersion
from shutterbook_scheduling.domain.online_slots import hold_is_live


class HoldState(IntEnum):
    """A hold's state; the numbers are the API's `SlotHoldState` and the stored column's."""

    UNSPECIFIED = 0
    HELD = 1
    RELEASED = 2
    BOOKED = 3
    EXPIRED = 4

    @property
    def api_name(self) -> str:
        """The state's name in the API's `SlotHoldState`, as an error states it
        (`SLOT_HOLD_STATE_EXPIRED`); tests/test_hold_convert.py pins it to the contract."""
        return f"SLOT_HOLD_STATE_{self.name}"


def shown_state(state: int, expires_at: datetime, now: datetime) -> HoldState:
    """The state a hold shows at `now`: a held hold past its expiry is expired."""
    if state == HoldState.HELD and not hold_is_live(True, expires_at, now):
        return HoldState.EXPIRED
    return HoldState(state)


@dataclass(frozen=True)
class SlotHold:
    """A hold as shown at one instant (`state` already `shown_state`). `booking_id`: the session
    or appointment booked through it; `appointment`: the held slot sells an appointment type."""

    hold_id: str
    slot_id: str
    client_id: str
    state: HoldState
    expires_at: datetime
    created_at: datetime
    booking_id: str = ""
    appointment: bool = False


@dataclass(frozen=True)
class HoldRequest:
    """A checked HoldSlot request: the slot's and the client's names, the caller's request id,
    and the client's version when the request carries the client's details (its id already the
    client held for)."""

    time_slot: str
    client: str
    request_id: str
    details: ClientVersion | None = None
