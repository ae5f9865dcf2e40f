"""Helpers of the console's picture day tests (issue 21): the demo studio's names, a "New picture
day" body for the console's API, the codes read back from printed letters, and a family booking
through the gateway's portal API as a parent's phone would."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pypdf import PdfReader

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_devstack.testing import company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID, DEMO_PUBLISHABLE_KEY

META = company_metadata(DEMO_COMPANY_ID)
SCHOOL = "Lincoln High"
DAY = "2030-05-06"  # a Monday far from the demo's sessions
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE = re.compile(r"^[A-Za-z0-9_-]{20}$")


async def demo_names(
    scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub, clients: clients_pb2_grpc.ClientsServiceAsyncStub
) -> dict[str, Any]:
    """Downtown Studio with its zone, School Portrait, and Lincoln High."""
    locations = (await scheduling.ListLocations(pb.ListLocationsRequest(), metadata=META)).locations
    downtown = next(loc for loc in locations if loc.display_name == "Downtown Studio")
    types = (await scheduling.ListSessionTypes(pb.ListSessionTypesRequest(page_size=100), metadata=META)).session_types
    school_type = next(t for t in types if t.display_name == "School Portrait")
    orgs = (
        await clients.ListOrganizations(clients_pb2.ListOrganizationsRequest(page_size=100), metadata=META)
    ).organizations
    school = next(o for o in orgs if o.display_name == SCHOOL)
    return {"location": downtown.name, "zone": downtown.time_zone, "type": school_type.name, "school": school.name}


def local_minutes(zone: str, delta: timedelta) -> str:
    """Now + delta on the zone's wall clock, as a datetime-local field holds it."""
    return (datetime.now(UTC) + delta).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def new_day_body(names: dict[str, Any], request_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "display_name": "Lincoln High 2026",
        "families": {"organization": names["school"], "year": 2026},
        "template": {"location": names["location"], "session_type": names["type"]},
        "time_slot_rows": [
            {
                "start_date": DAY,
                "end_date": DAY,
                "start_time": "08:00",
                "end_time": "12:00",
                "session_duration_minutes": 15,
            }
        ],
        "siblings_per_slot": 2,
        "open_time": local_minutes(names["zone"], timedelta(hours=-1)),
        "close_time": local_minutes(names["zone"], timedelta(days=7)),
        "close_action": "leave_unbooked",
        "request_id": request_id,
    }
    body.update(changes)
    return body


def letter_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def code_on(page: str) -> str:
    """The code printed on a letter (the line after "Your family's code:")."""
    lines = [line.strip() for line in page.splitlines()]
    code = lines[lines.index("Your family's code:") + 1]
    assert CODE.match(code), code
    return code


async def portal_access(gateway_url: str, code: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway_url, headers={"X-Api-Key": DEMO_PUBLISHABLE_KEY}) as http:
        return await http.get("/v1/picture-day", headers={"X-Access-Code": code})


async def portal_book_first_time(gateway_url: str, code: str) -> dict[str, Any]:
    """The family behind `code` books the first free time for every child, as the portal page does."""
    async with httpx.AsyncClient(base_url=gateway_url, headers={"X-Api-Key": DEMO_PUBLISHABLE_KEY}) as http:
        access = await http.get("/v1/picture-day", headers={"X-Access-Code": code})
        assert access.status_code == 200, access.text
        found = access.json()
        children = [c["id"] for c in found["children"]][: found["picture_day"]["siblings_per_slot"]]
        booked = await http.post(
            "/v1/picture-day/bookings",
            json={"slot_id": found["slots"][0]["id"], "children": children},
            headers={"X-Access-Code": code},
        )
        assert booked.status_code in (200, 201), booked.text
        result: dict[str, Any] = booked.json()
        return result
