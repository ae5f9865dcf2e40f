"""Appointment types with "Auto-Create Invoice" (issue 16): an appointment booked outside the
wizard (staff through scheduling's CreateAppointment, a customer through the booking gateway)
gets one invoice with its type's price list items, from scheduling's
`scheduling.appointment.booked` event consumed by billing; a redelivered event and the
wizard's EnsureAppointmentInvoice find the same invoice. Real services, NATS, HTTP; on SQLite
and PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
import httpx
import nats
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually, rpc_violations
from shutterbook_kit import shared_events
from shutterbook_kit.db import Database
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.uow import UnitOfWork
from tests.billing_support import create_item
from tests.helpers import COMPANY_A
from tests.online_support import appointment_slot
from tests.scheduling_support import at, day
from tests.stack_support import Stack, booking_body, booking_stack, offer_online

A = company_metadata(COMPANY_A)


async def _client(stack: Stack) -> clients_pb2.Client:
    """A client both scheduling and billing know at once (as the wizard makes them)."""
    client = await stack.services.clients.CreateClient(
        clients_pb2.CreateClientRequest(client=clients_pb2.Client(given_name="Grace", family_name="Hopper")),
        metadata=A,
    )
    await stack.services.scheduling.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client), metadata=A)
    await stack.billing.stub.EnsureKnownClient(billing_pb2.EnsureKnownClientRequest(client=client), metadata=A)
    return client


async def _invoices_of(stack: Stack, client: str) -> list[billing_pb2.Invoice]:
    listed = await stack.billing.stub.ListInvoices(billing_pb2.ListInvoicesRequest(client=client), metadata=A)
    return list(listed.invoices)


async def _one_invoice(stack: Stack, client: str, appointment: str) -> billing_pb2.Invoice:
    async def found() -> billing_pb2.Invoice | None:
        mine = [i for i in await _invoices_of(stack, client) if i.appointment == appointment]
        return mine[0] if mine else None

    invoice = await eventually(found, what=f"the invoice of {appointment}")
    assert invoice is not None
    return invoice


async def test_appointments_booked_outside_the_wizard_are_invoiced_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack, slots=1)
        studio = offer.studio
        consult_fee = await create_item(stack.billing.stub, "CONSULT-FEE", 4500, 825)
        album = await create_item(stack.billing.stub, "ALBUM-DEPOSIT", 10000)
        invoiced_type = await stack.services.scheduling.UpdateAppointmentType(
            pb.UpdateAppointmentTypeRequest(
                appointment_type=pb.AppointmentType(
                    name=studio.appointment_type.name,
                    auto_create_invoice=True,
                    price_list_items=[consult_fee.name, album.name],
                    online=pb.OnlineBookingSettings(available_online=True),
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["auto_create_invoice", "price_list_items", "online"]),
            ),
            metadata=A,
        )
        plain_type = await stack.services.scheduling.CreateAppointmentType(
            pb.CreateAppointmentTypeRequest(
                appointment_type=pb.AppointmentType(
                    display_name="Phone call", default_duration_minutes=30, price_list_items=[consult_fee.name]
                )
            ),
            metadata=A,
        )
        client = await _client(stack)

        def appointment(type_name: str, hour: int, client_name: str = "") -> pb.CreateAppointmentRequest:
            return pb.CreateAppointmentRequest(
                appointment=pb.Appointment(
                    appointment_type=type_name,
                    client=client_name,
                    location=studio.location.name,
                    appointment_date=day(offer.day.year, offer.day.month, offer.day.day),
                    start=at(hour),
                    schedules=[studio.photographer.name],
                ),
                request_id=str(uuid.uuid4()),
            )

        # staff book through scheduling: the auto-invoiced type gets its invoice, lines in order
        staff_booked = await stack.services.scheduling.CreateAppointment(
            appointment(invoiced_type.name, 14, client.name), metadata=A
        )
        invoice = await _one_invoice(stack, client.name, staff_booked.name)
        assert [line.price_list_item for line in invoice.lines] == [consult_fee.name, album.name]
        assert invoice.total.amount_minor == 4500 + 371 + 10000  # 371.25 tax rounds to 371
        assert invoice.session == ""
        assert not invoice.session_fee_invoice
        assert invoice.client_display_name == "Grace Hopper"
        # neither a type without "Auto-Create Invoice" nor an unlinked staff meeting is invoiced
        await stack.services.scheduling.CreateAppointment(appointment(plain_type.name, 15, client.name), metadata=A)
        meeting = await stack.services.scheduling.CreateAppointment(appointment(invoiced_type.name, 16), metadata=A)

        # a customer books the type online through the gateway: invoiced too
        made = await stack.online.CreateTimeSlot(
            opb.CreateTimeSlotRequest(time_slot=appointment_slot(studio, offer.day, (17, 0), (17, 30))), metadata=A
        )
        booked = await http.post("/v1/bookings", json=booking_body(made.name.split("/", 1)[1]), headers=stack.headers())
        assert booked.status_code == 201, booked.text
        online_appointment = f"appointments/{booked.json()['id']}"
        online_client = f"clients/{booked.json()['client_id']}"
        online_invoice = await _one_invoice(stack, online_client, online_appointment)
        assert [line.price_list_item for line in online_invoice.lines] == [consult_fee.name, album.name]

        # every booked event handled (four appointments), nothing dead-lettered
        async def handled() -> bool:
            c = stack.billing.consumer
            return c.applied + c.skipped_duplicates >= 4

        await eventually(handled, what="the booked events handled")
        assert [i.appointment for i in await _invoices_of(stack, client.name)] == [staff_booked.name]
        everything = await stack.billing.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=A)
        assert sorted(i.appointment for i in everything.invoices) == sorted([staff_booked.name, online_appointment])
        assert meeting.client == ""
        assert stack.billing.consumer.dead_lettered == 0

        # the staff booking's event delivered again past JetStream's duplicate window: one invoice
        scheduling_db = Database(stack.services.scheduling_db)
        try:
            async with UnitOfWork(scheduling_db, readonly=True) as uow:
                rows = (
                    await uow.session.scalars(
                        select(OutboxMessage)
                        .where(OutboxMessage.subject == shared_events.APPOINTMENT_BOOKED.subject)
                        .order_by(OutboxMessage.seq)
                    )
                ).all()
        finally:
            await scheduling_db.dispose()
        first = next(r for r in rows if staff_booked.name.encode() in r.payload)
        before = stack.billing.consumer.applied + stack.billing.consumer.skipped_duplicates
        raw = await nats.connect(nats_server.url)
        try:
            ack = await raw.jetstream().publish(
                shared_events.APPOINTMENT_BOOKED.subject, first.payload, headers={"Nats-Msg-Id": str(uuid.uuid4())}
            )
            assert not ack.duplicate
        finally:
            await raw.close()

        async def redelivered() -> bool:
            c = stack.billing.consumer
            return c.applied + c.skipped_duplicates > before

        await eventually(redelivered, what="the redelivered event handled")
        assert [i.name for i in await _invoices_of(stack, client.name)] == [invoice.name]

        # the wizard's synchronous path finds the same invoice, and bad input names the field
        snapshot = sev.AppointmentSnapshot(
            appointment=staff_booked.name,
            client=client.name,
            appointment_type=invoiced_type.name,
            price_list_items=[consult_fee.name, album.name],
        )
        ensured = await stack.billing.stub.EnsureAppointmentInvoice(
            billing_pb2.EnsureAppointmentInvoiceRequest(appointment=snapshot), metadata=A
        )
        assert ensured.name == invoice.name
        unlinked = sev.AppointmentSnapshot(appointment=meeting.name)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stack.billing.stub.EnsureAppointmentInvoice(
                billing_pb2.EnsureAppointmentInvoiceRequest(appointment=unlinked), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(err.value)) == ["appointment.client"]
