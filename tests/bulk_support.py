"""Helpers of the bulk scheduling tests: the clients and scheduling services in this process
(scheduling's upstream pointed at the clients service), a bulk stub, known clients seeded
directly into scheduling's projection (for the big jobs, where the clients service is not
the subject), rows and templates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from sqlalchemy import func, insert, select

from shutterbook.clients.v1 import clients_pb2_grpc
from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import bulk_pb2_grpc, picture_day_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_clients import main as clients_main
from shutterbook_devstack.testing import DatabaseFactory, eventually, running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.settings import SchedulingSettings
from shutterbook_scheduling.storage.models import KnownClientRow, SessionRow
from tests.scheduling_support import SchedulingService, Studio


def _close_nats_quickly(host: ServiceHost) -> None:
    """As scheduling_support does: skip the kit's slow drain of stopped pull subscriptions."""

    async def close() -> None:
        client = await host.parts.nats.client()
        if not client.is_closed:
            await client.close()

    host.parts.on_stop.append(close)


@dataclass
class BulkSlice:
    clients: clients_pb2_grpc.ClientsServiceAsyncStub
    bulk: bulk_pb2_grpc.BulkSchedulingServiceAsyncStub
    scheduling: SchedulingService
    clients_target: str = ""  # the clients service's address (for a console in front)
    picture_days: picture_day_pb2_grpc.PictureDayServiceAsyncStub | None = None


@asynccontextmanager
async def bulk_slice(
    databases: DatabaseFactory, nats_url: str, *, with_clients: bool = True, own: SchedulingSettings | None = None
) -> AsyncIterator[BulkSlice]:
    """Scheduling (and, unless `with_clients` is false, the clients service it selects through),
    started with its own settings `own` (default: the defaults)."""
    clients_db = await databases.new("clients", migrate_with=clients_main.MIGRATIONS) if with_clients else ""
    scheduling_db = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    async with _maybe_clients(clients_db, nats_url) as clients_port:
        upstreams = {"clients": f"127.0.0.1:{clients_port}"}
        host = scheduling_main.build(
            service_settings("scheduling", scheduling_db, nats_url, upstreams=upstreams),
            own if own is not None else SchedulingSettings(),
        )
        _close_nats_quickly(host)
        async with (
            running(host),
            grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as s_ch,
            grpc.aio.insecure_channel(f"127.0.0.1:{clients_port}") as c_ch,
        ):
            yield BulkSlice(
                clients=clients_pb2_grpc.ClientsServiceStub(c_ch),
                bulk=bulk_pb2_grpc.BulkSchedulingServiceStub(s_ch),
                scheduling=SchedulingService(
                    scheduling_pb2_grpc.SchedulingServiceStub(s_ch),
                    scheduling_db,
                    nats_url,
                    host,
                ),
                clients_target=upstreams["clients"],
                picture_days=picture_day_pb2_grpc.PictureDayServiceStub(s_ch),
            )


@asynccontextmanager
async def _maybe_clients(database_url: str, nats_url: str) -> AsyncIterator[int]:
    if not database_url:
        yield 1  # nothing listens there: selection is not used
        return
    host = clients_main.build(service_settings("clients", database_url, nats_url))
    _close_nats_quickly(host)
    async with running(host):
        yield host.port


async def seed_known_clients(database_url: str, company_id: str, count: int) -> list[str]:
    """`count` clients made known to scheduling directly in its projection; their names."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    now = utcnow()
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                insert(KnownClientRow),
                [
                    {
                        "company_id": company_id,
                        "client_id": client_id,
                        "display_name": f"Student {i}",
                        "primary_email": "",
                        "source_updated_at": now,
                        "learned_at": now,
                        "revision": 1,
                        "deleted": False,
                        "merged_into": "",
                    }
                    for i, client_id in enumerate(ids)
                ],
            )
    finally:
        await db.dispose()
    return [f"clients/{i}" for i in ids]


async def session_numbers(database_url: str, company_id: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(select(SessionRow.session_number).where(SessionRow.company_id == company_id))
            return [r[0] for r in rows]
    finally:
        await db.dispose()


async def session_count(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(SessionRow))).scalar_one())
    finally:
        await db.dispose()


def day(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


def clock(hours: int, minutes: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=hours, minutes=minutes)


def template(studio: Studio, **fields: str) -> bpb.BulkSessionTemplate:
    out = bpb.BulkSessionTemplate(
        location=studio.location.name,
        description="School portraits",
        session_type=studio.session_type.name,
        photographer=studio.photographer.name,
        assistant=studio.assistant.name,
        camera_room=studio.room.name,
    )
    for key, value in fields.items():
        setattr(out, key, value)
    return out


def weekday_rows(first: date_pb2.Date, last: date_pb2.Date, minutes: int = 10) -> list[bpb.TimeSlotRow]:
    """One row: weekdays 08:00-18:00, a 12:00-13:00 break, sessions of `minutes`."""
    return [
        bpb.TimeSlotRow(
            start_date=first,
            end_date=last,
            start_time=clock(8),
            end_time=clock(18),
            session_duration_minutes=minutes,
            exclude_saturdays=True,
            exclude_sundays=True,
            break_start=clock(12),
            break_end=clock(13),
        )
    ]


async def wait_finished(
    bulk: bulk_pb2_grpc.BulkSchedulingServiceAsyncStub,
    name: str,
    metadata: tuple[tuple[str, str], ...],
    timeout: float = 120.0,
) -> bpb.BulkJob:
    async def finished() -> bpb.BulkJob | None:
        job = await bulk.GetBulkJob(bpb.GetBulkJobRequest(name=name), metadata=metadata)
        return job if job.state == bpb.BULK_JOB_STATE_SUCCEEDED else None

    return await eventually(finished, timeout=timeout, interval=0.2, what=f"{name} to finish")
