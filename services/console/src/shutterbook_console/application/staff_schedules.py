"""Studio setup, staff schedules: the photographers' and assistants' schedules of a location,
their working hours and time off, kept by scheduling (which checks `setup.write` and every
field); the console lists the staff members and locations to choose from."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.domain.schedule_form import hours_summary
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

ALL = 1000
WRITABLE = ["display_name", "staff_member", "working_hours", "time_off"]


@dataclass(frozen=True)
class Choices:
    locations: list[pb.Location]
    staff: dict[str, str]  # staffMembers/{id} -> display name


@dataclass(frozen=True)
class ScheduleRow:
    id: str
    name: str
    staff: str
    hours: str
    time_off: int


async def choices(up: Upstreams, caller: Caller) -> Choices:
    s = up.scheduling
    locations, staff = await asyncio.gather(
        up.call(s.ListLocations, pb.ListLocationsRequest(page_size=ALL), caller),
        up.call(s.ListStaffMembers, pb.ListStaffMembersRequest(page_size=ALL), caller),
    )
    return Choices(
        sorted(locations.locations, key=lambda x: x.display_name.casefold()),
        {x.name: x.display_name for x in sorted(staff.staff_members, key=lambda x: x.display_name.casefold())},
    )


async def rows(up: Upstreams, caller: Caller, location: str, staff: dict[str, str]) -> list[ScheduleRow]:
    """The staff schedules of `location`, by name."""
    found = await up.call(
        up.scheduling.ListSchedules, pb.ListSchedulesRequest(page_size=ALL, location=location), caller
    )
    staff_schedules = [x for x in found.schedules if x.kind == pb.SCHEDULE_KIND_STAFF]
    return [
        ScheduleRow(
            x.name.removeprefix("schedules/"),
            x.display_name,
            staff.get(x.staff_member, ""),
            hours_summary(x.working_hours),
            len(x.time_off),
        )
        for x in sorted(staff_schedules, key=lambda x: x.display_name.casefold())
    ]


async def get(up: Upstreams, caller: Caller, schedule_id: str) -> pb.Schedule:
    request = pb.GetScheduleRequest(name=f"schedules/{schedule_id}")
    return await up.call(up.scheduling.GetSchedule, request, caller)


async def location(up: Upstreams, caller: Caller, name: str) -> pb.Location:
    return await up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=name), caller)


async def create(up: Upstreams, caller: Caller, schedule: pb.Schedule, request_id: str) -> pb.Schedule:
    request = pb.CreateScheduleRequest(schedule=schedule, request_id=request_id)
    return await up.call(up.scheduling.CreateSchedule, request, caller)


async def update(up: Upstreams, caller: Caller, schedule: pb.Schedule) -> pb.Schedule:
    """The name, staff member, working hours and time off (the kind and location stay)."""
    request = pb.UpdateScheduleRequest(schedule=schedule, update_mask=field_mask_pb2.FieldMask(paths=WRITABLE))
    return await up.call(up.scheduling.UpdateSchedule, request, caller)
