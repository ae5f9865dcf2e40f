"""Only the promo codes a type offers online ("promotional items offered online", page 05) are
accepted by the public booking API, over real services (gateway, scheduling, billing,
clients): a code billing knows but the type does not offer online is refused with a 422
problem naming `promo_code`, nothing is charged and the slot stays open; the offered one
(given as billing's promotion, typed in lower case) is applied; a type offering no
promotions online takes no code at all."""

from __future__ import annotations

import httpx

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from tests.helpers import COMPANY_A
from tests.stack_support import Stack, booking_body, booking_stack, offer_online


async def _promotion(stack: Stack, code: str, bps: int) -> billing_pb2.Promotion:
    return await stack.billing.stub.CreatePromotion(
        billing_pb2.CreatePromotionRequest(
            promotion=billing_pb2.Promotion(display_name=code.title(), code=code, percent_off_bps=bps)
        ),
        metadata=company_metadata(COMPANY_A),
    )


async def _open_slot_ids(http: httpx.AsyncClient, stack: Stack, type_id: str, day: str) -> list[str]:
    reply = await http.get(
        f"/v1/session-types/{type_id}/open-slots",
        params={"start_date": day, "end_date": day},
        headers=stack.headers(),
    )
    assert reply.status_code == 200, reply.text
    return [s["id"] for s in reply.json()["slots"]]


async def test_a_promo_code_not_offered_online_for_the_type_is_refused(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        ten = await _promotion(stack, "TEN", 1000)
        await _promotion(stack, "STAFF50", 5000)  # a real code, for staff at the desk only
        offer = await offer_online(
            stack,
            payment_option=pb.PAYMENT_OPTION_INVOICE_FULL_AMOUNT,
            item_price=20000,
            online_promotions=[ten.name],
        )
        t = (await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers())).json()
        assert t["payment"]["accepts_promo_code"] is True

        refused = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok", promo_code="STAFF50"),
            headers=stack.headers(),
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["promo_code"]
        assert "not offered online" in refused.json()["errors"][0]["detail"]
        assert stack.billing.provider.charges == {}
        assert offer.slot_id(0) in await _open_slot_ids(http, stack, offer.type_id, offer.day.isoformat())

        booked = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok", promo_code="ten"),
            headers=stack.headers(),
        )
        assert booked.status_code == 201, booked.text
        assert booked.json()["payment"]["charged"] == {"amount_minor": 18000, "currency_code": "USD"}
        assert booked.json()["payment"]["promo_code"].upper() == "TEN"


async def test_a_type_offering_no_promotions_online_takes_no_code(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        await _promotion(stack, "TEN", 1000)
        offer = await offer_online(stack, payment_option=pb.PAYMENT_OPTION_INVOICE_FULL_AMOUNT, item_price=20000)
        t = (await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers())).json()
        assert t["payment"]["accepts_promo_code"] is False
        refused = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok", promo_code="TEN"),
            headers=stack.headers(),
        )
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["promo_code"]
        assert stack.billing.provider.charges == {}
