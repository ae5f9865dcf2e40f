"""The issue's must-show race (issue 21), on SQLite and PostgreSQL: a picture day of 300
families, 12 families at a time racing through the portal's HTTP API (the gateway in front of
scheduling, each family with its own access code) for the same few slots, each also
double-clicking. Afterwards, read from scheduling's database and its API: no slot over its
sibling capacity or given twice, every child in at most one live booking, one live session
per booking at its slot's time, the progress the studio sees matching the rows."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_scheduling.storage.models import SessionRow
from shutterbook_scheduling.storage.picture_day_models import (
    PictureDayBookingRow,
    PictureDayChildRow,
    PictureDaySlotRow,
)
from tests.bulk_support import bulk_slice
from tests.picture_day_support import families, issue_codes, organization, picture_day, picture_day_stub, portal
from tests.scheduling_support import A, make_studio

FAMILIES = 300
AT_A_TIME = 12
SIBLINGS = 2  # per slot; every family has two children


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()


async def _family(http: httpx.AsyncClient, code: str, rng: random.Random, tally: Tally, *, apart: bool) -> None:
    """One family on its phone: read the day, pick one of the earliest free times, book (two
    taps at once), and again after a refusal, until its children have a time or none is
    left. `apart`: each child on its own time, else both together."""
    headers = {"X-Access-Code": code}

    async def post(body: dict[str, Any]) -> None:
        answer = await http.post("/v1/picture-day/bookings", json=body, headers=headers)
        tally.statuses[answer.status_code] += 1

    for _ in range(50):
        seen = (await http.get("/v1/picture-day", headers=headers)).json()
        waiting = [c["id"] for c in seen["children"] if not c["booking_id"]]
        free = [s for s in seen["slots"] if not s["mine"]]
        if not waiting or not free:
            return
        slot = rng.choice(free[:3])  # everyone wants the morning's first times
        body = {"slot_id": slot["id"], "children": waiting[:1] if apart else waiting}
        await asyncio.gather(post(body), post(body))


@pytest.mark.timeout(600)
async def test_300_families_race_through_the_portal_for_the_same_slots(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one studio key serves every family's phone here: lift its per-key budget (not the subject)
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE", "1000000")
    async with bulk_slice(databases, nats_server.url) as s:
        days = picture_day_stub(s)
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Race School")
        made = await families(s, school, FAMILIES, 2, at_once=32)
        day = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(
                picture_day=picture_day(
                    studio, school, slots_from=(8, 0), slots_until=(10, 0), minutes=5, siblings=SIBLINGS
                )
            ),
            metadata=A,
        )
        assert day.progress.families_total == FAMILIES
        assert day.progress.slots_total == 24  # far fewer than the 600 children
        codes = await issue_codes(s, day.name)
        assert sorted(codes) == sorted(c.name for c in made)

        tally = Tally()
        gate = asyncio.Semaphore(AT_A_TIME)
        rng = random.Random(21)
        async with (
            portal(databases, s, nats_server.url) as p,
            httpx.AsyncClient(base_url=p.base_url, headers={"X-Api-Key": p.key}, timeout=60) as http,
        ):

            async def one(i: int, client: str) -> None:
                async with gate:
                    await _family(http, codes[client], rng, tally, apart=i % 3 == 0)

            await asyncio.gather(*(one(i, c.name) for i, c in enumerate(made)))

        # every answer a booking or a clear refusal (slot or child just taken); never a 5xx
        assert set(tally.statuses) <= {201, 409, 422}, tally.statuses
        assert tally.statuses[409] > 0  # the families did collide

        db = Database(s.scheduling.database_url)
        try:
            async with db.engine.connect() as conn:
                bookings = (await conn.execute(select(PictureDayBookingRow))).all()
                slots = (await conn.execute(select(PictureDaySlotRow))).all()
                children = (await conn.execute(select(PictureDayChildRow))).all()
                sessions = (
                    await conn.execute(
                        select(SessionRow.id, SessionRow.cancelled, SessionRow.start_at, SessionRow.client_id)
                    )
                ).all()
        finally:
            await db.dispose()
        live = [b for b in bookings if not b.cancelled]
        slot_by_id = {x.id: x for x in slots}
        # no slot over its sibling capacity, none given twice, every slot taken
        assert all(1 <= len(b.children.split()) <= SIBLINGS for b in live)
        assert max(Counter(b.slot_id for b in live).values()) == 1
        assert {x.booking_id for x in slots} == {b.id for b in live}
        assert len(live) == len(slots)
        # every child at most one live booking, of its own family; the children rows agree
        per_child = Counter((b.client_id, c) for b in live for c in b.children.split())
        assert max(per_child.values()) == 1
        assert all(c.startswith(f"clients/{b.client_id}") for b in live for c in b.children.split())
        booked_children = {(c.client_id, c.member_id): c.booking_id for c in children if c.booking_id}
        assert len(booked_children) == sum(per_child.values())
        assert set(booked_children.values()) == {b.id for b in live}
        # one live session per booking, the family's, at its slot's time; nothing else booked
        session_by_id = {x.id: x for x in sessions}
        assert len([x for x in sessions if not x.cancelled]) == len(live)
        for b in live:
            session = session_by_id[b.session_id]
            assert not session.cancelled
            assert session.client_id == b.client_id
            assert session.start_at == slot_by_id[b.slot_id].start_at
        # what the studio sees
        progress = (await days.GetPictureDay(pdpb.GetPictureDayRequest(name=day.name), metadata=A)).progress
        assert progress.slots_free == 0
        assert progress.children_booked == sum(per_child.values())
        assert progress.families_booked + progress.families_not_booked == FAMILIES
