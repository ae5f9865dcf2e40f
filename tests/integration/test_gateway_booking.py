"""The public booking API end to end: real services, real databases, real NATS, real HTTP."""

from __future__ import annotations

import httpx
import pytest

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, statements_on
from shutterbook_gateway.application import idempotency_keys as keys
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A
from tests.reliability.test_gateway_saga import booking_records
from tests.stack_support import booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio


async def test_book_view_reschedule_and_cancel_without_payment(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        types = (await http.get("/v1/session-types", headers=stack.headers())).json()["types"]
        assert [t["id"] for t in types] == [offer.type_id]
        assert types[0]["name"] == "Family Portrait Online"
        assert types[0]["payment"] == {"required": False, "option": "none", "amount": None, "accepts_promo_code": False}
        assert types[0]["booking_url"].endswith(f"/book/session-types/{offer.type_id}")

        params = {
            "start_date": offer.day.isoformat(),
            "end_date": offer.day.isoformat(),
            "time_zone": "America/Los_Angeles",
        }
        slots = (
            await http.get(f"/v1/session-types/{offer.type_id}/open-slots", params=params, headers=stack.headers())
        ).json()
        assert [s["id"] for s in slots["slots"]] == [offer.slot_id(i) for i in range(4)]
        assert slots["slots"][0]["local_start"].startswith(f"{offer.day.isoformat()}T06:00:00-0")  # 09:00 New York

        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
        assert created.status_code == 201, created.text
        booking = created.json()
        assert booking["status"] == "confirmed"
        assert booking["location"]["address_text"] == "Downtown Studio, 1 Main St"
        assert booking["local_start"].startswith(f"{offer.day.isoformat()}T09:00:00")
        token = booking["manage_token"]
        assert booking["manage_url"].endswith(f"/book/manage/{booking['id']}#token={token}")
        # nothing to pay: no hold first, the slot booked in one call (BookOnline from the slot)
        [record] = await booking_records(stack)
        assert (record.id, record.hold, record.state) == (booking["id"], "", "confirmed")

        session = await stack.services.scheduling.GetSession(
            pb.GetSessionRequest(name=f"sessions/{booking['id']}"), metadata=company_metadata(COMPANY_A)
        )
        assert session.booked_online
        assert session.confirmed  # online, booked is confirmed: staff see what the customer was told
        assert session.client == f"clients/{booking['client_id']}"

        after = (
            await http.get(f"/v1/session-types/{offer.type_id}/open-slots", params=params, headers=stack.headers())
        ).json()
        assert offer.slot_id(0) not in [s["id"] for s in after["slots"]]

        manage = stack.headers(**{"X-Booking-Token": token})
        assert (await http.get(f"/v1/bookings/{booking['id']}", headers=manage)).json()["id"] == booking["id"]
        wrong = stack.headers(**{"X-Booking-Token": "not-the-token"})
        assert (await http.get(f"/v1/bookings/{booking['id']}", headers=wrong)).status_code == 404

        moved = await http.post(
            f"/v1/bookings/{booking['id']}/reschedule", json={"slot_id": offer.slot_id(2)}, headers=manage
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["local_start"].startswith(f"{offer.day.isoformat()}T11:00:00")

        cancelled = await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        reopened = (
            await http.get(f"/v1/session-types/{offer.type_id}/open-slots", params=params, headers=stack.headers())
        ).json()
        assert {offer.slot_id(0), offer.slot_id(2)} <= {s["id"] for s in reopened["slots"]}


async def test_listed_price_payment_lands_on_the_auto_created_invoice(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(
            stack, payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE, payment_amount=5000, item_price=15000
        )
        t = (await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers())).json()
        assert t["payment"]["option"] == "invoice_listed_price"
        assert t["payment"]["amount"]["amount_minor"] == 5000

        missing = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["field"] == "payment_token"

        created = await http.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok"), headers=stack.headers()
        )
        assert created.status_code == 201, created.text
        payment = created.json()["payment"]
        assert payment["charged"] == {"amount_minor": 5000, "currency_code": "USD"}
        [record] = await booking_records(stack)  # a payment: the slot held first, the hold decides
        assert record.hold.startswith("slotHolds/")
        assert record.state == "confirmed"
        invoice = await stack.billing.stub.GetInvoice(
            billing_pb2.GetInvoiceRequest(name=f"invoices/{payment['invoice_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert invoice.session == f"sessions/{created.json()['id']}"
        assert invoice.total.amount_minor == 15000
        assert invoice.amount_paid.amount_minor == 5000
        assert len(stack.billing.provider.charges) == 1

        declined = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(1), payment_token="tok_sandbox_declined"),
            headers=stack.headers(),
        )
        assert declined.status_code == 402, declined.text
        assert declined.json()["code"] == "PAYMENT_DECLINED"
        slots = await http.get(
            f"/v1/session-types/{offer.type_id}/open-slots",
            params={"start_date": offer.day.isoformat(), "end_date": offer.day.isoformat()},
            headers=stack.headers(),
        )
        assert offer.slot_id(1) in [s["id"] for s in slots.json()["slots"]]  # released, not left held


async def test_full_amount_is_the_invoice_total_after_the_promo_code(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(
            stack, payment_option=pb.PAYMENT_OPTION_INVOICE_FULL_AMOUNT, item_price=20000, online_promotions=["TEN"]
        )
        await stack.billing.stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(
                promotion=billing_pb2.Promotion(display_name="Ten off", code="TEN", percent_off_bps=1000)
            ),
            metadata=company_metadata(COMPANY_A),
        )
        t = (await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers())).json()
        assert t["payment"] == {
            "required": True,
            "option": "invoice_full_amount",
            "amount": None,
            "accepts_promo_code": True,
        }

        bad_code = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok", promo_code="NOPE"),
            headers=stack.headers(),
        )
        assert bad_code.status_code in (409, 422), bad_code.text
        assert stack.billing.provider.charges == {}

        created = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok", promo_code="TEN"),
            headers=stack.headers(),
        )
        assert created.status_code == 201, created.text
        payment = created.json()["payment"]
        assert payment["charged"] == {"amount_minor": 18000, "currency_code": "USD"}  # 200.00 less 10 %
        assert payment["promo_code"] == "TEN"
        invoice = await stack.billing.stub.GetInvoice(
            billing_pb2.GetInvoiceRequest(name=f"invoices/{payment['invoice_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert invoice.status == billing_pb2.INVOICE_STATUS_PAID
        assert invoice.balance.amount_minor == 0


async def test_customer_deposit_is_taken_on_the_client(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack, payment_option=pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT, payment_amount=2500)
        promo = await http.post(
            "/v1/bookings",
            json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok", promo_code="TEN"),
            headers=stack.headers(),
        )
        assert promo.status_code == 422
        assert promo.json()["errors"][0]["field"] == "promo_code"

        created = await http.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok"), headers=stack.headers()
        )
        assert created.status_code == 201, created.text
        booking = created.json()
        deposit = await stack.billing.stub.GetDeposit(
            billing_pb2.GetDepositRequest(name=f"deposits/{booking['payment']['deposit_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert deposit.client == f"clients/{booking['client_id']}"
        assert deposit.amount.amount_minor == 2500
        assert deposit.session == f"sessions/{booking['id']}"


async def test_a_keyed_booking_keeps_its_answer_in_the_confirmed_commit_byte_for_byte(
    databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 201 rendered before the CONFIRMED commit is the one kept there (the middleware has
    nothing left to write after the response) and the one sent: its replay is the same bytes.
    On PostgreSQL that commit is one statement: the record's UPDATE, the key's and the event's
    outbox row (kit `write_in_one`)."""
    finished: list[tuple[str, int]] = []
    finish = keys.finish

    async def recorded_finish(db: Database, owner: str, key: str, status: int, content_type: str, body: bytes) -> None:
        finished.append((key, status))
        await finish(db, owner, key, status, content_type, body)

    monkeypatch.setattr(keys, "finish", recorded_finish)
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        body = booking_body(offer.slot_id(0), email="kept@example.com")
        headers = stack.headers(**{"Idempotency-Key": "kept-1"})
        with statements_on("online_bookings", "gateway_idempotency_keys") as seen:
            first = await http.post("/v1/bookings", json=body, headers=headers)
        assert first.status_code == 201, first.text
        assert finished == []  # kept in the CONFIRMED commit: the response it sent is that answer
        writes = [w.split(" (", 1)[0].split(" AS")[0] for w in seen if not w.startswith("SELECT")]
        if databases.backend == "postgres":  # the key's claim, the record, the confirmation
            assert writes == ["INSERT INTO gateway_idempotency_keys", "INSERT INTO online_bookings", "WITH effect"]
            assert "key_kept AS (UPDATE gateway_idempotency_keys" in seen[-1]
            assert "outbox_rows AS (INSERT INTO" in seen[-1]
        replay = await http.post("/v1/bookings", json=body, headers=headers)
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.headers["content-type"] == first.headers["content-type"] == "application/json"
        assert replay.content == first.content
        assert finished == []
