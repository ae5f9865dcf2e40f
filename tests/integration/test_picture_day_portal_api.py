"""The picture day portal's JSON API answers bad input in its own documented names (issue 21):
a 4xx problem naming `slot_id`, `children[i]` or `booking_id`, never scheduling's field names
(`slot`, `booking`) or resource names (`pictureDays/...`), never a 500; nothing is booked."""

from __future__ import annotations

from typing import Any

import httpx

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.bulk_support import bulk_slice
from tests.picture_day_support import (
    family,
    issue_codes,
    organization,
    picture_day,
    picture_day_stub,
    portal,
    wait_known,
)
from tests.scheduling_support import A, make_studio


def _fields(answer: httpx.Response) -> list[str]:
    body: dict[str, Any] = answer.json()
    assert "pictureDays/" not in answer.text
    return [e["field"] for e in body.get("errors", [])]


async def test_bad_portal_input_is_a_problem_naming_the_portals_own_field(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    databases = sqlite_databases
    async with bulk_slice(databases, nats_server.url) as s:
        days = picture_day_stub(s)
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Lincoln Elementary")
        rivera = await family(s, school, "Rivera", ["Mia", "Leo"])
        await wait_known(s, [rivera])
        day = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(picture_day=picture_day(studio, school, siblings=1)), metadata=A
        )
        code = (await issue_codes(s, day.name))[rivera.name]
        async with (
            portal(databases, s, nats_server.url) as p,
            p.family(code) as http,
        ):
            seen = (await http.get("/v1/picture-day")).json()
            mia, leo = (c["id"] for c in seen["children"])
            slot = seen["slots"][0]["id"]

            # the body's own shape: bad characters, an unknown field (scheduling's name for it)
            bad = await http.post("/v1/picture-day/bookings", json={"slot_id": "../x", "children": [mia]})
            assert bad.status_code == 400
            assert _fields(bad) == ["slot_id"]
            bad = await http.post("/v1/picture-day/bookings", json={"slot": slot, "children": [mia]})
            assert bad.status_code == 400
            assert "slot" in _fields(bad)
            # what only scheduling knows, in the portal's names
            bad = await http.post("/v1/picture-day/bookings", json={"slot_id": "no-such-slot", "children": [mia]})
            assert bad.status_code == 422
            assert _fields(bad) == ["slot_id"]
            bad = await http.post("/v1/picture-day/bookings", json={"slot_id": slot, "children": [mia, "someone"]})
            assert bad.status_code == 422
            assert "children[1]" in _fields(bad)
            assert "children" in _fields(bad)  # two children, one per slot on this day

            made = await http.post("/v1/picture-day/bookings", json={"slot_id": slot, "children": [mia]})
            assert made.status_code == 201, made.text
            booking = made.json()
            assert set(booking) == {"id", "slot_id", "children", "cancelled"}
            assert booking["slot_id"] == slot
            moved = await http.post(
                f"/v1/picture-day/bookings/{booking['id']}/reschedule", json={"slot_id": "no-such-slot"}
            )
            assert moved.status_code == 422
            assert _fields(moved) == ["slot_id"]
            other = await http.post("/v1/picture-day/bookings/not-a-booking/reschedule", json={"slot_id": slot})
            assert other.status_code == 404
            again = await http.post("/v1/picture-day/bookings", json={"slot_id": slot, "children": [leo]})
            assert again.status_code == 409  # the slot is Mia's: a conflict, not a field

        progress = (await days.GetPictureDay(pdpb.GetPictureDayRequest(name=day.name), metadata=A)).progress
        assert (progress.children_booked, progress.families_booked) == (1, 0)  # Mia alone, as booked
