"""Listed open slots, each encoded once (the open-slot listing's encoder, passed down to the use
case as its `online_slots.Encode`: issue 19's fast path): a listed slot's `TimeSlot` is a pure
function of its stored columns and schedules (`open_slots.SlotValues`), so the bytes of equal values are
kept (per process, bounded) and a listing joins them into its response instead of building
hundreds of messages field by field. A slot changed in any column has other values, hence
other bytes; nothing is invalidated, and entries of old versions leave when the table is full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_scheduling.api.slot_messages import time_slot_message
from shutterbook_scheduling.application.online_slots import open_slot
from shutterbook_scheduling.storage.open_slots import SlotValues

SLOTS_FIELD_TAG = b"\x0a"  # ListOpenSlotsResponse.time_slots: field 1, length-delimited
TOKEN_FIELD_TAG = b"\x12"  # ListOpenSlotsResponse.next_page_token: field 2, length-delimited


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class EncodedSlots:
    def __init__(self, build: Callable[[SlotValues], opb.TimeSlot], max_entries: int = 100_000) -> None:
        self.build = build
        self.max_entries = max_entries
        self._framed: dict[SlotValues, bytes] = {}  # values -> the slot as a `time_slots` entry

    def response(self, found: Sequence[SlotValues], next_page_token: str = "") -> opb.ListOpenSlotsResponse:
        return opb.ListOpenSlotsResponse.FromString(self.encode(found, next_page_token))

    def encode(self, found: Sequence[SlotValues], next_page_token: str = "") -> bytes:
        """The ListOpenSlotsResponse of these slots and token, serialized (fields in number
        order, as the message's own serialization writes them)."""
        parts = []
        for values in found:
            framed = self._framed.get(values)
            if framed is None:
                encoded = self.build(values).SerializeToString()
                framed = SLOTS_FIELD_TAG + varint(len(encoded)) + encoded
                if len(self._framed) >= self.max_entries:
                    self._framed.clear()
                self._framed[values] = framed
            parts.append(framed)
        if next_page_token:
            token = next_page_token.encode()
            parts.append(TOKEN_FIELD_TAG + varint(len(token)) + token)
        return b"".join(parts)


def open_slot_message(values: SlotValues) -> opb.TimeSlot:
    """An open slot as listed (not removed; `booked_*` still names a cancelled booking)."""
    return time_slot_message(open_slot(values))


ENCODED = EncodedSlots(open_slot_message)  # this process's listed slots, encoded once per version
