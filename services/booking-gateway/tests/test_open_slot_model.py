"""The open-slot read model's rules, with scheduling's answers and the clocks given."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, cast

from google.protobuf import timestamp_pb2

from shutterbook.common.v1.events_pb2 import EventEnvelope
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_gateway.api.schemas import encode_slot
from shutterbook_gateway.application.open_slot_model import OpenSlotModel, listen
from shutterbook_kit import shared_events as se
from shutterbook_kit.broadcast import BroadcastListener
from shutterbook_kit.events import EventType

DAY = date(2030, 3, 4)


def _slot(name: str, hour: int, notice_minutes: int = 0) -> opb.TimeSlot:
    start = int(datetime(2030, 3, 4, hour, tzinfo=UTC).timestamp())
    return opb.TimeSlot(
        name=f"timeSlots/{name}",
        location="locations/l1",
        time_zone="UTC",
        start_time=timestamp_pb2.Timestamp(seconds=start),
        end_time=timestamp_pb2.Timestamp(seconds=start + 3600),
        minimum_notice_minutes=notice_minutes,
    )


class Scheduling:
    """Scheduling's answers, one call at a time, each waiting for the test's go."""

    def __init__(self, slots: list[opb.TimeSlot]) -> None:
        self.slots = slots
        self.calls = 0
        self.go = asyncio.Event()
        self.go.set()

    async def fetch(self, first: date, last: date) -> list[opb.TimeSlot]:
        self.calls += 1
        answer = list(self.slots)
        await self.go.wait()
        return answer


def _model(wall: list[float]) -> OpenSlotModel:
    return OpenSlotModel(encode_slot, ttl_seconds=60, wall_clock=lambda: wall[0])


async def _names(model: OpenSlotModel, scheduling: Scheduling) -> list[str]:
    found = await model.open_slots("c", "session", "t", "locations/l1", DAY, DAY, scheduling.fetch)
    return [s.message.name for _day, slots in found for s in slots]


async def test_readers_share_one_read_and_answers_come_from_memory_until_an_event() -> None:
    wall = [0.0]
    model = _model(wall)
    scheduling = Scheduling([_slot("b", 10), _slot("a", 9)])
    scheduling.go.clear()
    first = asyncio.gather(*(_names(model, scheduling) for _ in range(5)))
    await asyncio.sleep(0)
    scheduling.go.set()
    assert await first == [["timeSlots/a", "timeSlots/b"]] * 5  # soonest first
    assert scheduling.calls == 1
    scheduling.slots = [_slot("a", 9)]
    assert await _names(model, scheduling) == ["timeSlots/a", "timeSlots/b"]  # from memory
    assert scheduling.calls == 1
    model.invalidate_slot("c", "timeSlots/b")  # b was held: its day is read again
    assert await _names(model, scheduling) == ["timeSlots/a"]
    assert scheduling.calls == 2
    model.invalidate("other company", [DAY])  # another company's change touches nothing here
    assert await _names(model, scheduling) == ["timeSlots/a"]
    assert scheduling.calls == 2


async def test_a_read_that_an_event_overtook_is_not_kept() -> None:
    model = _model([0.0])
    scheduling = Scheduling([_slot("a", 9)])
    scheduling.go.clear()
    reading = asyncio.ensure_future(_names(model, scheduling))
    for _ in range(100):  # until scheduling has been asked (bounded)
        if scheduling.calls:
            break
        await asyncio.sleep(0)
    assert scheduling.calls == 1
    model.invalidate("c", [DAY])  # a booking's event arrives while the old answer is on its way
    scheduling.slots = []
    scheduling.go.set()
    await reading
    assert await _names(model, scheduling) == []  # read again, not the answer from before the event
    assert scheduling.calls >= 2


async def test_slots_too_soon_by_now_are_left_out_without_a_read() -> None:
    start = datetime(2030, 3, 4, 10, tzinfo=UTC).timestamp()
    wall = [start - 3 * 3600]
    model = _model(wall)
    scheduling = Scheduling([_slot("soon", 10, notice_minutes=120), _slot("later", 12)])
    assert await _names(model, scheduling) == ["timeSlots/soon", "timeSlots/later"]
    wall[0] = start - 90 * 60  # inside the first slot's two hours of notice
    assert await _names(model, scheduling) == ["timeSlots/later"]
    assert scheduling.calls == 1


async def test_a_slot_read_is_known_by_its_name_after_its_day_is_dropped() -> None:
    """What a booking takes from the model (kind, type, location never change under a slot's
    id) outlives the day entries an event drops; other companies' slots are not seen."""
    model = OpenSlotModel(encode_slot, ttl_seconds=60, clock=lambda: 0.0, wall_clock=lambda: 0.0, max_known=2)
    assert model.known("c", "timeSlots/a") is None  # never read
    scheduling = Scheduling([_slot("a", 9), _slot("b", 10)])
    await _names(model, scheduling)
    found = model.known("c", "timeSlots/a")
    assert found is not None
    assert (found.name, found.location) == ("timeSlots/a", "locations/l1")
    # a message of its own, with what never changes only (the slot as read is part of its
    # reply, which it would keep alive whole)
    assert not found.HasField("start_time")
    assert all(found is not m for m in scheduling.slots)
    assert model.known("other company", "timeSlots/a") is None  # the company's model only
    model.invalidate("c", [DAY])  # a booking's event drops the day: the slot is still known
    assert model.days_listing("c", "timeSlots/a") == []
    assert model.known("c", "timeSlots/a") is found
    model.forget("c", "timeSlots/a")  # deleted
    assert model.known("c", "timeSlots/a") is None
    scheduling.slots = [_slot("b", 10), _slot("x", 11), _slot("y", 12)]
    await _names(model, scheduling)  # bounded: the oldest read is forgotten first
    assert model.known("c", "timeSlots/b") is None
    assert [model.known("c", f"timeSlots/{n}") is not None for n in "xy"] == [True, True]


