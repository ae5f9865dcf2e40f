"""Make the standing time-slot pattern part of the scheduling migration fixture: a database at
revision `REVISION` (the last one that kept a pattern as its encoded message) filled through the
real RPCs, dumped as rows (`patterns_rows.json`) and as the answers of the pattern reads
(`patterns_golden.json`).

It was run once, with the code of revision 0015, and its output is committed;
`tests/integration/test_scheduling_migration.py` loads the rows into a database at that
revision, upgrades it to head and checks every read answers exactly the golden JSON:

    .venv/bin/python -m services.scheduling.tests.migration_fixture.make_patterns_fixture

Every pattern's `generated_through` is moved to 2099-12-31 in the database before the answers
are taken, so no later run of the generator changes what the reads answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc, slot_patterns_pb2_grpc
from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook_devstack.testing import running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.migrations import upgrade
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.settings import SchedulingSettings, WorkerTiming

from .make_fixture import COMPANY, META, NOT_LISTENING, OTHER, OTHER_COMPANY, answer, d, encode, rid, t

REVISION = "0015"
HERE = Path(__file__).parent
QUIET = SchedulingSettings(reminder_interval_seconds=3600, patterns=WorkerTiming(3600.0, 60.0))


async def fill(s: Any, p: Any) -> dict[str, Any]:
    """Locations, schedules, types and patterns through the real RPCs; the names the reads ask for."""
    names: dict[str, Any] = {}
    downtown = await s.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Downtown", time_zone="America/New_York")),
        metadata=META,
    )
    berlin = await s.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Berlin", time_zone="Europe/Berlin")),
        metadata=META,
    )
    elsewhere = await s.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Elsewhere", time_zone="UTC")), metadata=OTHER
    )

    async def schedule(display: str, location: str, meta: Any = META) -> str:
        made = await s.CreateSchedule(
            pb.CreateScheduleRequest(
                schedule=pb.Schedule(display_name=display, kind=pb.SCHEDULE_KIND_RESOURCE, location=location)
            ),
            metadata=meta,
        )
        return str(made.name)

    room, hall, studio = (
        await schedule("Room", downtown.name),
        await schedule("Hall", downtown.name),
        await schedule("Studio", berlin.name),
    )
    other_room = await schedule("Other room", elsewhere.name, OTHER)
    portrait = await s.CreateSessionType(
        pb.CreateSessionTypeRequest(session_type=pb.SessionType(display_name="Portrait", default_duration_minutes=30)),
        metadata=META,
    )
    other_type = await s.CreateSessionType(
        pb.CreateSessionTypeRequest(session_type=pb.SessionType(display_name="Other", default_duration_minutes=30)),
        metadata=OTHER,
    )
    consult = await s.CreateAppointmentType(
        pb.CreateAppointmentTypeRequest(
            appointment_type=pb.AppointmentType(display_name="Consultation", default_duration_minutes=15)
        ),
        metadata=META,
    )

    async def create(msg: spb.TimeSlotPattern, meta: Any = META) -> str:
        made = await p.CreateTimeSlotPattern(
            spb.CreateTimeSlotPatternRequest(time_slot_pattern=msg, request_id=rid()), metadata=meta
        )
        return str(made.name)

    patterns = [
        await create(
            spb.TimeSlotPattern(
                template=opb.TimeSlot(
                    location=downtown.name,
                    session_type=portrait.name,
                    schedules=[room],
                    published=True,
                    minimum_notice_minutes=60,
                    maximum_advance_days=30,
                ),
                weekdays=[pb.DAY_OF_WEEK_TUESDAY],
                start_time=t(9),
                end_time=t(12),
                slot_minutes=30,
                weeks_ahead=3,
                start_date=d(2030, 1, 1),
            )
        ),
        await create(
            spb.TimeSlotPattern(
                template=opb.TimeSlot(location=downtown.name, session_type=portrait.name, schedules=[hall, room]),
                weekdays=[pb.DAY_OF_WEEK_FRIDAY, pb.DAY_OF_WEEK_MONDAY, pb.DAY_OF_WEEK_WEDNESDAY],
                start_time=t(9, 15),
                end_time=t(17, 45),
                slot_minutes=45,
                gap_minutes=15,
                breaks=[
                    opb.TimeSlotBreak(start=t(12), end=t(13)),
                    opb.TimeSlotBreak(start=t(15), end=t(15, 15)),
                ],
                weeks_ahead=2,
            )
        ),
        await create(
            spb.TimeSlotPattern(
                template=opb.TimeSlot(
                    location=berlin.name,
                    appointment_type=consult.name,
                    schedules=[studio],
                    published=True,
                    maximum_advance_days=7,
                ),
                weekdays=[pb.DAY_OF_WEEK_SATURDAY, pb.DAY_OF_WEEK_SUNDAY],
                start_time=t(0),
                end_time=t(23, 59),
                slot_minutes=15,
                breaks=[opb.TimeSlotBreak(start=t(0), end=t(0, 30))],
                weeks_ahead=1,
                start_date=d(2030, 12, 31),
            )
        ),
    ]
    deleted = await create(
        spb.TimeSlotPattern(
            template=opb.TimeSlot(location=downtown.name, session_type=portrait.name, schedules=[room]),
            weekdays=[pb.DAY_OF_WEEK_THURSDAY],
            start_time=t(10),
            end_time=t(11),
            slot_minutes=20,
            weeks_ahead=2,
        )
    )
    await p.DeleteTimeSlotPattern(spb.DeleteTimeSlotPatternRequest(name=deleted), metadata=META)
    other = await create(
        spb.TimeSlotPattern(
            template=opb.TimeSlot(location=elsewhere.name, session_type=other_type.name, schedules=[other_room]),
            weekdays=[pb.DAY_OF_WEEK_MONDAY],
            start_time=t(8),
            end_time=t(9),
            slot_minutes=60,
            weeks_ahead=4,
        ),
        OTHER,
    )
    names.update(patterns=patterns, deleted=deleted, other=other)
    return names


def read_plan(names: dict[str, Any]) -> list[tuple[str, Message, Any]]:
    plan: list[tuple[str, Message, Any]] = []
    for name in [*names["patterns"], names["deleted"]]:
        plan.append(("GetTimeSlotPattern", spb.GetTimeSlotPatternRequest(name=name), META))
        plan.append(("GetTimeSlotPattern", spb.GetTimeSlotPatternRequest(name=name), OTHER))
    plan.append(("GetTimeSlotPattern", spb.GetTimeSlotPatternRequest(name=names["other"]), OTHER))
    plan.append(("ListTimeSlotPatterns", spb.ListTimeSlotPatternsRequest(), META))
    plan.append(("ListTimeSlotPatterns", spb.ListTimeSlotPatternsRequest(page_size=2), META))
    plan.append(("ListTimeSlotPatterns", spb.ListTimeSlotPatternsRequest(), OTHER))
    return plan


async def read_all(stub: Any, names: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "service": "p",
            "method": method,
            "request": MessageToDict(request, preserving_proto_field_name=True),
            "company": COMPANY if meta is META else OTHER_COMPANY,
            "answer": await answer({"p": stub}, "p", method, request, meta),
        }
        for method, request, meta in read_plan(names)
    ]


def encoded(value: Any) -> Any:
    """A column's value as JSON (a date as {"d": ISO date}; the rest as `make_fixture.encode`)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"d": value.isoformat()}
    return encode(value)


