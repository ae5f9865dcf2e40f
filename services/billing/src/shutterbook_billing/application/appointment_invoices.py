"""Use cases: an appointment's invoice. Appointment types with "Auto-Create Invoice" are
invoiced when booked, however they were booked (staff through scheduling, online, bulk): the
`scheduling.appointment.booked` handler and EnsureAppointmentInvoice (the console's wizard)
share one path, so an appointment has one invoice, on redelivery and in a race alike.
Unlinked appointments (staff meetings, personal time) have no client and get none."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_billing import events
from shutterbook_billing.application import client_directory
from shutterbook_billing.application.common import SOURCE
from shutterbook_billing.application.invoices import insert_invoice, item_drafts, load_invoice, to_proto
from shutterbook_billing.domain.money import check_currency
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_kit.consumer import Delivery, PoisonEvent, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, InvalidArgument, Violations
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
    existing = await InvoiceRepository(uow.session).appointment_invoice_id(company_id, appointment_id)
    if existing is not None:
        row, lines = await load_invoice(uow, company_id, existing)
        return to_proto(row, lines), False
    client_id = resource_id(snapshot.client, "clients")
    if require_known_client and not await client_directory.is_known(uow, company_id, client_id):
        raise FailedPrecondition(
            "billing does not know the appointment's client in this company", reason="CLIENT_NOT_KNOWN"
        )
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
    for attempt in range(2):
        try:
            async with UnitOfWork(db, source=SOURCE) as uow:
                invoice, _ = await ensure_appointment_invoice_in(
                    uow, company_id, request.appointment, request.currency_code, require_known_client=True
                )
                await uow.commit()
                return invoice
        except IntegrityError:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


async def on_appointment_booked(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, scheduling_events.AppointmentBookedEvent)
    if not event.appointment.auto_create_invoice or not event.appointment.client:
        return
    try:
        # a redelivered event, or the wizard's EnsureAppointmentInvoice first, finds the invoice
        await ensure_appointment_invoice_in(delivery.uow, delivery.envelope.company_id, event.appointment)
    except InvalidArgument as exc:  # unknown items, mixed currencies: never succeeds, keep it visible
        raise PoisonEvent(f"{exc.message}: {[(v.field, v.description) for v in exc.violations]}") from exc


SUBSCRIPTIONS = [
    subscribe(events.APPOINTMENT_BOOKED, on_appointment_booked),
]
