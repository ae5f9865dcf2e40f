"""The gateway's key administration for the console (`/admin/...`): staff named by a signed
caller token; owners list, issue and revoke their company's keys (never another company's);
managers get the booking page's publishable key (issued on first use, the same one after);
a revoked key stops working on the public API within the revocation bound; bad input is a
problem naming the field; no token, a forged one, or a partner key is 401."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway.application.api_keys import REVOCATION_SECONDS
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.scheduling_support import COMPANY_A, COMPANY_B
from tests.stack_support import booking_stack


def staff(company: str, role: Role) -> dict[str, str]:
    return dict(call_metadata(Caller(company, CallerKind.STAFF, f"staff-{role.value}", roles=frozenset({role}))))


async def test_owners_administer_keys_managers_get_the_booking_key(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_AUTH_FAILURES_PER_MINUTE", "1000")
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        owner, manager, desk = (staff(COMPANY_A, r) for r in (Role.OWNER, Role.MANAGER, Role.FRONT_DESK))
        for headers in ({}, {"authorization": "Bearer forged.token.here"}, {"X-Api-Key": stack.keys[COMPANY_A]}):
            refused = await http.get("/admin/apiKeys", headers=headers)
            assert refused.status_code == 401, refused.text
        assert (await http.get("/admin/apiKeys", headers=manager)).status_code == 403
        assert (await http.post("/admin/bookingPageKey", headers=desk)).status_code == 403

        # the booking page's key: issued on first use, the same one after; it reads the catalog
        first = await http.post("/admin/bookingPageKey", headers=manager)
        assert first.status_code == 200, first.text
        page_key = first.json()["publishable_key"]
        assert page_key.startswith("pbk_")
        assert (await http.post("/admin/bookingPageKey", headers=manager)).json()["publishable_key"] == page_key
        assert (await http.get("/v1/locations", headers={"X-Api-Key": page_key})).status_code == 200

        # owners: issue a secret key (seen once), list (publishable keys in full, secrets never)
        bad = await http.post("/admin/apiKeys", headers=owner, json={"label": " ", "kind": "master"})
        assert bad.status_code == 422, bad.text
        assert {e["field"] for e in bad.json()["errors"]} == {"label", "kind"}
        issued = await http.post("/admin/apiKeys", headers=owner, json={"label": "Yearbook partner", "kind": "secret"})
        assert issued.status_code == 201, issued.text
        secret_key = issued.json()["key"]
        assert secret_key.startswith("sbk_")
        assert (await http.get("/v1/locations", headers={"X-Api-Key": secret_key})).status_code == 200
        listed = (await http.get("/admin/apiKeys", headers=owner)).json()["apiKeys"]
        by_id = {k["key_id"]: k for k in listed}
        page_id, secret_id = page_key.split("_")[1], secret_key.split("_")[1]
        assert by_id[page_id]["kind"] == "publishable"
        assert by_id[page_id]["publishable_key"] == page_key
        assert by_id[secret_id]["publishable_key"] == ""
        assert secret_key.split("_", 2)[2] not in str(listed)
        assert all(k["state"] == "active" for k in listed)
        other = (await http.get("/admin/apiKeys", headers=staff(COMPANY_B, Role.OWNER))).json()["apiKeys"]
        assert page_id not in {k["key_id"] for k in other}

        # another company's owner cannot revoke it; its own owner can, and it stops working
        assert (
            await http.post(f"/admin/apiKeys/{page_id}/revoke", headers=staff(COMPANY_B, Role.OWNER))
        ).status_code == 404
        assert (await http.post(f"/admin/apiKeys/{page_id}/revoke", headers=manager)).status_code == 403
        revoked = await http.post(f"/admin/apiKeys/{page_id}/revoke", headers=owner)
        assert revoked.status_code == 200, revoked.text
        assert (await http.post(f"/admin/apiKeys/{page_id}/revoke", headers=owner)).status_code == 404
        deadline = time.monotonic() + REVOCATION_SECONDS
        while (await http.get("/v1/locations", headers={"X-Api-Key": page_key})).status_code != 401:
            assert time.monotonic() < deadline, "the revoked key is still accepted"
            await asyncio.sleep(0.05)
        listed = (await http.get("/admin/apiKeys", headers=owner)).json()["apiKeys"]
        assert {k["key_id"]: k["state"] for k in listed}[page_id] == "revoked"
        # the next booking URL gets a new key
        fresh = (await http.post("/admin/bookingPageKey", headers=manager)).json()["publishable_key"]
        assert fresh.startswith("pbk_")
        assert fresh != page_key
        assert (await http.get("/v1/locations", headers={"X-Api-Key": secret_key})).status_code == 200
