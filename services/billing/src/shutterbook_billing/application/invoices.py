"""Use cases: invoices. Created by hand here; per session or appointment in `booking_invoices`
(EnsureSessionInvoice, EnsureAppointmentInvoice and scheduling's booked-event handlers)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_billing import events
from shutterbook_billing.application import client_directory
from shutterbook_billing.application.common import (
    DEFAULT_CURRENCY,
    SOURCE,
    from_timestamp,
    location_visible,
    money,
    precondition,
    timestamp,
    visible_locations,
)
from shutterbook_billing.domain.money import (
    MAX_QUANTITY,
    Discount,
    LineInput,
    check_currency,
    check_price,
    check_tax_rate,
    invoice_is_paid,
    price_invoice,
)
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_billing.storage.models import InvoiceLineRow, InvoiceRow, PriceListItemRow
from shutterbook_billing.storage.price_list import PriceListRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name, parse_reference, resource_id
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

OPEN, PAID, VOID = "OPEN", "PAID", "VOID"
_STATUS = {
    OPEN: billing_pb2.INVOICE_STATUS_OPEN,
    PAID: billing_pb2.INVOICE_STATUS_PAID,
    VOID: billing_pb2.INVOICE_STATUS_VOID,
}


def invoice_number(number: int) -> str:
    return f"INV-{number:06d}"


def to_proto(row: InvoiceRow, lines: Sequence[InvoiceLineRow]) -> billing_pb2.Invoice:
    c = row.currency_code
    invoice = billing_pb2.Invoice(
        name=f"invoices/{row.id}",
        invoice_number=invoice_number(row.number),
        client=f"clients/{row.client_id}",
        client_display_name=row.client_display_name,
        session=f"sessions/{row.session_id}" if row.session_id else "",
        currency_code=c,
        lines=[
            billing_pb2.InvoiceLine(
                name=f"invoices/{row.id}/lines/{line.id}",
                price_list_item=f"priceListItems/{line.price_list_item_id}" if line.price_list_item_id else "",
                description=line.description,
                quantity=line.quantity,
                unit_price=money(c, line.unit_price_minor),
                tax_rate_bps=line.tax_rate_bps,
                subtotal=money(c, line.subtotal_minor),
                discount=money(c, line.discount_minor),
                tax=money(c, line.tax_minor),
                total=money(c, line.total_minor),
            )
            for line in sorted(lines, key=lambda line: line.position)
        ],
        subtotal=money(c, row.subtotal_minor),
        discount=money(c, row.discount_minor),
        tax=money(c, row.tax_minor),
        total=money(c, row.total_minor),
        amount_paid=money(c, row.paid_minor),
        balance=money(c, row.total_minor - row.paid_minor),
        status=_STATUS[row.status],
        promotion=f"promotions/{row.promotion_id}" if row.promotion_id else "",
        promo_code=row.promo_code,
        session_fee_invoice=row.session_fee_session_id is not None,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
        cancellation_credit=money(c, row.credit_minor),
        cancellation_reason=row.credit_reason,
        appointment=f"appointments/{row.appointment_id}" if row.appointment_id else "",
    )
    if row.session_id:
        invoice.session_details.CopyFrom(
            billing_pb2.InvoiceSession(
                session=f"sessions/{row.session_id}",
                session_number=row.session_number,
                session_type=f"sessionTypes/{row.session_type_id}" if row.session_type_id else "",
                session_type_display_name=row.session_type_display_name,
                start_time=timestamp(row.session_start),
                end_time=timestamp(row.session_end),
                location=f"locations/{row.location_id}" if row.location_id else "",
                time_zone=row.time_zone,
                description=row.session_description,
                location_display_name=row.location_display_name,
                location_address=row.location_address,
            )
        )
    return invoice


async def load_invoice(
    uow: UnitOfWork, company_id: str, invoice_id: str, *, for_update: bool = False, name: str = ""
) -> tuple[InvoiceRow, list[InvoiceLineRow]]:
    """The company's invoice and its lines; another company's is NOT_FOUND. `for_update`
    locks the row (PostgreSQL; SQLite writers are serialized by BEGIN IMMEDIATE)."""
    repository = InvoiceRepository(uow.session)
    row = await repository.get(company_id, invoice_id, for_update=for_update)
    if row is None or not location_visible(row.location_id):  # another location's is NOT_FOUND too
        raise NotFound(f"{name or 'invoices/' + invoice_id} not found")
    return row, await repository.lines(company_id, invoice_id)


async def check_invoice_visible(uow: UnitOfWork, company_id: str, invoice_id: str | None, name: str) -> None:
    """NOT_FOUND (as for another company's record) when the invoice of a payment is at a
    location the caller is not given."""
    if not invoice_id:
        return
    location = await InvoiceRepository(uow.session).location_of(company_id, invoice_id)
    if not location_visible(location or ""):
        raise NotFound(f"{name} not found")


@dataclass(frozen=True)
class DraftLine:
    price_list_item_id: str | None
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bps: int


def line_row(invoice: InvoiceRow, position: int, d: DraftLine) -> InvoiceLineRow:
    """A new line of `invoice` (its amounts set by `reprice`)."""
    return InvoiceLineRow(
        id=str(uuid.uuid4()),
        company_id=invoice.company_id,
        invoice_id=invoice.id,
        position=position,
        price_list_item_id=d.price_list_item_id,
        description=d.description,
        quantity=d.quantity,
        unit_price_minor=d.unit_price_minor,
        tax_rate_bps=d.tax_rate_bps,
        subtotal_minor=0,
        discount_minor=0,
        tax_minor=0,
        total_minor=0,
    )


def check_line(line: billing_pb2.InvoiceLine, path: str, v: Violations) -> str | None:
    """Check a requested line's fields (violations under `path`); the id of the price list
    item it names, if any."""
    if line.quantity < 0 or line.quantity > MAX_QUANTITY:
        v.add(f"{path}.quantity", f"must be between 1 and {MAX_QUANTITY} (0 means 1)")
    if line.price_list_item:
        return parse_reference(line.price_list_item, "priceListItems", field=f"{path}.price_list_item", violations=v)
    if not line.description.strip() or len(line.description) > 200:
        v.add(f"{path}.description", "is required for a line without a price list item, at most 200 characters")
    check_currency(line.unit_price.currency_code, f"{path}.unit_price.currency_code", v)
    check_price(line.unit_price.amount_minor, f"{path}.unit_price.amount_minor", v)
    check_tax_rate(line.tax_rate_bps, f"{path}.tax_rate_bps", v)
    return None


def draft_line(
    line: billing_pb2.InvoiceLine, item_id: str | None, items: dict[str, PriceListItemRow], path: str, v: Violations
) -> tuple[DraftLine, tuple[str, str]] | None:
    """A checked line made a draft (from its price list item when it names one), with the
    (field, currency) to compare with the invoice's; None with a violation for an unknown item."""
    quantity = line.quantity or 1
    if item_id is None:
        draft = DraftLine(None, line.description.strip(), quantity, line.unit_price.amount_minor, line.tax_rate_bps)
        return draft, (f"{path}.unit_price.currency_code", line.unit_price.currency_code)
    item = items.get(item_id)
    if item is None:
        v.add(f"{path}.price_list_item", "no such price list item")
        return None
    description = line.description.strip() or item.display_name
    draft = DraftLine(item.id, description, quantity, item.unit_price_minor, item.tax_rate_bps)
    return draft, (f"{path}.price_list_item", item.currency_code)


def reprice(row: InvoiceRow, lines: Sequence[InvoiceLineRow], discount: Discount | None) -> None:
    """Recompute line and invoice amounts with the domain's pricing (the one rounding rule)."""
    ordered = sorted(lines, key=lambda line: line.position)
    amounts = price_invoice(
        [LineInput(line.quantity, line.unit_price_minor, line.tax_rate_bps) for line in ordered], discount
    )
    for line, priced in zip(ordered, amounts.lines, strict=True):
        line.subtotal_minor = priced.subtotal
        line.discount_minor = priced.discount
        line.tax_minor = priced.tax
        line.total_minor = priced.total
    row.subtotal_minor = amounts.subtotal
    row.discount_minor = amounts.discount
    row.tax_minor = amounts.tax
    row.credit_minor = min(row.credit_minor or 0, amounts.total)  # a cancellation credit stays
    row.total_minor = amounts.total - row.credit_minor


def set_status(row: InvoiceRow) -> bool:
    """Status from the amounts (never for a void invoice). True when it just became paid."""
    if row.status == VOID:
        return False
    was = row.status
    row.status = PAID if invoice_is_paid(row.total_minor, row.paid_minor) else OPEN
    return was != PAID and row.status == PAID


async def insert_invoice(
    uow: UnitOfWork,
    company_id: str,
    *,
    client_id: str,
    client_display_name: str,
    currency_code: str,
    drafts: Sequence[DraftLine],
    session: scheduling_events.SessionSnapshot | None,
    session_id: str | None,
    session_fee: bool,
    appointment: scheduling_events.AppointmentSnapshot | None = None,
) -> billing_pb2.Invoice:
    """A new open invoice with its lines, its event and its audit entry. With `session` its
    details are kept for documents; with `appointment` it is that appointment's one invoice."""
    now = utcnow()
    repository = InvoiceRepository(uow.session)
    if not client_display_name:
        client_display_name = await client_directory.name_of(uow, company_id, client_id)
    row = InvoiceRow(
        id=str(uuid.uuid4()),
        company_id=company_id,
        number=await repository.next_number(company_id, on_sqlite=uow.db.is_sqlite),
        client_id=client_id,
        client_display_name=client_display_name,
        session_id=session_id,
        session_fee_session_id=session_id if session_fee else None,
        session_number="",
        session_type_id="",
        session_type_display_name="",
        session_description="",
        session_start=None,
        session_end=None,
        location_id="",
        time_zone="",
        location_display_name="",
        location_address="",
        currency_code=currency_code,
        subtotal_minor=0,
        discount_minor=0,
        tax_minor=0,
        total_minor=0,
        paid_minor=0,
        credit_minor=0,
        credit_reason="",
        status=OPEN,
        promotion_id=None,
        promo_code="",
        created_at=now,
        updated_at=now,
    )
    if session is not None:
        row.session_number = session.session_number
        row.session_type_id = resource_id(session.session_type, "sessionTypes") if session.session_type else ""
        row.session_type_display_name = session.session_type_display_name
        row.session_description = session.description
        row.session_start = from_timestamp(session.start_time) if session.HasField("start_time") else None
        row.session_end = from_timestamp(session.end_time) if session.HasField("end_time") else None
        row.location_id = resource_id(session.location, "locations") if session.location else ""
        row.time_zone = session.time_zone
        row.location_display_name = session.location_display_name[:200]
        row.location_address = session.location_address[:400]
    if appointment is not None:
        row.appointment_id = resource_id(appointment.appointment, "appointments")
        row.location_id = resource_id(appointment.location, "locations") if appointment.location else ""
        row.time_zone = appointment.time_zone
    lines = [line_row(row, i, d) for i, d in enumerate(drafts)]
    reprice(row, lines, None)
    await repository.add(row, lines)
    invoice = to_proto(row, lines)
    uow.emit(events.INVOICE_CREATED, company_id, events_pb2.InvoiceCreatedEvent(invoice=invoice))
    uow.audit(company_id, invoice.name, "created", after=invoice)
    return invoice


async def items_by_id(uow: UnitOfWork, company_id: str, ids: Sequence[str]) -> dict[str, PriceListItemRow]:
    return await PriceListRepository(uow.session).by_ids(company_id, ids)


# --- CreateInvoice ---------------------------------------------------------------------------


async def create_invoice(
    db: Database, company_id: str, request: billing_pb2.CreateInvoiceRequest
) -> billing_pb2.Invoice:
    inv = request.invoice
    v = Violations()
    validate_request_id(request.request_id, v)
    client_id = parse_reference(inv.client, "clients", field="invoice.client", violations=v)
    session_id = parse_reference(inv.session, "sessions", field="invoice.session", violations=v, required=False)
    if len(inv.client_display_name) > 200:
        v.add("invoice.client_display_name", "must be at most 200 characters")
    if inv.currency_code:
        check_currency(inv.currency_code, "invoice.currency_code", v)
    elif not inv.lines:
        v.add("invoice.currency_code", "is required for an invoice without lines")
    item_refs = {i: check_line(line, f"invoice.lines[{i}]", v) for i, line in enumerate(inv.lines)}
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        items = await items_by_id(uow, company_id, [i for i in item_refs.values() if i])
        v = Violations()
        drafts: list[DraftLine] = []
        currencies: list[tuple[str, str]] = []
        for i, line in enumerate(inv.lines):
            drafted = draft_line(line, item_refs[i], items, f"invoice.lines[{i}]", v)
            if drafted is not None:
                drafts.append(drafted[0])
                currencies.append(drafted[1])
        currency = inv.currency_code or (currencies[0][1] if currencies else DEFAULT_CURRENCY)
        for path, code in currencies:
            if code != currency:
                v.add(path, f"currency {code} differs from the invoice's {currency}")
        v.raise_if_any()
        assert client_id is not None
        return await insert_invoice(
            uow,
            company_id,
            client_id=client_id,
            client_display_name=inv.client_display_name.strip(),
            currency_code=currency,
            drafts=drafts,
            session=None,
            session_id=session_id,
            session_fee=False,
        )

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateInvoice",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Invoice,
        work=work,
        source=SOURCE,
    )


