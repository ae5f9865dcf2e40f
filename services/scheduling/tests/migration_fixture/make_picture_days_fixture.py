"""Make the picture day part of the scheduling migration fixture: a database at revision
`REVISION` (the last one that kept a picture day as its encoded message) with picture days
inserted as that schema had them (the `data` blob written by that revision's edge,
`picture_day_convert.created_day`, from a create request), dumped as rows
(`picture_days_rows.json`) and as the answers of the picture day reads of that revision's service
(`picture_days_golden.json`).

It was run once, with the code of revision 0015, and its output is committed;
`tests/integration/test_scheduling_migration.py` loads the rows into a database at that
revision, upgrades it to head and checks every read answers exactly the golden JSON:

    .venv/bin/python -m services.scheduling.tests.migration_fixture.make_picture_days_fixture

Windows do not depend on when the test runs: days open in 2020 and close in 2099 (open), open
in 2098 (not yet open), or closed in 2021 (closed, and marked closed so no worker closes them).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import picture_day_pb2_grpc
from shutterbook_devstack.testing import running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.migrations import upgrade
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api import picture_day_convert
from shutterbook_scheduling.settings import SchedulingSettings, WorkerTiming

from .make_fixture import COMPANY, META, NOT_LISTENING, OTHER, OTHER_COMPANY, answer, d, stamp, t
from .make_patterns_fixture import dump_rows

REVISION = "0015"
HERE = Path(__file__).parent
QUIET = SchedulingSettings(
    reminder_interval_seconds=3600,
    patterns=WorkerTiming(3600.0, 60.0),
    picture_day_close=WorkerTiming(3600.0, 120.0),
)
LOCATION = "0b7e6f3a-5555-4c4c-8c8c-000000000001"
DAYS = [
    "0b7e6f3a-5555-4c4c-8c8c-0000000000a1",
    "0b7e6f3a-5555-4c4c-8c8c-0000000000a2",
    "0b7e6f3a-5555-4c4c-8c8c-0000000000a3",
    "0b7e6f3a-5555-4c4c-8c8c-0000000000a4",
]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def request_day(i: int) -> pdpb.PictureDay:
    """A create request's day, each a little different."""
    rows = [
        bpb.TimeSlotRow(
            start_date=d(2030, 5, 6),
            end_date=d(2030, 5, 7 + i),
            start_time=t(9),
            end_time=t(11, 30),
            session_duration_minutes=15,
            exclude_saturdays=i % 2 == 0,
            exclude_sundays=True,
            minutes_between_sessions=i,
        )
    ]
    if i != 2:
        rows.append(
            bpb.TimeSlotRow(
                start_date=d(2030, 6, 1),
                end_date=d(2030, 6, 1),
                start_time=t(0),
                end_time=t(16),
                session_duration_minutes=20,
                break_start=t(12) if i else t(0),
                break_end=t(13, 15) if i else t(0, 45),
            )
        )
    families = (
        bpb.BulkClientSelector(organization="organizations/0b7e6f3a-5555-4c4c-8c8c-0000000000f1", year=2026 - i)
        if i != 1
        else bpb.BulkClientSelector(group="clientGroups/0b7e6f3a-5555-4c4c-8c8c-0000000000f2")
    )
    template = bpb.BulkSessionTemplate(
        location=f"locations/{LOCATION}",
        description=f"School portraits {i}" if i != 3 else "",
        session_type="sessionTypes/0b7e6f3a-5555-4c4c-8c8c-0000000000b1",
        status="sessionStatuses/0b7e6f3a-5555-4c4c-8c8c-0000000000b2" if i == 0 else "",
        photographer="schedules/0b7e6f3a-5555-4c4c-8c8c-0000000000c1",
        assistant="schedules/0b7e6f3a-5555-4c4c-8c8c-0000000000c2" if i < 2 else "",
        camera_room="schedules/0b7e6f3a-5555-4c4c-8c8c-0000000000c3" if i == 1 else "",
    )
    opens, closes = [
        (at(2020, 1, 1), at(2099, 1, 1)),
        (at(2098, 1, 1, 8, 30), at(2099, 1, 1)),
        (at(2020, 1, 1), at(2021, 1, 1, 17)),
        (at(2020, 1, 1), at(2099, 1, 1)),
    ][i]
    out = pdpb.PictureDay(
        name="ignored",
        display_name=["Lincoln Elementary 2026", "Béla's 🎓 class", "Closed school", "Other studio's day"][i],
        families=families,
        template=template,
        time_slot_rows=rows,
        siblings_per_slot=[2, 1, 20, 3][i],
        open_time=stamp(opens),
        close_time=stamp(closes),
        close_action=pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING
        if i % 2
        else pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED,
        window=pdpb.PICTURE_DAY_WINDOW_CLOSED,
        skipped_families=99,
    )
    out.progress.families_total = 7
    return out


