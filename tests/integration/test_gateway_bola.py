"""Object-level authorization of the public booking API over real HTTP, real services behind it.

A key of company A reaches nothing of company B on any /v1 route (the routes are read from the
gateway's own OpenAPI document, so a new route cannot be left out): B's objects answer exactly
like absent ones (404, same body), and nothing of B is booked, held, charged or changed. A key
scoped to some locations reaches nothing at the company's other locations. A revoked, unknown or
forged key gets 401 everywhere. Unknown body fields (status, price, company...) are refused with
a 400 naming them, and nothing is booked or changed."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
import httpx
import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_gateway.application.api_keys import REVOCATION_SECONDS, issue_key, revoke_key, split_key
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from tests.helpers import COMPANY_A, COMPANY_B
from tests.online_support import appointment_slot, offer_appointment_type_online, slot
from tests.scheduling_support import SchedulingService
from tests.stack_support import OnlineStudio, Stack, booking_body, booking_stack, offer_online

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def _bare(name: str) -> str:
    return name.split("/", 1)[1]


def _random_id() -> str:
    return str(uuid.uuid4())


async def v1_operations(http: httpx.AsyncClient) -> set[str]:
    """Every `METHOD /v1/...` operation the gateway documents."""
    document = (await http.get("/docs/openapi.json")).json()
    found = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method in item
        if method in HTTP_METHODS
    }
    assert len(found) >= 13, found  # the document is the real one, not an empty shell
    return found


@dataclass
class Caller:
    """One partner key calling the API; records which documented operations it called."""

    http: httpx.AsyncClient
    key: str
    covered: set[str] = field(default_factory=set)

    async def call(
        self,
        method: str,
        template: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        token: str | None = None,
        access_code: str | None = None,
        **path: str,
    ) -> httpx.Response:
        self.covered.add(f"{method} {template}")
        headers = {"X-Api-Key": self.key}
        if token is not None:
            headers["X-Booking-Token"] = token
        if access_code is not None:
            headers["X-Access-Code"] = access_code
        return await self.http.request(
            method, template.format(**path), params=params, json=body, headers=headers, timeout=30
        )


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = cast(dict[str, Any], response.json())
    assert (body["status"], body["code"]) == (status, code), body
    return body


def assert_hidden(response: httpx.Response, absent: httpx.Response) -> None:
    """Another company's object answers exactly like one that does not exist: no oracle."""
    body = assert_problem(response, 404, "NOT_FOUND")
    assert absent.status_code == 404, absent.text
    assert body == absent.json()


def slot_params(offer: OnlineStudio, **extra: str) -> dict[str, str]:
    return {"start_date": offer.day.isoformat(), "end_date": offer.day.isoformat(), **extra}


async def open_slot_ids(caller: Caller, collection: str, type_id: str, offer: OnlineStudio) -> list[str]:
    response = await caller.http.get(
        f"/v1/{collection}/{type_id}/open-slots", params=slot_params(offer), headers={"X-Api-Key": caller.key}
    )
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["slots"]]


async def booking_of(caller: Caller, booking_id: str, token: str) -> dict[str, Any]:
    response = await caller.http.get(
        f"/v1/bookings/{booking_id}", headers={"X-Api-Key": caller.key, "X-Booking-Token": token}
    )
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


async def book(caller: Caller, slot_id: str, payment_token: str = "") -> dict[str, Any]:
    body = booking_body(slot_id, payment_token=payment_token) if payment_token else booking_body(slot_id)
    response = await caller.http.post("/v1/bookings", json=body, headers={"X-Api-Key": caller.key}, timeout=30)
    assert response.status_code == 201, response.text
    return cast(dict[str, Any], response.json())


def scheduling_of(stack: Stack) -> SchedulingService:
    return SchedulingService(
        stub=stack.services.scheduling,
        database_url=stack.services.scheduling_db,
        nats_url="",
        host=cast(ServiceHost, None),  # only the stub is used
    )


