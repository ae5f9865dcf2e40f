"""Use cases: the one invoice of a booking. A session gets its fee invoice, an appointment of a
client its invoice, with the lines of the booking type's price list items (none: a zero
invoice), however it was booked (staff through scheduling, online through the gateway, bulk,
the console's wizard): scheduling's booked-event handlers (types with "Auto-Create Invoice")
and EnsureSessionInvoice / EnsureAppointmentInvoice (the gateway, the wizard) share one path,
so a redelivered event, a retried call or a race between them finds the same invoice.
Unlinked appointments (staff meetings, personal time) have no client and get none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_billing import events
from shutterbook_billing.application import client_directory
from shutterbook_billing.application.common import DEFAULT_CURRENCY, SOURCE
from shutterbook_billing.application.invoices import DraftLine, insert_invoice, items_by_id, load_invoice, to_proto
from shutterbook_billing.domain.money import check_currency
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_kit.consumer import Delivery, PoisonEvent, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, InvalidArgument, Violations
from shutterbook_kit.resource_names import parse_reference, resource_id
from shutterbook_kit.uow import UnitOfWork


def _check_snapshot(snapshot: scheduling_events.SessionSnapshot, prefix: str, v: Violations) -> None:
    parse_reference(snapshot.session, "sessions", field=f"{prefix}.session", violations=v)
    parse_reference(snapshot.client, "clients", field=f"{prefix}.client", violations=v)
    parse_reference(snapshot.session_type, "sessionTypes", field=f"{prefix}.session_type", violations=v, required=False)
    parse_reference(snapshot.location, "locations", field=f"{prefix}.location", violations=v, required=False)
    for i, name in enumerate(snapshot.price_list_items):
        parse_reference(name, "priceListItems", field=f"{prefix}.price_list_items[{i}]", violations=v)


async def item_drafts(
    uow: UnitOfWork, company_id: str, names: Sequence[str], field: str, currency_code: str
) -> tuple[list[DraftLine], str]:
    """A booking type's price list items as lines (one each, in order) and the invoice's
    currency (`currency_code`, else the items', else the default). Unknown items and mixed
    currencies: InvalidArgument naming `field[i]`."""
    v = Violations()
    ids = [resource_id(name, "priceListItems") for name in names]
    items = await items_by_id(uow, company_id, ids)
    drafts: list[DraftLine] = []
    currency = currency_code
    for i, item_id in enumerate(ids):
        item = items.get(item_id)
        path = f"{field}[{i}]"
        if item is None:
            v.add(path, "no such price list item")
            continue
        currency = currency or item.currency_code
        if item.currency_code != currency:
            v.add(path, f"currency {item.currency_code} differs from the invoice's {currency}")
        drafts.append(DraftLine(item.id, item.display_name, 1, item.unit_price_minor, item.tax_rate_bps))
    v.raise_if_any()
    return drafts, currency or DEFAULT_CURRENCY


async def _existing_invoice(uow: UnitOfWork, company_id: str, invoice_id: str | None) -> billing_pb2.Invoice | None:
    """The booking's invoice when it has one (a redelivered event, a retried call)."""
    if invoice_id is None:
        return None
    row, lines = await load_invoice(uow, company_id, invoice_id)
    return to_proto(row, lines)


async def _check_known_client(uow: UnitOfWork, company_id: str, client_id: str, what: str) -> None:
    """FAILED_PRECONDITION (CLIENT_NOT_KNOWN) for a client billing does not know in this company."""
    if not await client_directory.is_known(uow, company_id, client_id):
        raise FailedPrecondition(
            f"billing does not know the {what}'s client in this company", reason="CLIENT_NOT_KNOWN"
        )


async def ensure_once(
    db: Database, work: Callable[[UnitOfWork], Awaitable[billing_pb2.Invoice]]
) -> billing_pb2.Invoice:
    """One booking's invoice made or found in a transaction; a race lost to another caller or
    to the event handler (the unique constraint) is run again and finds the winner's."""
    for attempt in range(2):
        try:
            async with UnitOfWork(db, source=SOURCE) as uow:
                invoice = await work(uow)
                await uow.commit()
                return invoice
        except IntegrityError:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


async def poison_on_bad_input(work: Awaitable[object]) -> None:
    """An event's invoice that can never be made (unknown items, mixed currencies): dead-lettered
    with the reasons, kept visible, instead of retried."""
    try:
        await work
    except InvalidArgument as exc:
        raise PoisonEvent(f"{exc.message}: {[(v.field, v.description) for v in exc.violations]}") from exc


async def ensure_booking_invoice_in(
    uow: UnitOfWork,
    company_id: str,
    *,
    existing_id: str | None,
    client: str,
    items: Sequence[str],
    currency_code: str,
    require_known_client: bool,
    session: scheduling_events.SessionSnapshot | None = None,
    appointment: scheduling_events.AppointmentSnapshot | None = None,
) -> tuple[billing_pb2.Invoice, bool]:
    """The one invoice of a booked session (its fee invoice) or appointment: `existing_id` when
    it has one, else created from the booking type's price list items. Returns (invoice, created)."""
    found = await _existing_invoice(uow, company_id, existing_id)
    if found is not None:
        return found, False
    client_id = resource_id(client, "clients")
    what = "session" if session is not None else "appointment"
    if require_known_client:
        await _check_known_client(uow, company_id, client_id, what)
    drafts, currency = await item_drafts(uow, company_id, items, f"{what}.price_list_items", currency_code)
    invoice = await insert_invoice(
        uow,
        company_id,
        client_id=client_id,
        client_display_name="",
        currency_code=currency,
        drafts=drafts,
        session=session,
        session_id=resource_id(session.session, "sessions") if session is not None else None,
        session_fee=session is not None,
        appointment=appointment,
    )
    return invoice, True


async def ensure_session_invoice_in(
    uow: UnitOfWork,
    company_id: str,
    snapshot: scheduling_events.SessionSnapshot,
    currency_code: str = "",
    *,
    require_known_client: bool = False,
) -> tuple[billing_pb2.Invoice, bool]:
    """The session's fee invoice, created (lines from its price list items, in order; none: a
    zero invoice) unless it exists. Returns (invoice, created). Bad input: InvalidArgument.
    `require_known_client` (callers, not scheduling's events): a client billing does not know
    in this company is FAILED_PRECONDITION (CLIENT_NOT_KNOWN), and nothing is written."""
    v = Violations()
    _check_snapshot(snapshot, "session", v)
    if currency_code:
        check_currency(currency_code, "currency_code", v)
    v.raise_if_any()
    session_id = resource_id(snapshot.session, "sessions")
    existing = await InvoiceRepository(uow.session).session_fee_invoice_id(company_id, session_id)
    return await ensure_booking_invoice_in(
        uow,
        company_id,
        existing_id=existing,
        client=snapshot.client,
        items=snapshot.price_list_items,
        currency_code=currency_code,
        require_known_client=require_known_client,
        session=snapshot,
    )


async def ensure_session_invoice(
    db: Database, company_id: str, request: billing_pb2.EnsureSessionInvoiceRequest
) -> billing_pb2.Invoice:
    """Idempotent by session: a retry, or a race with the event handler, gets the one invoice."""

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        invoice, _ = await ensure_session_invoice_in(
            uow, company_id, request.session, request.currency_code, require_known_client=True
        )
        return invoice

    return await ensure_once(db, work)


async def on_session_booked(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, scheduling_events.SessionBookedEvent)
    if not event.session.auto_create_invoice:
        return
    # a redelivered event (or one scheduling emitted twice) finds the invoice and adds nothing
    await poison_on_bad_input(ensure_session_invoice_in(delivery.uow, delivery.envelope.company_id, event.session))


# --- appointments ------------------------------------------------------------------------------


def _check_appointment(snapshot: scheduling_events.AppointmentSnapshot, currency_code: str) -> None:
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
    _check_appointment(snapshot, currency_code)
    appointment_id = resource_id(snapshot.appointment, "appointments")
    existing = await InvoiceRepository(uow.session).appointment_invoice_id(company_id, appointment_id)
    return await ensure_booking_invoice_in(
        uow,
        company_id,
        existing_id=existing,
        client=snapshot.client,
        items=snapshot.price_list_items,
        currency_code=currency_code,
        require_known_client=require_known_client,
        appointment=snapshot,
    )


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
    # a session whose type creates no invoice costs billing no transaction
    subscribe(events.SESSION_BOOKED, on_session_booked, wanted=lambda event: event.session.auto_create_invoice),
    subscribe(
        events.APPOINTMENT_BOOKED,
        on_appointment_booked,
        wanted=lambda event: event.appointment.auto_create_invoice and bool(event.appointment.client),
    ),
]
