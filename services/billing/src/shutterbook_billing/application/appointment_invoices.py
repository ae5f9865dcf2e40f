"""Use cases: an appointment's invoice. Appointment types with "Auto-Create Invoice" are
invoiced when booked, however they were booked (staff through scheduling, online, bulk): the
`scheduling.appointment.booked` handler and EnsureAppointmentInvoice (the console's wizard)
share one path, so an appointment has one invoice, on redelivery and in a race alike.
Unlinked appointments (staff meetings, personal time) have no client and get none."""

from __future__ import annotations

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_billing import events
from shutterbook_billing.application.invoices import (
    check_known_client,
    ensure_once,
    existing_invoice,
    insert_invoice,
    item_drafts,
    poison_on_bad_input,
)
from shutterbook_billing.domain.money import check_currency
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_kit.consumer import Delivery, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference, resource_id
from shutterbook_kit.uow import UnitOfWork


def _check(snapshot: scheduling_events.AppointmentSnapshot, currency_code: str) -> None:
    v = Violations()
    parse_reference(snapshot.appointment, "appointments", field="appointment.appointment", violations=v)
    parse_reference(snapshot.client, "clients", field="appointment.client", violations=v)
    parse_reference(snapshot.location, "locations", field="appointment.location", violations=v, required=False)
    for i, name in enumerate(snapshot.price_list_items):
        parse_reference(name, "priceListItems", field=f"appointment.price_list_items[{i}]", violations=v)
    if currency_code:
        check_currency(currency_code, "currency_code", v)
    v.raise_if_any()


async def ensure_appointment_invoice_in(
    uow: UnitOfWork,
    company_id: str,
    snapshot: scheduling_events.AppointmentSnapshot,
    currency_code: str = "",
    *,
    require_known_client: bool = False,
) -> tuple[billing_pb2.Invoice, bool]:
    """The appointment's invoice, created (lines from its type's price list items, in order;
    none: a zero invoice) unless it exists. Returns (invoice, created). Bad input:
    InvalidArgument. `require_known_client`: as for a session's invoice (CLIENT_NOT_KNOWN)."""
    _check(snapshot, currency_code)
    appointment_id = resource_id(snapshot.appointment, "appointments")
    repository = InvoiceRepository(uow.session)
    found = await existing_invoice(uow, company_id, await repository.appointment_invoice_id(company_id, appointment_id))
    if found is not None:
        return found, False
    client_id = resource_id(snapshot.client, "clients")
    if require_known_client:
        await check_known_client(uow, company_id, client_id, "appointment")
    drafts, currency = await item_drafts(
        uow, company_id, snapshot.price_list_items, "appointment.price_list_items", currency_code
    )
    invoice = await insert_invoice(
        uow,
        company_id,
        client_id=client_id,
        client_display_name="",
        currency_code=currency,
        drafts=drafts,
        session=None,
        session_id=None,
        session_fee=False,
        appointment=snapshot,
    )
    return invoice, True


async def ensure_appointment_invoice(
    db: Database, company_id: str, request: billing_pb2.EnsureAppointmentInvoiceRequest
) -> billing_pb2.Invoice:
    """Idempotent by appointment: a retry, or a race with the event handler, gets the one invoice."""

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        invoice, _ = await ensure_appointment_invoice_in(
            uow, company_id, request.appointment, request.currency_code, require_known_client=True
        )
        return invoice

    return await ensure_once(db, work)


async def on_appointment_booked(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, scheduling_events.AppointmentBookedEvent)
    if not event.appointment.auto_create_invoice or not event.appointment.client:
        return
    # a redelivered event, or the wizard's EnsureAppointmentInvoice first, finds the invoice
    await poison_on_bad_input(
        ensure_appointment_invoice_in(delivery.uow, delivery.envelope.company_id, event.appointment)
    )


SUBSCRIPTIONS = [
    subscribe(events.APPOINTMENT_BOOKED, on_appointment_booked),
]
