"""What the customer sees before paying (tax, total, due now, balance) and the type's
cancellation policy applied when cancelling online: real services, databases, NATS and HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from tests.helpers import COMPANY_A
from tests.online_support import pdate
from tests.stack_support import booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio


def read_event(ics: bytes) -> Any:
    cal = Calendar.from_ical(ics)
    assert str(cal["method"]) == "PUBLISH"
    assert len(cal.walk("VTIMEZONE")) == 1
    (event,) = cal.walk("VEVENT")
    return event


def usd(amount: int) -> dict[str, object]:
    return {"amount_minor": amount, "currency_code": "USD"}


async def test_the_quote_shows_tax_and_a_fee_is_kept_on_cancelling(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(
            stack,
            payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
            payment_amount=5000,
            item_price=15000,
            tax_bps=825,
            cancellation=(pb.CANCELLATION_POLICY_KEEP_FEE, 2000),
        )
        t = (await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers())).json()
        assert t["price"] == {
            "subtotal": usd(15000),
            "tax": usd(1238),
            "total": usd(16238),
            "due_now": usd(5000),
            "balance": usd(11238),
        }
        assert t["cancellation_policy"] == {"kind": "keep_fee", "fee": usd(2000)}
        listed = (await http.get("/v1/session-types", headers=stack.headers())).json()["types"]
        assert listed[0]["price"] == t["price"]

        created = await http.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok"), headers=stack.headers()
        )
        assert created.status_code == 201, created.text
        booking = created.json()
        invoice = await stack.billing.stub.GetInvoice(
            billing_pb2.GetInvoiceRequest(name=f"invoices/{booking['payment']['invoice_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert (invoice.tax.amount_minor, invoice.total.amount_minor) == (1238, 16238)  # as quoted
        assert invoice.balance.amount_minor == 11238
        # its documents name the studio, never its id
        assert invoice.session_details.location_display_name == booking["location"]["name"]

        manage = stack.headers(**{"X-Booking-Token": booking["manage_token"]})
        ics = await http.get(f"/v1/bookings/{booking['id']}/calendar.ics", headers=manage)
        assert ics.status_code == 200, ics.text
        assert ics.headers["content-type"].startswith("text/calendar")
        event = read_event(ics.content)
        assert str(event["uid"]) == f"{booking['id']}@shutterbook"
        assert event["dtstart"].dt == datetime.fromisoformat(booking["start_time"])  # the same instant
        assert event["dtstart"].params["TZID"] == "America/New_York"
        assert event["dtstart"].dt.hour == 9  # the studio's wall clock
        assert str(event["location"]) == "Downtown Studio, 1 Main St"
        assert str(event["status"]) == "CONFIRMED"
        wrong = stack.headers(**{"X-Booking-Token": "nope"})
        assert (await http.get(f"/v1/bookings/{booking['id']}/calendar.ics", headers=wrong)).status_code == 404

        cancelled = await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["payment"]["refunded"] == usd(3000)
        after = await http.get(f"/v1/bookings/{booking['id']}/calendar.ics", headers=manage)
        gone = Calendar.from_ical(after.content)
        assert str(gone["method"]) == "CANCEL"
        assert str(gone.walk("VEVENT")[0]["uid"]) == f"{booking['id']}@shutterbook"
        assert cancelled.json()["cancellation_policy"]["kind"] == "keep_fee"
        payment = await stack.billing.stub.GetPayment(
            billing_pb2.GetPaymentRequest(name=f"payments/{booking['payment']['payment_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert payment.amount_refunded.amount_minor == 3000  # 20.00 kept
        # the invoice is reduced to the fee, which the 20.00 kept settles (not left open at 162.38)
        invoice = await stack.billing.stub.GetInvoice(
            billing_pb2.GetInvoiceRequest(name=f"invoices/{booking['payment']['invoice_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert (invoice.total.amount_minor, invoice.cancellation_credit.amount_minor) == (2000, 14238)
        assert (invoice.amount_paid.amount_minor, invoice.balance.amount_minor) == (2000, 0)
        assert invoice.status == billing_pb2.INVOICE_STATUS_PAID
        again = await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)
        assert again.json()["payment"]["refunded"] == usd(3000)
        assert len(stack.billing.provider.refunds) == 1  # a repeated cancel refunds nothing more


async def test_refund_in_full_refunds_and_voids_the_invoice(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(
            stack,
            payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
            payment_amount=5000,
            item_price=15000,
            cancellation=(pb.CANCELLATION_POLICY_REFUND_IN_FULL, 0),
        )
        created = await http.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok"), headers=stack.headers()
        )
        booking = created.json()
        manage = stack.headers(**{"X-Booking-Token": booking["manage_token"]})
        cancelled = (await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)).json()
        assert cancelled["payment"]["refunded"] == usd(5000)
        invoice = await stack.billing.stub.GetInvoice(
            billing_pb2.GetInvoiceRequest(name=f"invoices/{booking['payment']['invoice_id']}"),
            metadata=company_metadata(COMPANY_A),
        )
        assert invoice.status == billing_pb2.INVOICE_STATUS_VOID


async def test_a_reschedule_online_stays_at_the_bookings_location(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        here = await offer_online(stack)
        there = await offer_online(stack, time_zone="America/Los_Angeles")
        # the same type, open at the other location too
        elsewhere = await stack.online.CreateTimeSlot(
            opb.CreateTimeSlotRequest(
                time_slot=opb.TimeSlot(
                    location=there.studio.location.name,
                    session_type=here.studio.session_type.name,
                    schedules=[there.studio.photographer.name],
                    date=pdate(there.day),
                    start=pb.TimeOfDay(hours=13),
                    end=pb.TimeOfDay(hours=14),
                    published=True,
                )
            ),
            metadata=company_metadata(COMPANY_A),
        )
        booking = (await http.post("/v1/bookings", json=booking_body(here.slot_id(0)), headers=stack.headers())).json()
        manage = stack.headers(**{"X-Booking-Token": booking["manage_token"]})
        moved = await http.post(
            f"/v1/bookings/{booking['id']}/reschedule",
            json={"slot_id": elsewhere.name.split("/", 1)[1]},
            headers=manage,
        )
        assert moved.status_code == 409, moved.text
        assert moved.json()["code"] == "OTHER_LOCATION"
        after = (await http.get(f"/v1/bookings/{booking['id']}", headers=manage)).json()
        assert (after["location"]["id"], after["start_time"]) == (booking["location"]["id"], booking["start_time"])