class _Listener:
    """A broadcast listener's registrations, called by the test."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Callable[[EventEnvelope, Any], object]]] = {}

    def on(self, event_type: EventType[Any], handler: Callable[[EventEnvelope, Any], object]) -> None:
        self.handlers.setdefault(event_type.subject, []).append(handler)


async def test_a_slot_moved_to_another_day_leaves_the_day_that_listed_it() -> None:
    model = _model([0.0])
    scheduling = Scheduling([_slot("a", 9), _slot("b", 10)])
    listener = _Listener()
    listen(cast(BroadcastListener, listener), model)
    assert await _names(model, scheduling) == ["timeSlots/a", "timeSlots/b"]
    moved = _slot("a", 9)
    moved.start_time.seconds += 2 * 86_400  # two days later: its event names the new day only
    moved.end_time.seconds += 2 * 86_400
    scheduling.slots = [_slot("b", 10)]
    envelope = EventEnvelope(company_id="c")
    for handler in listener.handlers[se.TIME_SLOT_UPDATED.subject]:
        handler(envelope, opb.TimeSlotChangedEvent(time_slot=moved, changed_paths=["date"]))
    assert model.days_listing("c", "timeSlots/a") == []
    assert await _names(model, scheduling) == ["timeSlots/b"]  # its old day read again
    assert scheduling.calls == 2


async def test_a_deleted_slots_event_forgets_it() -> None:
    model = _model([0.0])
    listener = _Listener()
    listen(cast(BroadcastListener, listener), model)
    await _names(model, Scheduling([_slot("a", 9), _slot("b", 10)]))
    for handler in listener.handlers[se.TIME_SLOT_DELETED.subject]:
        handler(EventEnvelope(company_id="c"), opb.TimeSlotChangedEvent(time_slot=_slot("a", 9)))
    assert model.known("c", "timeSlots/a") is None
    assert model.known("c", "timeSlots/b") is not None
