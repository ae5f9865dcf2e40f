"""Demo staff for `make run`: one account per role of the demo company, at both demo locations
(read from scheduling, which seeds them first), the photographer linked to John Doe's schedule
at the first location. Idempotent: an email that already has an account is left alone."""

from __future__ import annotations

import grpc

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_console.application.accounts import NewStaff, create_staff
from shutterbook_console.domain.staff import email_key
from shutterbook_console.settings import SERVICE
from shutterbook_console.storage.repository import StaffRepository
from shutterbook_kit.db import Database
from shutterbook_kit.demo import DEMO_STAFF, DEMO_STAFF_PASSWORD
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.tenancy import CallContext
from shutterbook_kit.uow import UnitOfWork

PHOTOGRAPHER_SCHEDULE = "John Doe"


async def _locations_and_schedule(channel: grpc.aio.Channel, company_id: str) -> tuple[list[str], str]:
    stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    metadata = call_metadata(CallContext(company_id=company_id, caller="service:console-demo"))
    locations = (await stub.ListLocations(pb.ListLocationsRequest(page_size=1000), metadata=metadata)).locations
    location_ids = [loc.name.removeprefix("locations/") for loc in locations]
    schedule_id = ""
    if locations:
        schedules = await stub.ListSchedules(
            pb.ListSchedulesRequest(page_size=1000, location=locations[0].name), metadata=metadata
        )
        for schedule in schedules.schedules:
            if schedule.kind == pb.SCHEDULE_KIND_STAFF and schedule.display_name.startswith(PHOTOGRAPHER_SCHEDULE):
                schedule_id = schedule.name.removeprefix("schedules/")
                break
    return sorted(location_ids), schedule_id


async def seed_demo_staff(channel: grpc.aio.Channel, company_id: str, database_url: str | None = None) -> int:
    """Creates the demo staff that are missing; returns how many demo accounts exist."""
    location_ids, schedule_id = await _locations_and_schedule(channel, company_id)
    db = Database(database_url or ServiceSettings.from_env(SERVICE).database_url)
    try:
        for email, name, role in DEMO_STAFF:
            async with UnitOfWork(db, readonly=True) as uow:
                exists = await StaffRepository(uow.session).by_email(email_key(email), company_id)
            if exists:
                continue
            schedule = schedule_id if role == "photographer" else ""
            await create_staff(
                db, company_id, NewStaff(name, email, DEMO_STAFF_PASSWORD, [role], location_ids, schedule)
            )
    finally:
        await db.dispose()
    return len(DEMO_STAFF)
