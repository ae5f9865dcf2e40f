"""Use cases: invoices. Created by hand, or per session (EnsureSessionInvoice and the
`scheduling.session.booked` handler share one path, so a session has one fee invoice)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_billing.application import client_directory
from shutterbook_billing.application.common import (
    DEFAULT_CURRENCY,
    SOURCE,
    from_timestamp,
    id_of,
    money,
    precondition,
    timestamp,
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
from shutterbook_billing.storage.models import InvoiceCounterRow, InvoiceLineRow, InvoiceRow, PriceListItemRow
from shutterbook_kit.consumer import Delivery, PoisonEvent, Subscription
from shutterbook_kit.db import Database
from shutterbook_kit.errors import InvalidArgument, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_name
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
            )
        )
    return invoice


async def load_invoice(
    uow: UnitOfWork, company_id: str, invoice_id: str, *, for_update: bool = False, name: str = ""
) -> tuple[InvoiceRow, list[InvoiceLineRow]]:
    """The company's invoice and its lines; another company's is NOT_FOUND. `for_update`
    locks the row (PostgreSQL; SQLite writers are serialized by BEGIN IMMEDIATE)."""
    query = select(InvoiceRow).where(InvoiceRow.company_id == company_id, InvoiceRow.id == invoice_id)
    if for_update:
        query = query.with_for_update()
    row = await uow.session.scalar(query)
    if row is None:
        raise NotFound(f"{name or 'invoices/' + invoice_id} not found")
    lines = list(
        (
            await uow.session.scalars(
                select(InvoiceLineRow)
                .where(InvoiceLineRow.company_id == company_id, InvoiceLineRow.invoice_id == invoice_id)
                .order_by(InvoiceLineRow.position)
            )
        ).all()
    )
    return row, lines


async def _next_number(uow: UnitOfWork, company_id: str) -> int:
    """The company's next invoice number. The counter row is created if missing (a concurrent
    creator waits on it, or does nothing), then incremented under its row lock: race-free."""
    dialect: Any = sqlite if uow.db.is_sqlite else postgresql
    await uow.session.execute(
        dialect.insert(InvoiceCounterRow).values(company_id=company_id, last_number=0).on_conflict_do_nothing()
    )
    await uow.session.execute(
        update(InvoiceCounterRow)
        .where(InvoiceCounterRow.company_id == company_id)
        .values(last_number=InvoiceCounterRow.last_number + 1)
    )
    number = await uow.session.scalar(
        select(InvoiceCounterRow.last_number).where(InvoiceCounterRow.company_id == company_id)
    )
    assert number is not None
    return number


@dataclass(frozen=True)
class DraftLine:
    price_list_item_id: str | None
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bps: int


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
    row.total_minor = amounts.total


def set_status(row: InvoiceRow) -> bool:
    """Status from the amounts (never for a void invoice). True when it just became paid."""
    if row.status == VOID:
        return False
    was = row.status
    row.status = PAID if invoice_is_paid(row.total_minor, row.paid_minor) else OPEN
    return was != PAID and row.status == PAID


async def _insert_invoice(
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
) -> billing_pb2.Invoice:
    now = utcnow()
    if not client_display_name:
        client_display_name = await client_directory.name_of(uow, company_id, client_id)
    row = InvoiceRow(
        id=str(uuid.uuid4()),
        company_id=company_id,
        number=await _next_number(uow, company_id),
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
        currency_code=currency_code,
        subtotal_minor=0,
        discount_minor=0,
        tax_minor=0,
        total_minor=0,
        paid_minor=0,
        status=OPEN,
        promotion_id=None,
        promo_code="",
        created_at=now,
        updated_at=now,
    )
    if session is not None:
        row.session_number = session.session_number
        row.session_type_id = id_of(session.session_type, "sessionTypes")
        row.session_type_display_name = session.session_type_display_name
        row.session_description = session.description
        row.session_start = from_timestamp(session.start_time) if session.HasField("start_time") else None
        row.session_end = from_timestamp(session.end_time) if session.HasField("end_time") else None
        row.location_id = id_of(session.location, "locations")
        row.time_zone = session.time_zone
    lines = [
        InvoiceLineRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            invoice_id=row.id,
            position=i,
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
        for i, d in enumerate(drafts)
    ]
    reprice(row, lines, None)
    uow.session.add(row)
    await uow.session.flush()  # the invoice before its lines (foreign key)
    uow.session.add_all(lines)
    await uow.session.flush()
    invoice = to_proto(row, lines)
    uow.emit("billing.invoice.created", company_id, events_pb2.InvoiceCreatedEvent(invoice=invoice))
    return invoice


async def _items(uow: UnitOfWork, company_id: str, ids: Sequence[str]) -> dict[str, PriceListItemRow]:
    if not ids:
        return {}
    rows = await uow.session.scalars(
        select(PriceListItemRow).where(PriceListItemRow.company_id == company_id, PriceListItemRow.id.in_(ids))
    )
    return {row.id: row for row in rows}


def _uuid_or_none(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


# --- CreateInvoice ---------------------------------------------------------------------------


async def create_invoice(
    db: Database, company_id: str, request: billing_pb2.CreateInvoiceRequest
) -> billing_pb2.Invoice:
    inv = request.invoice
    v = Violations()
    validate_request_id(request.request_id, v)
    client_id = _name_id(inv.client, "clients", "invoice.client", v, required=True)
    session_id = _name_id(inv.session, "sessions", "invoice.session", v, required=False)
    if len(inv.client_display_name) > 200:
        v.add("invoice.client_display_name", "must be at most 200 characters")
    if inv.currency_code:
        check_currency(inv.currency_code, "invoice.currency_code", v)
    elif not inv.lines:
        v.add("invoice.currency_code", "is required for an invoice without lines")
    item_refs: dict[int, str] = {}
    for i, line in enumerate(inv.lines):
        path = f"invoice.lines[{i}]"
        if line.quantity < 0 or line.quantity > MAX_QUANTITY:
            v.add(f"{path}.quantity", f"must be between 1 and {MAX_QUANTITY} (0 means 1)")
        if line.price_list_item:
            item_id = _name_id(line.price_list_item, "priceListItems", f"{path}.price_list_item", v, required=True)
            if item_id:
                item_refs[i] = item_id
            continue
        if not line.description.strip() or len(line.description) > 200:
            v.add(f"{path}.description", "is required for a line without a price list item, at most 200 characters")
        check_currency(line.unit_price.currency_code, f"{path}.unit_price.currency_code", v)
        check_price(line.unit_price.amount_minor, f"{path}.unit_price.amount_minor", v)
        check_tax_rate(line.tax_rate_bps, f"{path}.tax_rate_bps", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        items = await _items(uow, company_id, list(item_refs.values()))
        v = Violations()
        drafts: list[DraftLine] = []
        currencies: list[tuple[str, str]] = []
        for i, line in enumerate(inv.lines):
            path = f"invoice.lines[{i}]"
            quantity = line.quantity or 1
            if i in item_refs:
                item = items.get(item_refs[i])
                if item is None:
                    v.add(f"{path}.price_list_item", "no such price list item")
                    continue
                drafts.append(
                    DraftLine(
                        item.id,
                        line.description.strip() or item.display_name,
                        quantity,
                        item.unit_price_minor,
                        item.tax_rate_bps,
                    )
                )
                currencies.append((f"{path}.price_list_item", item.currency_code))
            else:
                drafts.append(
                    DraftLine(None, line.description.strip(), quantity, line.unit_price.amount_minor, line.tax_rate_bps)
                )
                currencies.append((f"{path}.unit_price.currency_code", line.unit_price.currency_code))
        currency = inv.currency_code or (currencies[0][1] if currencies else DEFAULT_CURRENCY)
        for path, code in currencies:
            if code != currency:
                v.add(path, f"currency {code} differs from the invoice's {currency}")
        v.raise_if_any()
        assert client_id is not None
        return await _insert_invoice(
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


def _name_id(name: str, collection: str, field: str, v: Violations, *, required: bool) -> str | None:
    """The UUID in `collection/{uuid}`, or a violation. References to other services' records
    are checked for shape only (billing does not read their tables)."""
    if not name:
        if required:
            v.add(field, "is required")
        return None
    raw = name.removeprefix(f"{collection}/")
    if not name.startswith(f"{collection}/") or _uuid_or_none(raw) is None:
        v.add(field, f"must look like {collection}/{{uuid}}")
        return None
    return _uuid_or_none(raw)


# --- session invoices (EnsureSessionInvoice and the booked-event handler) ------------------


def _check_snapshot(snapshot: scheduling_events.SessionSnapshot, prefix: str, v: Violations) -> None:
    _name_id(snapshot.session, "sessions", f"{prefix}.session", v, required=True)
    _name_id(snapshot.client, "clients", f"{prefix}.client", v, required=True)
    for i, name in enumerate(snapshot.price_list_items):
        _name_id(name, "priceListItems", f"{prefix}.price_list_items[{i}]", v, required=True)


async def ensure_session_invoice_in(
    uow: UnitOfWork, company_id: str, snapshot: scheduling_events.SessionSnapshot, currency_code: str = ""
) -> tuple[billing_pb2.Invoice, bool]:
    """The session's fee invoice, created (lines from its price list items, in order; none: a
    zero invoice) unless it exists. Returns (invoice, created). Bad input: InvalidArgument."""
    v = Violations()
    _check_snapshot(snapshot, "session", v)
    if currency_code:
        check_currency(currency_code, "currency_code", v)
    v.raise_if_any()
    session_id = id_of(snapshot.session, "sessions")
    existing = await uow.session.scalar(
        select(InvoiceRow.id).where(
            InvoiceRow.company_id == company_id, InvoiceRow.session_fee_session_id == session_id
        )
    )
    if existing is not None:
        row, lines = await load_invoice(uow, company_id, existing)
        return to_proto(row, lines), False
    ids = [id_of(name, "priceListItems") for name in snapshot.price_list_items]
    items = await _items(uow, company_id, ids)
    drafts: list[DraftLine] = []
    currency = currency_code
    for i, item_id in enumerate(ids):
        item = items.get(item_id)
        path = f"session.price_list_items[{i}]"
        if item is None:
            v.add(path, "no such price list item")
            continue
        currency = currency or item.currency_code
        if item.currency_code != currency:
            v.add(path, f"currency {item.currency_code} differs from the invoice's {currency}")
        drafts.append(DraftLine(item.id, item.display_name, 1, item.unit_price_minor, item.tax_rate_bps))
    v.raise_if_any()
    invoice = await _insert_invoice(
        uow,
        company_id,
        client_id=id_of(snapshot.client, "clients"),
        client_display_name="",
        currency_code=currency or DEFAULT_CURRENCY,
        drafts=drafts,
        session=snapshot,
        session_id=session_id,
        session_fee=True,
    )
    return invoice, True


async def ensure_session_invoice(
    db: Database, company_id: str, request: billing_pb2.EnsureSessionInvoiceRequest
) -> billing_pb2.Invoice:
    """Idempotent by session: a retry, or a race with the event handler, gets the one invoice."""
    for attempt in range(2):
        try:
            async with UnitOfWork(db, source=SOURCE) as uow:
                invoice, _ = await ensure_session_invoice_in(uow, company_id, request.session, request.currency_code)
                await uow.commit()
                return invoice
        except IntegrityError:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


async def on_session_booked(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, scheduling_events.SessionBookedEvent)
    if not event.session.auto_create_invoice:
        return
    try:
        # a redelivered event (or one scheduling emitted twice) finds the invoice and adds nothing
        await ensure_session_invoice_in(delivery.uow, delivery.envelope.company_id, event.session)
    except InvalidArgument as exc:  # unknown items, mixed currencies: never succeeds, keep it visible
        raise PoisonEvent(f"{exc.message}: {[(v.field, v.description) for v in exc.violations]}") from exc


SUBSCRIPTIONS = [
    Subscription("scheduling.session.booked", scheduling_events.SessionBookedEvent, on_session_booked),
]


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
    client_id = _name_id(request.client, "clients", "client", v, required=False)
    session_id = _name_id(request.session, "sessions", "session", v, required=False)
    v.raise_if_any()
    query_key = {"client": client_id, "session": session_id}
    page = parse_page(request.page_size, request.page_token, query_key)
    query = select(InvoiceRow).where(InvoiceRow.company_id == company_id)
    if client_id:
        query = query.where(InvoiceRow.client_id == client_id)
    if session_id:
        query = query.where(InvoiceRow.session_id == session_id)
    if page.cursor is not None:
        query = query.where(InvoiceRow.number < int(page.cursor["n"]))
    query = query.order_by(InvoiceRow.number.desc()).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
        more = len(rows) > page.size
        rows = rows[: page.size]
        lines: dict[str, list[InvoiceLineRow]] = {row.id: [] for row in rows}
        if rows:
            for line in await uow.session.scalars(
                select(InvoiceLineRow).where(
                    InvoiceLineRow.company_id == company_id, InvoiceLineRow.invoice_id.in_(list(lines))
                )
            ):
                lines[line.invoice_id].append(line)
    return billing_pb2.ListInvoicesResponse(
        invoices=[to_proto(row, lines[row.id]) for row in rows],
        next_page_token=next_token({"n": rows[-1].number} if more else None, query_key),
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
        row.status = VOID
        row.updated_at = utcnow()
        await uow.session.flush()
        invoice = to_proto(row, lines)
        uow.emit("billing.invoice.voided", company_id, events_pb2.InvoiceVoidedEvent(invoice=invoice))
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
