"""Publishable keys (pbk_) for booking pages: only the catalog and the booking routes, only
from the origins the studio listed (and the gateway's own), CORS accordingly; secret keys never
in a page's URL."""

from __future__ import annotations

import httpx
import pytest

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway.application.api_keys import issue_key, split_key
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A
from tests.stack_support import booking_body, booking_stack, offer_online

PROBLEM = "application/problem+json"
STUDIO = "https://studio.example"
ELSEWHERE = "https://evil.example"


async def test_a_publishable_key_books_from_its_origins_and_nothing_else(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        db = Database(stack.gateway_db)
        try:
            page_key = await issue_key(db, COMPANY_A, "booking page", publishable=True, allowed_origins=[STUDIO])
        finally:
            await db.dispose()
        assert page_key.startswith("pbk_")
        offer = await offer_online(stack)
        from_studio = {"X-Api-Key": page_key, "Origin": STUDIO}

        # every route that is not the catalog's, a booking's or the picture day portal's needs a secret key
        spec = (await http.get("/docs/openapi.json")).json()
        secret_only = [
            (method, path)
            for path, item in spec["paths"].items()
            for method, op in item.items()
            if path.startswith("/v1/") and not set(op.get("tags", [])) & {"catalog", "bookings", "picture day"}
        ]
        assert ("post", "/v1/clients") in secret_only
        for method, path in secret_only:
            refused = await http.request(method.upper(), path, headers=from_studio, json={"given_name": "A"})
            assert refused.status_code == 403, (method, path, refused.text)
            assert refused.headers["content-type"].startswith(PROBLEM)
            assert refused.json()["code"] == "SECRET_KEY_REQUIRED"

        # the catalog from the studio's site: allowed, with CORS for that origin
        types = await http.get("/v1/session-types", headers=from_studio)
        assert types.status_code == 200, types.text
        assert types.headers["access-control-allow-origin"] == STUDIO
        assert "Origin" in types.headers["vary"]
        # from any other site: refused, whether it says so in Origin or in Referer
        for elsewhere in ({"Origin": ELSEWHERE}, {"Referer": f"{ELSEWHERE}/book-with-us"}):
            refused = await http.get("/v1/session-types", headers={"X-Api-Key": page_key, **elsewhere})
            assert refused.status_code == 403
            assert refused.json()["code"] == "ORIGIN_NOT_ALLOWED"
            assert "access-control-allow-origin" not in refused.headers
        # the gateway's own booking page is always an allowed origin
        own = await http.get("/v1/session-types", headers={"X-Api-Key": page_key, "Referer": f"{stack.base_url}/book"})
        assert own.status_code == 200
        # ... by whatever address it was opened at (a browser sets Origin; no page elsewhere can)
        port = stack.base_url.rsplit(":", 1)[1]
        local = {"X-Api-Key": page_key, "Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
        assert (await http.get("/v1/session-types", headers=local)).status_code == 200
        evil_host = {"X-Api-Key": page_key, "Host": "evil.example", "Origin": f"http://localhost:{port}"}
        assert (await http.get("/v1/session-types", headers=evil_host)).status_code == 403

        # a preflight is answered for the API; the real request decides
        preflight = await http.options(
            "/v1/bookings",
            headers={
                "Origin": STUDIO,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == STUDIO
        assert "X-Api-Key" in preflight.headers["access-control-allow-headers"]

        # book, view, reschedule and cancel its own booking
        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=from_studio)
        assert created.status_code == 201, created.text
        booking = created.json()
        manage = {**from_studio, "X-Booking-Token": booking["manage_token"]}
        assert (await http.get(f"/v1/bookings/{booking['id']}", headers=manage)).status_code == 200
        moved = await http.post(
            f"/v1/bookings/{booking['id']}/reschedule", json={"slot_id": offer.slot_id(1)}, headers=manage
        )
        assert moved.status_code == 200, moved.text
        cancelled = await http.post(f"/v1/bookings/{booking['id']}/cancel", headers=manage)
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"

        # the key's id with the secret prefix is no key at all; a secret key gets no CORS
        parsed = split_key(page_key)
        assert parsed is not None
        forged = await http.get("/v1/session-types", headers={"X-Api-Key": f"sbk_{parsed[0]}_{parsed[1]}"})
        assert forged.status_code == 401
        secret = await http.get("/v1/session-types", headers=stack.headers(Origin=STUDIO))
        assert secret.status_code == 200
        assert "access-control-allow-origin" not in secret.headers


async def test_a_secret_key_in_a_booking_page_url_is_refused(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        db = Database(stack.gateway_db)
        try:
            page_key = await issue_key(db, COMPANY_A, "booking page", publishable=True)
        finally:
            await db.dispose()
        for path in ("/book", "/book/session-types/x", "/book/manage/x"):
            refused = await http.get(path, params={"key": stack.keys[COMPANY_A]})
            assert refused.status_code == 400
            assert "secret API key" in refused.text
            assert (await http.get(path, params={"key": page_key})).status_code == 200


async def test_a_publishable_key_is_rate_limited_per_visitor(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE", "3")
    async with booking_stack(sqlite_databases, nats_server.url) as stack:
        db = Database(stack.gateway_db)
        try:
            page_key = await issue_key(db, COMPANY_A, "booking page", publishable=True)
        finally:
            await db.dispose()

        def visitor(address: str) -> httpx.AsyncClient:
            transport = httpx.AsyncHTTPTransport(local_address=address)
            return httpx.AsyncClient(base_url=stack.base_url, transport=transport, timeout=30)

        async with visitor("127.0.0.2") as first, visitor("127.0.0.3") as second:
            statuses = [
                (await first.get("/v1/locations", headers={"X-Api-Key": page_key})).status_code for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            # another visitor of the same page still has the key's whole budget
            assert (await second.get("/v1/locations", headers={"X-Api-Key": page_key})).status_code == 200
            # a secret key is one partner's: its budget is the key's, wherever it calls from
            secret = stack.headers()
            assert [(await first.get("/v1/locations", headers=secret)).status_code for _ in range(3)] == [200] * 3
            assert (await second.get("/v1/locations", headers=secret)).status_code == 429
