"""Studio setup, locations and rooms: read and write them in scheduling, which owns them. The
caller's token carries the locations a staff member is limited to, and scheduling answers only
with those (lists) or NOT_FOUND (the others), so the console asks with the caller as is."""

from __future__ import annotations

from typing import Any

from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.company_setup import address_values, postal_address
from shutterbook_console.domain.location_form import Period
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

LOCATION_MASK = ["display_name", "time_zone", "address", "studio_hours", "lunch_periods"]
PAGE = 1000


async def list_locations(up: Upstreams, caller: Caller) -> list[pb.Location]:
    """Every location the caller may see, by name (a studio has a handful)."""
    reply = await up.call(up.scheduling.ListLocations, pb.ListLocationsRequest(page_size=PAGE), caller)
    return sorted(reply.locations, key=lambda x: x.display_name.casefold())


async def get_location(up: Upstreams, caller: Caller, location_id: str) -> pb.Location:
    request = pb.GetLocationRequest(name=f"locations/{location_id}")
    return await up.call(up.scheduling.GetLocation, request, caller)


def _hours(periods: list[Period]) -> list[pb.WeeklyHours]:
    return [
        pb.WeeklyHours(
            day=p.day,  # type: ignore[arg-type]
            start=pb.TimeOfDay(hours=p.start[0], minutes=p.start[1]),
            end=pb.TimeOfDay(hours=p.end[0], minutes=p.end[1]),
        )
        for p in periods
    ]


def _location(values: dict[str, Any], name: str = "") -> pb.Location:
    return pb.Location(
        name=name,
        display_name=values["display_name"],
        time_zone=values["time_zone"],
        address=postal_address(values),
        studio_hours=_hours(values["studio_hours"]),
        lunch_periods=_hours(values["lunch_periods"]),
    )


async def create_location(up: Upstreams, caller: Caller, values: dict[str, Any]) -> pb.Location:
    request = pb.CreateLocationRequest(location=_location(values))
    return await up.call(up.scheduling.CreateLocation, request, caller)


async def update_location(up: Upstreams, caller: Caller, location_id: str, values: dict[str, Any]) -> pb.Location:
    request = pb.UpdateLocationRequest(
        location=_location(values, f"locations/{location_id}"),
        update_mask=field_mask_pb2.FieldMask(paths=LOCATION_MASK),
    )
    return await up.call(up.scheduling.UpdateLocation, request, caller)


def _time_text(t: pb.TimeOfDay) -> str:
    return f"{t.hours:02d}:{t.minutes:02d}"


def location_values(location: pb.Location) -> dict[str, Any]:
    """The location as the form shows it."""

    def rows(hours: Any) -> list[dict[str, str]]:
        return [{"day": str(h.day), "start": _time_text(h.start), "end": _time_text(h.end)} for h in hours]

    return {
        "display_name": location.display_name,
        "time_zone": location.time_zone,
        **address_values(location.address),
        "hours": rows(location.studio_hours),
        "lunch": rows(location.lunch_periods),
    }


async def list_rooms(up: Upstreams, caller: Caller) -> list[pb.Schedule]:
    """The resource schedules (camera rooms) of every location the caller may see."""
    rooms: list[pb.Schedule] = []
    token = ""
    for _ in range(100):  # bounded: 100 pages of 1000
        reply = await up.call(
            up.scheduling.ListSchedules, pb.ListSchedulesRequest(page_size=PAGE, page_token=token), caller
        )
        rooms += [x for x in reply.schedules if x.kind == pb.SCHEDULE_KIND_RESOURCE]
        token = reply.next_page_token
        if not token:
            break
    return sorted(rooms, key=lambda x: x.display_name.casefold())


async def get_room(up: Upstreams, caller: Caller, room_id: str) -> pb.Schedule:
    return await up.call(up.scheduling.GetSchedule, pb.GetScheduleRequest(name=f"schedules/{room_id}"), caller)


async def create_room(up: Upstreams, caller: Caller, display_name: str, location: str) -> pb.Schedule:
    room = pb.Schedule(display_name=display_name, kind=pb.SCHEDULE_KIND_RESOURCE, location=location)
    return await up.call(up.scheduling.CreateSchedule, pb.CreateScheduleRequest(schedule=room), caller)


async def rename_room(up: Upstreams, caller: Caller, room_id: str, display_name: str) -> pb.Schedule:
    request = pb.UpdateScheduleRequest(
        schedule=pb.Schedule(name=f"schedules/{room_id}", display_name=display_name),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
    )
    return await up.call(up.scheduling.UpdateSchedule, request, caller)


async def delete_room(up: Upstreams, caller: Caller, room_id: str) -> None:
    await up.call(up.scheduling.DeleteSchedule, pb.DeleteScheduleRequest(name=f"schedules/{room_id}"), caller)