def rows() -> dict[str, list[dict[str, Any]]]:
    """The rows of the days as revision 0015 wrote them."""
    tables: dict[str, list[dict[str, Any]]] = {
        "picture_days": [],
        "picture_day_slots": [],
        "picture_day_families": [],
        "picture_day_children": [],
    }
    for i, day_id in enumerate(DAYS):
        request = pdpb.CreatePictureDayRequest(picture_day=request_day(i))
        created_at = at(2026, 11, 30, 12, i, 5, 123456)
        data, _ = picture_day_convert.created_day(request)(day_id, "America/New_York", created_at, i)
        day = request.picture_day
        tables["picture_days"].append(
            {
                "id": day_id,
                "company_id": OTHER_COMPANY if i == 3 else COMPANY,
                "data": data,
                "location_id": LOCATION,
                "time_zone": "America/New_York",
                "siblings_per_slot": day.siblings_per_slot,
                "open_at": day.open_time.ToDatetime(tzinfo=UTC),
                "close_at": day.close_time.ToDatetime(tzinfo=UTC),
                "close_action": "assign_remaining" if i % 2 else "leave_unbooked",
                "closed_at": at(2021, 1, 1, 17, 1) if i == 2 else None,
                "lease_owner": None,
                "lease_until": None,
                "created_by": "fixture",
                "created_at": created_at,
            }
        )
        for k in range(3):
            tables["picture_day_slots"].append(
                {
                    "id": f"{day_id[:-2]}{k}{i}",
                    "picture_day_id": day_id,
                    "start_at": at(2030, 5, 6, 13, 15 * k),
                    "end_at": at(2030, 5, 6, 13, 15 * k + 15),
                    "booking_id": f"{day_id[:-4]}bb{k}{i}" if k < i else None,
                }
            )
        for f in range(2):
            client_id = f"0b7e6f3a-5555-4c4c-8c8c-0000000d{f}{i}00"
            tables["picture_day_families"].append(
                {
                    "picture_day_id": day_id,
                    "client_id": client_id,
                    "display_name": f"Family {f}",
                    "sort_name": f"family {f}",
                    "email": "",
                    "code_hash": None,
                    "code_issued_at": None,
                }
            )
            for c in range(f + 1):
                tables["picture_day_children"].append(
                    {
                        "picture_day_id": day_id,
                        "client_id": client_id,
                        "member_id": f"0b7e6f3a-5555-4c4c-8c8c-0000000e{f}{i}{c}0",
                        "position": c,
                        "display_name": f"Kid {c}",
                        "booking_id": f"{day_id[:-4]}bb0{i}" if (f, c) == (1, 0) and i else None,
                    }
                )
    return tables


async def insert(url: str, tables: dict[str, list[dict[str, Any]]]) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:

            def reflect(sync_conn: Any) -> sa.MetaData:
                meta = sa.MetaData()
                meta.reflect(sync_conn)
                return meta

            meta = await conn.run_sync(reflect)
            for name, found in tables.items():
                await conn.execute(meta.tables[name].insert(), found)
    finally:
        await db.dispose()


def read_plan() -> list[tuple[str, Message, Any]]:
    plan: list[tuple[str, Message, Any]] = []
    for day_id in DAYS:
        for meta in (META, OTHER):
            plan.append(("GetPictureDay", pdpb.GetPictureDayRequest(name=f"pictureDays/{day_id}"), meta))
    for meta in (META, OTHER):
        plan.append(("ListPictureDays", pdpb.ListPictureDaysRequest(), meta))
    plan.append(("ListPictureDays", pdpb.ListPictureDaysRequest(page_size=1), META))
    return plan


async def read_all(stub: Any) -> list[dict[str, Any]]:
    return [
        {
            "service": "d",
            "method": method,
            "request": MessageToDict(request, preserving_proto_field_name=True),
            "company": COMPANY if meta is META else OTHER_COMPANY,
            "answer": await answer({"d": stub}, "d", method, request, meta),
        }
        for method, request, meta in read_plan()
    ]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scheduling.db'}"
        await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url, REVISION)
        await insert(url, rows())
        host = scheduling_main.build(service_settings("scheduling", url, NOT_LISTENING), QUIET)
        async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            golden = await read_all(picture_day_pb2_grpc.PictureDayServiceStub(channel))
        dumped = await dump_rows(url)
    assert date.today() < date(2098, 1, 1), "the windows of the fixture's days are fixed until 2098"
    (HERE / "picture_days_rows.json").write_text(
        json.dumps({"revision": REVISION, "tables": dumped}, indent=1, sort_keys=True) + "\n"
    )
    (HERE / "picture_days_golden.json").write_text(
        json.dumps({"names": DAYS, "reads": golden}, indent=1, sort_keys=True) + "\n"
    )
    print(f"{sum(len(r) for r in dumped.values())} rows, {len(golden)} reads", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