async def dump_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:

            def tables(sync_conn: Any) -> list[sa.Table]:
                meta = sa.MetaData()
                meta.reflect(sync_conn)
                return [tbl for tbl in meta.sorted_tables if tbl.name != "alembic_version"]

            out: dict[str, list[dict[str, Any]]] = {}
            for table in await conn.run_sync(tables):
                order = list(table.primary_key.columns) or list(table.columns)
                rows = (await conn.execute(sa.select(table).order_by(*order))).mappings().all()
                out[table.name] = [{k: encoded(v) for k, v in row.items()} for row in rows]
            return out
    finally:
        await db.dispose()


async def generated_far_ahead(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE time_slot_patterns SET generated_through = '2099-12-31'"))
    finally:
        await db.dispose()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scheduling.db'}"
        await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url, REVISION)
        host = scheduling_main.build(service_settings("scheduling", url, NOT_LISTENING), QUIET)
        async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            names = await fill(
                scheduling_pb2_grpc.SchedulingServiceStub(channel),
                slot_patterns_pb2_grpc.TimeSlotPatternServiceStub(channel),
            )
        await generated_far_ahead(url)
        host = scheduling_main.build(service_settings("scheduling", url, NOT_LISTENING), QUIET)
        async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            golden = await read_all(slot_patterns_pb2_grpc.TimeSlotPatternServiceStub(channel), names)
        rows = await dump_rows(url)
    (HERE / "patterns_rows.json").write_text(
        json.dumps({"revision": REVISION, "tables": rows}, indent=1, sort_keys=True) + "\n"
    )
    (HERE / "patterns_golden.json").write_text(
        json.dumps({"names": names, "reads": golden}, indent=1, sort_keys=True) + "\n"
    )
    print(f"{sum(len(r) for r in rows.values())} rows, {len(golden)} reads", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
