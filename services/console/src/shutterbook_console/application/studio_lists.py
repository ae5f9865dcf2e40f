"""Studio setup, session statuses and the numbering preference: read and write them in
scheduling, which owns them (company-wide, not per location)."""

from __future__ import annotations

from typing import Any

from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

PREFERENCES = "schedulingPreferences"
STATUS_MASK = ["display_name", "due_in_days", "is_default"]
NUMBERING_MASK = ["next_session_number", "session_number_prefix"]


async def list_statuses(up: Upstreams, caller: Caller) -> list[pb.SessionStatus]:
    statuses: list[pb.SessionStatus] = []
    token = ""
    for _ in range(100):  # bounded: 100 pages of 1000
        request = pb.ListSessionStatusesRequest(page_size=1000, page_token=token)
        reply = await up.call(up.scheduling.ListSessionStatuses, request, caller)
        statuses += reply.session_statuses
        token = reply.next_page_token
        if not token:
            break
    return sorted(statuses, key=lambda x: x.display_name.casefold())


async def get_status(up: Upstreams, caller: Caller, status_id: str) -> pb.SessionStatus:
    request = pb.GetSessionStatusRequest(name=f"sessionStatuses/{status_id}")
    return await up.call(up.scheduling.GetSessionStatus, request, caller)


def _status(values: dict[str, Any], name: str = "") -> pb.SessionStatus:
    return pb.SessionStatus(
        name=name,
        display_name=values["display_name"],
        due_in_days=values["due_in_days"],
        is_default=values["is_default"],
    )


async def create_status(up: Upstreams, caller: Caller, values: dict[str, Any]) -> pb.SessionStatus:
    request = pb.CreateSessionStatusRequest(session_status=_status(values))
    return await up.call(up.scheduling.CreateSessionStatus, request, caller)


async def update_status(up: Upstreams, caller: Caller, status_id: str, values: dict[str, Any]) -> pb.SessionStatus:
    request = pb.UpdateSessionStatusRequest(
        session_status=_status(values, f"sessionStatuses/{status_id}"),
        update_mask=field_mask_pb2.FieldMask(paths=STATUS_MASK),
    )
    return await up.call(up.scheduling.UpdateSessionStatus, request, caller)


async def delete_status(up: Upstreams, caller: Caller, status_id: str) -> None:
    request = pb.DeleteSessionStatusRequest(name=f"sessionStatuses/{status_id}")
    await up.call(up.scheduling.DeleteSessionStatus, request, caller)


def status_values(status: pb.SessionStatus) -> dict[str, str]:
    return {
        "display_name": status.display_name,
        "due_in_days": str(status.due_in_days),
        "is_default": "1" if status.is_default else "",
    }


async def get_numbering(up: Upstreams, caller: Caller) -> pb.SchedulingPreferences:
    request = pb.GetSchedulingPreferencesRequest(name=PREFERENCES)
    return await up.call(up.scheduling.GetSchedulingPreferences, request, caller)


async def save_numbering(up: Upstreams, caller: Caller, values: dict[str, Any]) -> pb.SchedulingPreferences:
    request = pb.UpdateSchedulingPreferencesRequest(
        scheduling_preferences=pb.SchedulingPreferences(
            next_session_number=values["next_session_number"],
            session_number_prefix=values["session_number_prefix"],
        ),
        update_mask=field_mask_pb2.FieldMask(paths=NUMBERING_MASK),
    )
    return await up.call(up.scheduling.UpdateSchedulingPreferences, request, caller)


def numbering_values(prefs: pb.SchedulingPreferences) -> dict[str, str]:
    return {
        "next_session_number": str(prefs.next_session_number),
        "session_number_prefix": prefs.session_number_prefix,
    }
