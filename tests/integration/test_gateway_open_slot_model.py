"""The gateway's open-slot read model against scheduling: after bookings, a cancellation, a
reschedule, holds and a staff session (which blocks the photographer's schedule) made while
partners read open slots, the gateway's answer settles to exactly what scheduling computes
from its database; then time slots created, generated and deleted, and the type and location
renamed, reach the gateway's answers too. The model's and the type and location caches' TTLs
are an hour here, so only events (and the gateway's own writes) can have kept them current."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_gateway.api import schemas
from tests.helpers import COMPANY_A
from tests.online_support import pdate, slot
from tests.scheduling_support import at, client_message, session_request
from tests.stack_support import OnlineStudio, Stack, booking_body, booking_stack, offer_online

META = company_metadata(COMPANY_A)
SETTLE_SECONDS = 30.0  # events settle well within this; the TTLs (an hour) cannot


async def _gateway(http: httpx.AsyncClient, stack: Stack, offer: OnlineStudio) -> bytes:
    params = {"start_date": offer.day.isoformat(), "end_date": offer.day.isoformat(), "page_size": "1000"}
    response = await http.get(f"/v1/session-types/{offer.type_id}/open-slots", params=params, headers=stack.headers())
    assert response.status_code == 200, response.text
    return response.content


async def _scheduling(stack: Stack, offer: OnlineStudio) -> bytes:
    """What scheduling computes from its database, encoded as the gateway's SlotList was before
    the read model (so the pre-encoded answer is checked byte for byte too)."""
    found = await stack.online.ListOpenSlots(
        opb.ListOpenSlotsRequest(
            session_type=offer.studio.session_type.name,
            location=offer.studio.location.name,
            start_date=pdate(offer.day),
            end_date=pdate(offer.day),
        ),
        metadata=META,
    )
    slots = sorted(found.time_slots, key=lambda s: (s.start_time.seconds, s.name))
    return msgspec.json.encode(schemas.SlotList(time_zone="", slots=[schemas.slot(s, None) for s in slots]))


@pytest.mark.postgres
async def test_the_read_model_settles_to_what_scheduling_computes(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_OPEN_SLOTS_TTL_SECONDS", "3600")
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_REFERENCE_CACHE_SECONDS", "3600")
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE", "100000")
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack, slots=8)
        assert await _gateway(http, stack, offer) == await _scheduling(stack, offer)  # the model is filled
        scheduling = stack.services.scheduling
        client = client_message("Holder")
        await scheduling.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client), metadata=META)
        reads: list[bytes] = []

        async def read_all_along() -> None:
            for _ in range(40):  # bounded
                reads.append(await _gateway(http, stack, offer))
                await asyncio.sleep(0.02)

        async def book(i: int) -> dict[str, Any]:
            created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(i)), headers=stack.headers())
            assert created.status_code == 201, created.text
            answer: dict[str, Any] = created.json()
            return answer

        async def book_and_cancel() -> None:
            booked = await book(1)
            manage = stack.headers(**{"X-Booking-Token": booked["manage_token"]})
            cancelled = await http.post(f"/v1/bookings/{booked['id']}/cancel", json={}, headers=manage)
            assert cancelled.status_code == 200, cancelled.text

        async def book_and_move() -> None:
            booked = await book(2)
            manage = stack.headers(**{"X-Booking-Token": booked["manage_token"]})
            moved = await http.post(
                f"/v1/bookings/{booked['id']}/reschedule", json={"slot_id": offer.slot_id(3)}, headers=manage
            )
            assert moved.status_code == 200, moved.text

        async def hold_directly(i: int) -> None:  # through scheduling, not the gateway: only its event tells
            await stack.online.HoldSlot(
                opb.HoldSlotRequest(time_slot=offer.slots[i].name, client=client.name, request_id=str(uuid.uuid4())),
                metadata=META,
            )

        async def staff_session(hour: int) -> None:  # blocks the photographer within that hour's slot
            when = pdate(offer.day)
            await scheduling.CreateSession(
                pb.CreateSessionRequest(
                    session=session_request(offer.studio, client, when, at(hour, 15), at(hour, 45)),
                    request_id=str(uuid.uuid4()),
                ),
                metadata=META,
            )

        await asyncio.gather(
            read_all_along(), book(0), book_and_cancel(), book_and_move(), hold_directly(5), staff_session(15)
        )
        assert len(reads) == 40
        ids = [s.name.split("/", 1)[1] for s in offer.slots]
        seen = await _settled(http, stack, offer)
        # slots 0 and 3 booked, 5 held, 6 (15:00) blocked by the staff session
        assert [i for i, slot_id in enumerate(ids) if slot_id.encode() in seen] == [1, 2, 4, 7]

        # then changes the gateway takes no part in, while it reads: only their events tell it
        await asyncio.gather(read_all_along(), hold_directly(7), staff_session(13))
        seen = await _settled(http, stack, offer)
        assert [i for i, slot_id in enumerate(ids) if slot_id.encode() in seen] == [1, 2]

        await _what_slots_are_made_of_changes(http, stack, offer)


async def _what_slots_are_made_of_changes(http: httpx.AsyncClient, stack: Stack, offer: OnlineStudio) -> None:
    """Time slots, the type and the location change in scheduling alone: only its events
    (`scheduling.time_slot.*`, `.time_slots.generated`, `.session_type.changed`,
    `.location.changed`) tell the gateway, whose caches would otherwise keep them an hour."""
    studio = offer.studio
    type_path = f"/v1/session-types/{offer.type_id}"
    location_path = f"/v1/locations/{studio.location.name.split('/', 1)[1]}"
    for path in (type_path, location_path):  # cached before the changes
        assert (await http.get(path, headers=stack.headers())).status_code == 200
    created = await stack.online.CreateTimeSlot(
        opb.CreateTimeSlotRequest(time_slot=slot(studio, offer.day, (17, 0), (18, 0)), request_id=str(uuid.uuid4())),
        metadata=META,
    )
    assert created.name.split("/", 1)[1].encode() in await _settled(http, stack, offer)
    await stack.online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=offer.slots[1].name), metadata=META)
    assert offer.slot_id(1).encode() not in await _settled(http, stack, offer)
    template = slot(studio, offer.day, (0, 0), (0, 0))
    row = opb.TimeSlotPatternRow(
        start_date=pdate(offer.day),
        end_date=pdate(offer.day),
        start_time=pb.TimeOfDay(hours=18),
        end_time=pb.TimeOfDay(hours=20),
        slot_minutes=60,
    )
    made = await stack.online.GenerateTimeSlots(
        opb.GenerateTimeSlotsRequest(template=template, rows=[row], request_id=str(uuid.uuid4())), metadata=META
    )
    seen = await _settled(http, stack, offer)
    assert len(made.time_slots) == 2
    assert all(s.name.split("/", 1)[1].encode() in seen for s in made.time_slots)

    scheduling = stack.services.scheduling
    online = pb.OnlineBookingSettings()
    online.CopyFrom(studio.session_type.online)
    online.online_description = "Renamed Family Hour"  # the name partners show
    await scheduling.UpdateSessionType(
        pb.UpdateSessionTypeRequest(
            session_type=pb.SessionType(name=studio.session_type.name, online=online),
            update_mask=field_mask_pb2.FieldMask(paths=["online"]),
        ),
        metadata=META,
    )
    await scheduling.UpdateLocation(
        pb.UpdateLocationRequest(
            location=pb.Location(name=studio.location.name, display_name="Renamed Uptown Studio"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=META,
    )
    assert b"Renamed Family Hour" in await _eventually(http, stack, type_path, b"Renamed Family Hour")
    assert b"Renamed Uptown Studio" in await _eventually(http, stack, location_path, b"Renamed Uptown Studio")


async def _eventually(http: httpx.AsyncClient, stack: Stack, path: str, wanted: bytes) -> bytes:
    """The gateway's answer at `path` once it holds `wanted` (polled, bounded)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    seen = b""
    while time.monotonic() < deadline:
        response = await http.get(path, headers=stack.headers())
        assert response.status_code == 200, response.text
        seen = response.content
        if wanted in seen:
            break
        await asyncio.sleep(0.1)
    return seen


async def _settled(http: httpx.AsyncClient, stack: Stack, offer: OnlineStudio) -> bytes:
    """The gateway's answer once it equals scheduling's (bounded), asserted equal byte for byte."""
    expected = await _scheduling(stack, offer)
    deadline = time.monotonic() + SETTLE_SECONDS
    seen = await _gateway(http, stack, offer)
    while seen != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        seen = await _gateway(http, stack, offer)
    assert seen == expected
    return seen