async def offer_appointment(stack: Stack, offer: OnlineStudio, company: str) -> tuple[str, str]:
    """Offer the studio's appointment type online with one open slot at 15:00; (type id, slot id)."""
    meta = company_metadata(company)
    appointment_type = await offer_appointment_type_online(scheduling_of(stack), offer.studio, meta)
    made = await stack.online.CreateTimeSlot(
        opb.CreateTimeSlotRequest(time_slot=appointment_slot(offer.studio, offer.day, (15, 0), (15, 30))),
        metadata=meta,
    )
    return _bare(appointment_type.name), _bare(made.name)


@pytest.mark.postgres
async def test_a_key_of_company_a_reaches_nothing_of_company_b(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        a = Caller(http, stack.keys[COMPANY_A])
        b = Caller(http, stack.keys[COMPANY_B])
        offer_a = await offer_online(stack, COMPANY_A)
        # B's type takes the listed price online: a leaked booking would show up as a charge
        offer_b = await offer_online(
            stack,
            COMPANY_B,
            payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
            payment_amount=5000,
            item_price=15000,
        )
        appt_type_b, appt_slot_b = await offer_appointment(stack, offer_b, COMPANY_B)
        loc_a, loc_b = _bare(offer_a.studio.location.name), _bare(offer_b.studio.location.name)
        booking_b = await book(b, offer_b.slot_id(0), payment_token="tok_sandbox_ok")
        token_b = booking_b["manage_token"]
        booking_a = await book(a, offer_a.slot_id(0))
        charges_before = len(stack.billing.provider.charges)
        assert charges_before == 1

        # --- the catalog: B's locations and types are neither listed nor found ---------------
        listed = await a.call("GET", "/v1/locations")
        assert listed.status_code == 200, listed.text
        assert [loc["id"] for loc in listed.json()["locations"]] == [loc_a]
        assert_hidden(
            await a.call("GET", "/v1/locations/{location_id}", location_id=loc_b),
            await a.call("GET", "/v1/locations/{location_id}", location_id=_random_id()),
        )
        # the studio: each key sees its own company's profile, never another's
        await stack.services.scheduling.UpdateCompanyProfile(
            pb.UpdateCompanyProfileRequest(company_profile=pb.CompanyProfile(display_name="Studio B")),
            metadata=company_metadata(COMPANY_B),
        )
        assert (await b.call("GET", "/v1/studio")).json()["name"] == "Studio B"
        own = await a.call("GET", "/v1/studio")
        assert own.status_code == 200, own.text
        assert own.json()["name"] == ""
        types = await a.call("GET", "/v1/session-types")
        assert [t["id"] for t in types.json()["types"]] == [offer_a.type_id]
        appointment_types = await a.call("GET", "/v1/appointment-types")
        assert appointment_types.status_code == 200, appointment_types.text
        assert appt_type_b not in [t["id"] for t in appointment_types.json()["types"]]
        for collection, type_b in (("session-types", offer_b.type_id), ("appointment-types", appt_type_b)):
            assert_hidden(
                await a.call("GET", f"/v1/{collection}/{{type_id}}", type_id=type_b),
                await a.call("GET", f"/v1/{collection}/{{type_id}}", type_id=_random_id()),
            )
            assert_hidden(
                await a.call(
                    "GET", f"/v1/{collection}/{{type_id}}/open-slots", params=slot_params(offer_b), type_id=type_b
                ),
                await a.call(
                    "GET", f"/v1/{collection}/{{type_id}}/open-slots", params=slot_params(offer_b), type_id=_random_id()
                ),
            )
        # A's own type, asked for at B's location: B's location stays hidden
        assert_hidden(
            await a.call(
                "GET",
                "/v1/session-types/{type_id}/open-slots",
                params=slot_params(offer_a, location=loc_b),
                type_id=offer_a.type_id,
            ),
            await a.call(
                "GET",
                "/v1/session-types/{type_id}/open-slots",
                params=slot_params(offer_a, location=_random_id()),
                type_id=offer_a.type_id,
            ),
        )

        # --- booking B's slots with A's key: 404, nothing booked, held or charged -------------
        for slot_id in (offer_b.slot_id(1), appt_slot_b):
            assert_hidden(
                await a.call("POST", "/v1/bookings", body=booking_body(slot_id, payment_token="tok_sandbox_ok")),
                await a.call("POST", "/v1/bookings", body=booking_body(_random_id(), payment_token="tok_sandbox_ok")),
            )

        # --- B's booking with A's key, even with B's manage token: 404, unchanged --------------
        hidden_booking = await a.call("GET", "/v1/bookings/{booking_id}", token=token_b, booking_id=booking_b["id"])
        assert_hidden(
            hidden_booking,
            await a.call("GET", "/v1/bookings/{booking_id}", token=token_b, booking_id=_random_id()),
        )
        assert_hidden(
            await a.call("GET", "/v1/bookings/{booking_id}/calendar.ics", token=token_b, booking_id=booking_b["id"]),
            await a.call("GET", "/v1/bookings/{booking_id}/calendar.ics", token=token_b, booking_id=_random_id()),
        )
        assert_hidden(
            await a.call(
                "POST",
                "/v1/bookings/{booking_id}/reschedule",
                body={"slot_id": offer_b.slot_id(2)},
                token=token_b,
                booking_id=booking_b["id"],
            ),
            await a.call(
                "POST",
                "/v1/bookings/{booking_id}/reschedule",
                body={"slot_id": offer_b.slot_id(2)},
                token=token_b,
                booking_id=_random_id(),
            ),
        )
        assert_hidden(
            await a.call(
                "POST", "/v1/bookings/{booking_id}/cancel", body={}, token=token_b, booking_id=booking_b["id"]
            ),
            await a.call("POST", "/v1/bookings/{booking_id}/cancel", body={}, token=token_b, booking_id=_random_id()),
        )
        # A's own booking cannot be moved onto B's slot either
        assert_hidden(
            await a.call(
                "POST",
                "/v1/bookings/{booking_id}/reschedule",
                body={"slot_id": offer_b.slot_id(3)},
                token=booking_a["manage_token"],
                booking_id=booking_a["id"],
            ),
            await a.call(
                "POST",
                "/v1/bookings/{booking_id}/reschedule",
                body={"slot_id": _random_id()},
                token=booking_a["manage_token"],
                booking_id=booking_a["id"],
            ),
        )

        # --- clients A registers land in A, never in B ----------------------------------------
        registered = await a.call("POST", "/v1/clients", body={"given_name": "Only", "emails": ["only@a.example"]})
        assert registered.status_code == 201, registered.text
        client_name = f"clients/{registered.json()['id']}"
        with pytest.raises(grpc.aio.AioRpcError) as hidden_client:
            await stack.services.clients.GetClient(
                clients_pb2.GetClientRequest(name=client_name), metadata=company_metadata(COMPANY_B)
            )
        assert hidden_client.value.code() == grpc.StatusCode.NOT_FOUND
        await stack.services.clients.GetClient(
            clients_pb2.GetClientRequest(name=client_name), metadata=company_metadata(COMPANY_A)
        )

        # --- the picture day portal: a code opens only its own family's day, in its own company;
        # any other code (B's, tests/integration/test_picture_days.py, or none at all) reaches nothing
        not_a_code = "a-code-of-nobody-at-all"
        for method, template, body in (
            ("GET", "/v1/picture-day", None),
            ("POST", "/v1/picture-day/bookings", {"slot_id": _random_id(), "children": ["clients/x"]}),
            ("POST", "/v1/picture-day/bookings/{booking_id}/reschedule", {"slot_id": _random_id()}),
            ("POST", "/v1/picture-day/bookings/{booking_id}/cancel", None),
        ):
            refused = await a.call(method, template, body=body, access_code=not_a_code, booking_id=_random_id())
            assert_problem(refused, 404, "ACCESS_CODE_NOT_FOUND")

        assert a.covered >= await v1_operations(http), "a /v1 route has no cross-company case"

        # --- and B sees everything of its own as it was ---------------------------------------
        assert len(stack.billing.provider.charges) == charges_before
        assert await open_slot_ids(b, "session-types", offer_b.type_id, offer_b) == [
            offer_b.slot_id(i) for i in (1, 2, 3)
        ]
        assert await open_slot_ids(b, "appointment-types", appt_type_b, offer_b) == [appt_slot_b]
        unchanged = await booking_of(b, booking_b["id"], token_b)
        assert unchanged["status"] == "confirmed"
        assert (unchanged["start_time"], unchanged["location"]["id"]) == (booking_b["start_time"], loc_b)
        mine = await booking_of(a, booking_a["id"], booking_a["manage_token"])
        assert (mine["status"], mine["start_time"]) == ("confirmed", booking_a["start_time"])
        # the slot A tried to book was never held: B books it now, and pays once
        await book(b, offer_b.slot_id(1), payment_token="tok_sandbox_ok")
        assert len(stack.billing.provider.charges) == charges_before + 1


@pytest.mark.postgres
async def test_a_location_scoped_key_reaches_only_its_locations(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        here = await offer_online(stack, COMPANY_A)
        there = await offer_online(stack, COMPANY_A)  # another location of the same company
        loc_here, loc_there = _bare(here.studio.location.name), _bare(there.studio.location.name)
        # `here`'s type is also sold at the other location, at 14:00
        elsewhere_msg = slot(there.studio, there.day, (14, 0), (15, 0))
        elsewhere_msg.session_type = here.studio.session_type.name
        elsewhere = _bare(
            (
                await stack.online.CreateTimeSlot(
                    opb.CreateTimeSlotRequest(time_slot=elsewhere_msg), metadata=company_metadata(COMPANY_A)
                )
            ).name
        )
        db = Database(stack.gateway_db)
        try:
            scoped_key = await issue_key(db, COMPANY_A, "one location", location_ids=[loc_here])
        finally:
            await db.dispose()
        whole = Caller(http, stack.keys[COMPANY_A])
        scoped = Caller(http, scoped_key)
        booked_there = await book(whole, there.slot_id(0))
        token_there = booked_there["manage_token"]

        locations = await scoped.call("GET", "/v1/locations")
        assert [loc["id"] for loc in locations.json()["locations"]] == [loc_here]
        assert_hidden(
            await scoped.call("GET", "/v1/locations/{location_id}", location_id=loc_there),
            await scoped.call("GET", "/v1/locations/{location_id}", location_id=_random_id()),
        )
        # the same type: the whole-company key sees both locations' slots, the scoped key one
        assert await open_slot_ids(whole, "session-types", here.type_id, here) == [
            *(here.slot_id(i) for i in range(4)),
            elsewhere,
        ]
        assert await open_slot_ids(scoped, "session-types", here.type_id, here) == [here.slot_id(i) for i in range(4)]
        assert await open_slot_ids(scoped, "session-types", there.type_id, there) == []
        assert_hidden(
            await scoped.call(
                "GET",
                "/v1/session-types/{type_id}/open-slots",
                params=slot_params(here, location=loc_there),
                type_id=here.type_id,
            ),
            await scoped.call(
                "GET",
                "/v1/session-types/{type_id}/open-slots",
                params=slot_params(here, location=_random_id()),
                type_id=here.type_id,
            ),
        )

        # booking a slot of the other location: 404, and the slot stays open
        for slot_id in (elsewhere, there.slot_id(1)):
            assert_hidden(
                await scoped.call("POST", "/v1/bookings", body=booking_body(slot_id)),
                await scoped.call("POST", "/v1/bookings", body=booking_body(_random_id())),
            )
        assert elsewhere in await open_slot_ids(whole, "session-types", here.type_id, here)
        assert there.slot_id(1) in await open_slot_ids(whole, "session-types", there.type_id, there)

        # a booking at the other location, with its token: 404 on every manage route, unchanged
        for method, template, body in (
            ("GET", "/v1/bookings/{booking_id}", None),
            ("GET", "/v1/bookings/{booking_id}/calendar.ics", None),
            ("POST", "/v1/bookings/{booking_id}/reschedule", {"slot_id": there.slot_id(2)}),
            ("POST", "/v1/bookings/{booking_id}/cancel", {}),
        ):
            assert_hidden(
                await scoped.call(method, template, body=body, token=token_there, booking_id=booked_there["id"]),
                await scoped.call(method, template, body=body, token=token_there, booking_id=_random_id()),
            )
        unchanged = await booking_of(whole, booked_there["id"], token_there)
        assert (unchanged["status"], unchanged["start_time"]) == ("confirmed", booked_there["start_time"])

        # its own location works, but its booking cannot move to the other location
        mine = await book(scoped, here.slot_id(0))
        moved = await scoped.call(
            "POST",
            "/v1/bookings/{booking_id}/reschedule",
            body={"slot_id": elsewhere},
            token=mine["manage_token"],
            booking_id=mine["id"],
        )
        assert_problem(moved, 404, "NOT_FOUND")
        after = await booking_of(scoped, mine["id"], mine["manage_token"])
        assert (after["start_time"], after["location"]["id"]) == (mine["start_time"], loc_here)
        assert elsewhere in await open_slot_ids(whole, "session-types", here.type_id, here)


def _call_for(
    operation: str, type_id: str, params: dict[str, str]
) -> tuple[str, str, dict[str, str], dict[str, str], Any]:
    """A well-formed call of a documented operation (so only the key can be what is refused)."""
    method, template = operation.split(" ", 1)
    path = template.format(location_id=_random_id(), type_id=type_id, booking_id=_random_id())
    query = params if template.endswith("/open-slots") else {}
    headers = {"X-Booking-Token": "some-token"} if "{booking_id}" in template else {}
    if template.startswith("/v1/picture-day"):
        headers["X-Access-Code"] = "some-code"
    body: Any = None
    if template == "/v1/picture-day/bookings":
        body = {"slot_id": _random_id(), "children": ["clients/x"]}
    elif template == "/v1/bookings":
        body = booking_body(_random_id())
    elif template.endswith("/reschedule"):
        body = {"slot_id": _random_id()}
    elif template.endswith("/cancel"):
        body = {}
    elif template == "/v1/clients":
        body = {"given_name": "Nobody"}
    return method, path, query, headers, body


@pytest.mark.postgres
async def test_a_revoked_unknown_or_forged_key_is_refused_on_every_route(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~90 refused calls from one address: above the per-address budget for calls without a
    # valid key, which answers 429 after it (tests/integration/test_gateway_hostile.py)
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_AUTH_FAILURES_PER_MINUTE", "1000")
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack, COMPANY_A)
        db = Database(stack.gateway_db)
        try:
            key = await issue_key(db, COMPANY_A, "soon revoked")
            works = await http.get("/v1/locations", headers={"X-Api-Key": key})
            assert works.status_code == 200, works.text
            parsed = split_key(key)
            assert parsed is not None
            key_id, secret = parsed
            assert await revoke_key(db, key_id)
        finally:
            await db.dispose()
        # the gateway had the key in its cache: its revocation event takes it out (within the bound)
        deadline = time.monotonic() + REVOCATION_SECONDS
        while (await http.get("/v1/locations", headers={"X-Api-Key": key})).status_code != 401:
            assert time.monotonic() < deadline, "the revoked key is still accepted"
            await asyncio.sleep(0.05)
        booked = await book(Caller(http, stack.keys[COMPANY_A]), offer.slot_id(0))

        refused = {
            "revoked": {"X-Api-Key": key},
            "missing": {},
            "empty": {"X-Api-Key": ""},
            "wrong secret": {"X-Api-Key": f"sbk_{key_id}_{secret[:-1]}x" if secret[-1] != "x" else f"sbk_{key_id}_y"},
            "unknown id": {"X-Api-Key": f"sbk_{uuid.uuid4().hex[:16]}_{secret}"},
            "not a key": {"X-Api-Key": "Bearer something"},
            "company id as key": {"X-Api-Key": COMPANY_A},
        }
        operations = await v1_operations(http)
        for operation in sorted(operations):
            method, path, query, extra, body = _call_for(operation, offer.type_id, slot_params(offer))
            for what, headers in refused.items():
                response = await http.request(method, path, params=query, json=body, headers={**headers, **extra})
                assert response.status_code == 401, (operation, what, response.text)
                assert response.json()["code"] == "UNAUTHENTICATED", (operation, what, response.text)
                assert response.headers.get("www-authenticate") == "ApiKey", (operation, what)
        # even with the right manage token, a refused key reaches no booking
        for headers in refused.values():
            response = await http.get(
                f"/v1/bookings/{booked['id']}", headers={**headers, "X-Booking-Token": booked["manage_token"]}
            )
            assert response.status_code == 401, response.text
            cancel = await http.post(
                f"/v1/bookings/{booked['id']}/cancel",
                json={},
                headers={**headers, "X-Booking-Token": booked["manage_token"]},
            )
            assert cancel.status_code == 401, cancel.text
        still = await booking_of(Caller(http, stack.keys[COMPANY_A]), booked["id"], booked["manage_token"])
        assert still["status"] == "confirmed"


def _names(field_name: str, body: dict[str, Any]) -> bool:
    """Whether the problem names the unknown field: its path, or its name in the detail of an
    error about the object holding it (`client.company`: field `client`, detail naming `company`)."""
    parent, _, leaf = field_name.rpartition(".")
    return any(
        e.get("field") == field_name or (f"`{leaf}`" in str(e.get("detail")) and str(e.get("field")).startswith(parent))
        for e in body["errors"]
    )


@pytest.mark.postgres
async def test_unknown_body_fields_are_refused_and_nothing_is_applied(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(
            stack,
            COMPANY_A,
            payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
            payment_amount=5000,
            item_price=15000,
        )
        a = Caller(http, stack.keys[COMPANY_A])
        target = offer.slot_id(1)
        ok = booking_body(target, payment_token="tok_sandbox_ok")
        client = cast(dict[str, Any], ok["client"])
        attempts: list[tuple[str, dict[str, Any]]] = [
            ("status", {**ok, "status": "cancelled"}),
            ("price", {**ok, "price": {"amount_minor": 1, "currency_code": "USD"}}),
            ("company", {**ok, "company": "companies/" + COMPANY_B}),
            ("company_id", {**ok, "company_id": COMPANY_B}),
            ("client.company", {**ok, "client": {**client, "company": COMPANY_B}}),
            ("client.company_id", {**ok, "client": {**client, "company_id": COMPANY_B}}),
            (
                "participants.company",
                {**ok, "participants": [{"given_name": "Kid", "relationship": "child", "company": COMPANY_B}]},
            ),
        ]
        for field_name, body in attempts:
            refused = await a.call("POST", "/v1/bookings", body=body)
            problem = assert_problem(refused, 400, "INVALID_REQUEST")
            assert _names(field_name, problem), (field_name, problem)
        assert stack.billing.provider.charges == {}
        assert target in await open_slot_ids(a, "session-types", offer.type_id, offer)

        booked = await book(a, offer.slot_id(0), payment_token="tok_sandbox_ok")
        token = booked["manage_token"]
        manage: list[tuple[str, str, dict[str, Any]]] = [
            ("/v1/bookings/{booking_id}/reschedule", "status", {"slot_id": target, "status": "cancelled"}),
            ("/v1/bookings/{booking_id}/reschedule", "company_id", {"slot_id": target, "company_id": COMPANY_B}),
            ("/v1/bookings/{booking_id}/reschedule", "start_time", {"slot_id": target, "start_time": "2030-01-01"}),
            ("/v1/bookings/{booking_id}/cancel", "status", {"status": "confirmed"}),
            ("/v1/bookings/{booking_id}/cancel", "refund", {"refund": True}),
            ("/v1/bookings/{booking_id}/cancel", "company", {"company": COMPANY_B}),
        ]
        for template, field_name, body in manage:
            refused = await a.call("POST", template, body=body, token=token, booking_id=booked["id"])
            problem = assert_problem(refused, 400, "INVALID_REQUEST")
            assert _names(field_name, problem), (template, field_name, problem)
        after = await booking_of(a, booked["id"], token)
        assert (after["status"], after["start_time"]) == ("confirmed", booked["start_time"])
        assert target in await open_slot_ids(a, "session-types", offer.type_id, offer)
        assert len(stack.billing.provider.charges) == 1

        # the same bodies without the extra fields go through: the field alone was refused
        moved = await a.call(
            "POST",
            "/v1/bookings/{booking_id}/reschedule",
            body={"slot_id": target},
            token=token,
            booking_id=booked["id"],
        )
        assert moved.status_code == 200, moved.text
        cancelled = await a.call(
            "POST", "/v1/bookings/{booking_id}/cancel", body={}, token=token, booking_id=booked["id"]
        )
        assert cancelled.json()["status"] == "cancelled"