# --- reads -----------------------------------------------------------------------------------


async def get_invoice(db: Database, company_id: str, name: str) -> billing_pb2.Invoice:
    invoice_id = parse_name(name, "invoices")
    async with UnitOfWork(db, readonly=True) as uow:
        row, lines = await load_invoice(uow, company_id, invoice_id, name=name)
        return to_proto(row, lines)


async def list_invoices(
    db: Database, company_id: str, request: billing_pb2.ListInvoicesRequest
) -> billing_pb2.ListInvoicesResponse:
    v = Violations()
    client_id = parse_reference(request.client, "clients", field="client", violations=v, required=False)
    session_id = parse_reference(request.session, "sessions", field="session", violations=v, required=False)
    v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        repository = InvoiceRepository(uow.session)
        page = await repository.page(
            company_id,
            locations=visible_locations(),
            client_id=client_id,
            session_id=session_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        lines = await repository.lines_of(company_id, [row.id for row in page.items])
    return billing_pb2.ListInvoicesResponse(
        invoices=[to_proto(row, lines[row.id]) for row in page.items], next_page_token=page.next_page_token
    )


# --- VoidInvoice -------------------------------------------------------------------------------


async def void_invoice(db: Database, company_id: str, request: billing_pb2.VoidInvoiceRequest) -> billing_pb2.Invoice:
    invoice_id = parse_name(request.name, "invoices")
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        row, lines = await load_invoice(uow, company_id, invoice_id, for_update=True, name=request.name)
        if row.status == VOID:
            return to_proto(row, lines)
        if row.paid_minor != 0:
            raise precondition("name", "INVOICE_HOLDS_PAYMENTS", "refund the invoice's payments before voiding it")
        before = to_proto(row, lines)
        row.status = VOID
        row.updated_at = utcnow()
        await InvoiceRepository(uow.session).save()
        invoice = to_proto(row, lines)
        uow.emit(events.INVOICE_VOIDED, company_id, events_pb2.InvoiceVoidedEvent(invoice=invoice))
        uow.audit(company_id, invoice.name, "voided", before=before, after=invoice)
        return invoice

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="VoidInvoice",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Invoice,
        work=work,
        source=SOURCE,
    )
