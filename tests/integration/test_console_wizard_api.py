"""The Scheduling Wizard's API against the real stack (clients, scheduling, billing with its
sandbox provider; the demo studio), logged in as the front desk:

- the first free time the helper answers books without "book anyway", and is not answered again
  for that schedule;
- booking over an existing session is a 409 naming the conflict, and the new client the attempt
  made is deleted again (nothing half-booked);
- an unknown promo code is refused after the session was booked: the session is cancelled and
  the invoice voided, nothing charged;
- a found client's information corrected on the client screen is saved with the booking;
- bad input is a 422 naming the field, never a 500."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.billing.v1 import billing_pb2_grpc
from shutterbook.clients.v1 import clients_pb2 as cpb
from shutterbook.clients.v1 import clients_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually
from shutterbook_kit.demo import DEMO_COMPANY_ID, DEMO_STAFF_PASSWORD
from tests.console_support import csrf, log_in
from tests.notifications_support import mails, text_of
from tests.wizard_support import wizard_stack

META = company_metadata(DEMO_COMPANY_ID)


def _body(offer: dict[str, Any], start: str, staff: str, **extra: Any) -> dict[str, Any]:
    family = next(t for t in offer["session_types"] if t["display_name"] == "Family Portrait")
    return {
        "attempt": str(uuid.uuid4()),
        "kind": "session",
        "location": offer["location"]["name"],
        "type": family["name"],
        "start": start,
        "photographer": staff,
        **extra,
    }


async def test_wizard_api_books_free_times_and_leaves_nothing_behind_a_refusal(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch, smtp_sink: MailSink
) -> None:
    async with wizard_stack(sqlite_databases, nats_server.url, monkeypatch, smtp=smtp_sink) as (stack, c):
        scheduling = f"127.0.0.1:{stack.services.scheduling_port}"
        async with (
            c.client(timeout=60) as http,
            grpc.aio.insecure_channel(scheduling) as sched_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{stack.services.clients_port}") as clients_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{stack.billing.port}") as billing_channel,
        ):
            sched = scheduling_pb2_grpc.SchedulingServiceStub(sched_channel)
            clients = clients_pb2_grpc.ClientsServiceStub(clients_channel)
            billing = billing_pb2_grpc.BillingServiceStub(billing_channel)
            assert (await log_in(http, "frontdesk@example.com", DEMO_STAFF_PASSWORD)).status_code == 200
            headers = await csrf(http)
            me = (await http.get("/wizard")).text
            assert "Scheduling Wizard" in me
            locations = (await sched.ListLocations(pb.ListLocationsRequest(), metadata=META)).locations
            location_id = locations[0].name.removeprefix("locations/")
            offer = (await http.get(f"/api/v1/wizard/offer?location={location_id}")).json()
            family = next(t for t in offer["session_types"] if t["display_name"] == "Family Portrait")
            john = next(s for s in offer["staff"] if s["display_name"].startswith("John Doe"))

            async def free() -> list[dict[str, Any]]:
                reply = await http.get(
                    "/api/v1/wizard/free-times",
                    params={"location": location_id, "type": family["name"], "staff": john["name"]},
                )
                assert reply.status_code == 200, reply.text
                times: list[dict[str, Any]] = reply.json()["times"]
                return times

            # the helper's first answer books as it is, and is taken afterwards
            first = (await free())[0]
            booked = await http.post(
                "/api/v1/wizard/bookings",
                json=_body(
                    offer,
                    first["start"],
                    john["name"],
                    client="",
                    new_client={
                        "given_name": "Free",
                        "email": "free@example.com",
                        "address": {
                            "address_lines": ["12 Harbor Road"],
                            "locality": "San Diego",
                            "postal_code": "92101",
                        },
                        "notes": "Prefers mornings",
                        "family_members": [{"given_name": "Tom", "relationship": "CHILD"}],
                    },
                ),
                headers=headers,
            )
            assert booked.status_code == 201, booked.text
            made = await clients.GetClient(cpb.GetClientRequest(name=booked.json()["client"]), metadata=META)
            assert (list(made.postal_address.address_lines), made.postal_address.locality) == (
                ["12 Harbor Road"],
                "San Diego",
            )
            assert made.notes == "Prefers mornings"
            assert [(m.given_name, m.relationship) for m in made.family_members] == [
                ("Tom", cpb.FAMILY_RELATIONSHIP_CHILD)
            ]
            session = await sched.GetSession(pb.GetSessionRequest(name=booked.json()["session"]), metadata=META)
            assert session.photographer == john["name"]
            assert f"{session.start.hours:02d}:{session.start.minutes:02d}" == first["start"][11:]
            assert first["start"] not in [t["start"] for t in await free()]

            # over that session: 409 with the conflict; the client made for it is deleted again
            clash = await http.post(
                "/api/v1/wizard/bookings",
                json=_body(
                    offer, first["start"], john["name"], new_client={"given_name": "Clash", "family_name": "Zq"}
                ),
                headers=headers,
            )
            assert clash.status_code == 409, clash.text
            assert clash.json()["conflicts"]
            found = await clients.SearchClients(cpb.SearchClientsRequest(query="Clash Zq"), metadata=META)
            assert list(found.results) == []

            # an unknown promo code: refused after booking, so the session is cancelled, the invoice void
            later = (await free())[0]
            promo = await http.post(
                "/api/v1/wizard/bookings",
                json=_body(
                    offer,
                    later["start"],
                    john["name"],
                    client=booked.json()["client"],
                    invoice_now=True,
                    promo_code="NO-SUCH-CODE",
                    payment={"method": "card", "card_token": "tok_sandbox_ok"},
                ),
                headers=headers,
            )
            assert promo.status_code in (404, 409, 422), promo.text
            sessions = await sched.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=META)
            mine = [s for s in sessions.sessions if s.client == booked.json()["client"]]
            assert [s.cancelled for s in mine if s.name != session.name] == [True]
            invoices = await billing.ListInvoices(
                bpb.ListInvoicesRequest(client=booked.json()["client"]), metadata=META
            )
            refused = [i for i in invoices.invoices if i.session != session.name]
            assert [i.status for i in refused] == [bpb.INVOICE_STATUS_VOID]
            assert all(i.amount_paid.amount_minor == 0 for i in refused)
            assert later["start"] in [t["start"] for t in await free()]  # the time is free again

            # the client's information corrected in the wizard is saved once the booking stands
            corrected = await http.post(
                "/api/v1/wizard/bookings",
                json=_body(
                    offer,
                    later["start"],
                    john["name"],
                    client=booked.json()["client"],
                    client_info={
                        "given_name": "Freda",
                        "family_name": "Free",
                        "email": "free@example.com",
                        "phone": "+1 619 555 0100",
                        "address": {"address_lines": ["14 Harbor Road"], "locality": "San Diego"},
                        "notes": "Prefers mornings",
                        "family_members": [
                            {
                                "name": made.family_members[0].name,
                                "given_name": "Tommy",
                                "relationship": "CHILD",
                                "birth_date": "2019-05-04",
                            },
                            {"given_name": "Sam", "family_name": "Free", "relationship": "SPOUSE"},
                        ],
                    },
                ),
                headers=headers,
            )
            assert corrected.status_code == 201, corrected.text
            assert corrected.json()["client_name"] == "Freda Free"
            client = await clients.GetClient(cpb.GetClientRequest(name=booked.json()["client"]), metadata=META)
            assert (client.given_name, client.family_name) == ("Freda", "Free")
            assert list(client.phones) == ["+16195550100"]  # as clients keeps it (E.164)
            assert list(client.postal_address.address_lines) == ["14 Harbor Road"]
            assert client.postal_address.postal_code == ""  # cleared on the screen
            members = [(m.name, m.given_name, m.relationship) for m in client.family_members]
            assert members[0] == (
                made.family_members[0].name,
                "Tommy",
                cpb.FAMILY_RELATIONSHIP_CHILD,
            )  # the same member
            assert members[1][1:] == ("Sam", cpb.FAMILY_RELATIONSHIP_SPOUSE)
            born = client.family_members[0].birth_date
            assert (born.year, born.month, born.day) == (2019, 5, 4)  # typed on the wizard's client screen
            assert not client.family_members[1].HasField("birth_date")
            found_again = (await http.get("/api/v1/wizard/clients", params={"q": "Freda Free"})).json()
            assert [m["birth_date"] for m in found_again[0]["family_members"]] == ["2019-05-04", ""]

            # an appointment type with "Auto-Create Invoice" booked in the wizard with its invoice
            # now: billing's booked-event handler finds the wizard's invoice (one, not two)
            items = await billing.ListPriceListItems(bpb.ListPriceListItemsRequest(), metadata=META)
            item = items.price_list_items[0].name
            atype = await sched.UpdateAppointmentType(
                pb.UpdateAppointmentTypeRequest(
                    appointment_type=pb.AppointmentType(
                        name=offer["appointment_types"][0]["name"], auto_create_invoice=True, price_list_items=[item]
                    ),
                    update_mask=field_mask_pb2.FieldMask(paths=["auto_create_invoice", "price_list_items"]),
                ),
                metadata=META,
            )
            appointment_body = {
                "attempt": str(uuid.uuid4()),
                "kind": "appointment",
                "location": offer["location"]["name"],
                "type": atype.name,
                "start": later["start"],
                "schedules": [john["name"]],
                "book_anyway": True,
                "client": booked.json()["client"],
                "invoice_now": True,
            }
            in_wizard = await http.post("/api/v1/wizard/bookings", json=appointment_body, headers=headers)
            assert in_wizard.status_code == 201, in_wizard.text
            # then one booked outside the wizard: once its invoice is there, the wizard's event was handled
            outside = await sched.CreateAppointment(
                pb.CreateAppointmentRequest(
                    appointment=pb.Appointment(
                        appointment_type=atype.name,
                        client=booked.json()["client"],
                        location=offer["location"]["name"],
                        appointment_date=session.session_date,
                        start=session.start,
                        schedules=[john["name"]],
                    ),
                    allow_conflicts=True,
                ),
                metadata=META,
            )

            async def appointment_invoices() -> list[str] | None:
                listed = await billing.ListInvoices(
                    bpb.ListInvoicesRequest(client=booked.json()["client"]), metadata=META
                )
                found = sorted(i.appointment for i in listed.invoices if i.appointment)
                return found if outside.name in found else None

            assert await eventually(appointment_invoices, what="the appointments' invoices") == sorted(
                [in_wizard.json()["appointment"], outside.name]
            )
            assert in_wizard.json()["invoice"]

            # bad input names the field
            async def refused_field(body: dict[str, Any]) -> list[str]:
                reply = await http.post("/api/v1/wizard/bookings", json=body, headers=headers)
                assert reply.status_code in (400, 422), reply.text
                return [e["field"] for e in reply.json().get("errors", [])]

            assert "start" in await refused_field(
                _body(offer, "tomorrow", john["name"], client=booked.json()["client"])
            )
            assert "client" in await refused_field(_body(offer, later["start"], john["name"]))
            assert "family_members[0].relationship" in await refused_field(
                _body(
                    offer,
                    later["start"],
                    john["name"],
                    new_client={"given_name": "X", "family_members": [{"given_name": "Y", "relationship": "COUSIN"}]},
                )
            )
            assert "family_members[0].birth_date" in await refused_field(
                _body(
                    offer,
                    later["start"],
                    john["name"],
                    new_client={
                        "given_name": "X",
                        "family_members": [{"given_name": "Y", "birth_date": f"{date.today().year + 1}-01-01"}],
                    },
                )
            )
            assert "payment.card_token" in await refused_field(
                _body(
                    offer,
                    later["start"],
                    john["name"],
                    client=booked.json()["client"],
                    invoice_now=True,
                    payment={"method": "card"},
                )
            )
            bad_type = await http.get("/api/v1/wizard/free-times", params={"location": location_id, "type": "nonsense"})
            assert bad_type.status_code == 422
            assert bad_type.json()["errors"][0]["field"] == "type"
            async with httpx.AsyncClient(base_url=c.url) as stranger:
                anonymous = await stranger.get(f"/api/v1/wizard/offer?location={location_id}")
            assert anonymous.status_code == 401

            # the confirmation emailed with a chosen form letter; a second click is one message
            async def listed() -> httpx.Response | None:
                reply = await http.get("/api/v1/wizard/letters")
                assert reply.status_code in (200, 503), reply.text
                return reply if reply.status_code == 200 else None  # 503: a cold service's deadline

            letters = await eventually(listed, timeout=60, what="the form letters listed")
            assert letters.json()[0]["purpose"] == "session_confirmation"
            assert "password_reset" not in {x["purpose"] for x in letters.json()}
            chosen = letters.json()[0]["id"]
            click = {"request_id": str(uuid.uuid4()), "form_letter": chosen}

            async def send() -> httpx.Response | None:  # a retry with the same request id sends once
                reply = await http.post(f"/api/v1/wizard/{session.name}/letters", json=click, headers=headers)
                assert reply.status_code in (201, 503), reply.text
                return reply if reply.status_code == 201 else None

            emailed = await eventually(send, timeout=60, what="the letter sent")
            assert emailed.json()["recipient"] == "free@example.com"
            again = await http.post(f"/api/v1/wizard/{session.name}/letters", json=click, headers=headers)
            assert again.status_code == 201

            subject = emailed.json()["subject"]

            def letters_sent() -> list[Any]:
                return [m for m in mails(smtp_sink, "free@example.com") if m["Subject"] == subject]

            async def delivered() -> list[Any] | None:
                return letters_sent() or None

            [mail] = await eventually(delivered, what="the session confirmation in the mailbox")
            assert "Freda" in text_of(mail)  # the client's name as corrected on the client screen
            assert "Family Portrait" in text_of(mail)
            bad = await http.post(
                f"/api/v1/wizard/{session.name}/letters",
                json={"request_id": "x", "form_letter": chosen},
                headers=headers,
            )
            assert bad.status_code in (400, 422)
            async with c.client(timeout=60) as photographer:
                assert (await log_in(photographer, "john@example.com", DEMO_STAFF_PASSWORD)).status_code == 200
                not_theirs = await photographer.post(
                    f"/api/v1/wizard/{session.name}/letters",
                    json={"request_id": str(uuid.uuid4())},
                    headers=await csrf(photographer),
                )
                assert not_theirs.status_code == 403, not_theirs.text
            assert len(letters_sent()) == 1
