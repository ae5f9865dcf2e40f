"""The front desk's work on an invoice and a client's deposits, through billing: lines added and
removed while the invoice is open, payments taken (cash and check recorded, a card charged
through billing's payment provider, a customer deposit applied), payments refunded, customer
deposits taken. Billing decides (permissions per RPC, the front desk's cumulative refund limit,
amounts above the balance, a declined card); its refusals come back here as errors on the
form's fields, in words for the desk. Each write carries the form's request id, so a double
submit acts once (and a card is charged once)."""

from __future__ import annotations

from dataclasses import dataclass

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.common.v1 import money_pb2
from shutterbook_console.domain.desk_forms import ApplyForm, LineForm, PaymentForm, RefundForm, form_field
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import DomainError, FieldViolation, NotFound
from shutterbook_kit.identity import Caller
from shutterbook_kit.permissions import Permission, grants

METHOD = {
    "cash": bpb.PAYMENT_METHOD_CASH,
    "check": bpb.PAYMENT_METHOD_CHECK,
    "card": bpb.PAYMENT_METHOD_ONLINE,  # charged through billing's payment provider
}
DEFAULT_CURRENCY = "USD"  # billing's, when the studio has no price list yet


@dataclass(frozen=True)
class DeskRights:
    charge: bool  # add and remove lines, take payments and deposits
    refund: bool


def rights(caller: Caller) -> DeskRights:
    granted = grants(caller)
    return DeskRights(Permission.BILLING_CHARGE in granted, Permission.BILLING_REFUND in granted)


def not_on_invoice() -> NotFound:
    return NotFound("that payment is not on this invoice")


def _money(minor: int, currency: str) -> money_pb2.Money:
    return money_pb2.Money(amount_minor=minor, currency_code=currency)


def _desk_words(exc: UpstreamError, field: str) -> str:
    """Billing's refusal as the desk reads it."""
    if exc.reason == "REFUND_LIMIT":
        limit = int(exc.metadata.get("limit_minor", "0") or 0)
        done = int(exc.metadata.get("refunded_minor", "0") or 0)
        limit_text = f"{limit // 100:,}.{limit % 100:02d}"
        already = f" ({done // 100:,}.{done % 100:02d} already refunded)" if done else ""
        return f"Above your refund limit of {limit_text} for this record{already}: ask a manager to refund it"
    words = {
        "CARD_DECLINED": "The card was declined; try another card or method",
        "PAYMENT_ABOVE_BALANCE": "Above the balance due",
        "REFUND_ABOVE_PAYMENT": "Above what is left of this payment",
        "REFUND_ABOVE_PAID": "Above what the invoice holds",
        "ABOVE_DEPOSIT_BALANCE": "Above what the deposit holds",
        "INVOICE_VOID": "The invoice is void",
        "INVOICE_PAID_BEYOND": "Without this line the invoice would total less than was paid: refund first",
        "NOTHING_TO_APPLY": "The deposit or the invoice has nothing left",
        "DEPOSIT_OF_ANOTHER_CLIENT": "That deposit belongs to another client",
    }
    if exc.reason in words:
        return words[exc.reason]
    return exc.message[:1].upper() + exc.message[1:] if exc.message else "Refused"


def as_form_errors(exc: DomainError, *, refund: bool = False, default: str = "amount") -> DomainError:
    """Billing's refusal (its status kept) with its field paths renamed to the form's fields:
    field violations, and the field a FAILED_PRECONDITION or PERMISSION_DENIED names."""
    if not isinstance(exc, UpstreamError):
        return exc
    if exc.violations:
        renamed = [FieldViolation(form_field(v.field, refund=refund), v.description) for v in exc.violations]
    elif exc.reason == "REFUND_LIMIT" or "field" in exc.metadata:
        where = form_field(exc.metadata.get("field", default), refund=refund)
        renamed = [FieldViolation(where, _desk_words(exc, where))]
    else:
        return exc
    return UpstreamError(exc.message, reason=exc.reason, violations=renamed, status=exc.status)


async def price_list(up: Upstreams, caller: Caller) -> list[bpb.PriceListItem]:
    listed = await up.call(up.billing.ListPriceListItems, bpb.ListPriceListItemsRequest(page_size=1000), caller)
    return list(listed.price_list_items)


async def add_line(up: Upstreams, caller: Caller, invoice: bpb.Invoice, form: LineForm, request_id: str) -> None:
    line = bpb.InvoiceLine(quantity=form.quantity)
    if form.item:
        line.price_list_item = form.item
        line.description = form.description
    else:
        line.description = form.description
        line.unit_price.CopyFrom(_money(form.unit_price_minor, invoice.currency_code))
        line.tax_rate_bps = form.tax_rate_bps
    request = bpb.AddInvoiceLineRequest(invoice=invoice.name, line=line, request_id=request_id)
    try:
        await up.call(up.billing.AddInvoiceLine, request, caller)
    except DomainError as exc:
        raise as_form_errors(exc, default="description") from exc


async def remove_line(up: Upstreams, caller: Caller, line: str, request_id: str) -> None:
    request = bpb.RemoveInvoiceLineRequest(name=line, request_id=request_id)
    await up.call(up.billing.RemoveInvoiceLine, request, caller)


async def take_payment(up: Upstreams, caller: Caller, invoice: bpb.Invoice, form: PaymentForm) -> bpb.Payment:
    """Cash or check recorded, a card charged through billing's provider, or a deposit applied."""
    amount = _money(form.amount_minor, invoice.currency_code)
    try:
        if form.method == "deposit":
            apply = bpb.ApplyDepositRequest(
                name=form.deposit, invoice=invoice.name, amount=amount, request_id=form.request_id
            )
            return await up.call(up.billing.ApplyDeposit, apply, caller)
        payment = bpb.Payment(invoice=invoice.name, amount=amount, method=METHOD[form.method], note=form.note)
        request = bpb.CreatePaymentRequest(
            payment=payment,
            payment_token=form.card_token if form.method == "card" else "",
            request_id=form.request_id,
        )
        return await up.call(up.billing.CreatePayment, request, caller, timeout=25.0)
    except DomainError as exc:
        raise as_form_errors(exc) from exc


async def refund_payment(up: Upstreams, caller: Caller, payment: bpb.Payment, form: RefundForm) -> bpb.Payment:
    """A refund of (part of) a payment; the front desk's limit is billing's to enforce."""
    request = bpb.RefundPaymentRequest(
        name=payment.name,
        amount=_money(form.amount_minor, payment.amount.currency_code),
        reason=form.reason,
        request_id=form.request_id,
    )
    try:
        return await up.call(up.billing.RefundPayment, request, caller, timeout=25.0)
    except DomainError as exc:
        raise as_form_errors(exc, refund=True, default="refund_amount") from exc


async def take_deposit(up: Upstreams, caller: Caller, client: str, form: PaymentForm) -> bpb.Deposit:
    """A customer deposit held on the client, in the studio's currency (its price list's)."""
    items = await price_list(up, caller)
    currency = items[0].unit_price.currency_code if items else DEFAULT_CURRENCY
    deposit = bpb.Deposit(
        client=client, amount=_money(form.amount_minor, currency), method=METHOD[form.method], note=form.note
    )
    request = bpb.CreateDepositRequest(
        deposit=deposit, payment_token=form.card_token if form.method == "card" else "", request_id=form.request_id
    )
    try:
        return await up.call(up.billing.CreateDeposit, request, caller, timeout=25.0)
    except DomainError as exc:
        raise as_form_errors(exc) from exc


async def refund_deposit(up: Upstreams, caller: Caller, deposit: bpb.Deposit, form: RefundForm) -> bpb.Deposit:
    """Part or all of what a deposit still holds given back; the front desk's limit (on the
    deposit's refunds together) is billing's to enforce, said beside the amount."""
    request = bpb.RefundDepositRequest(
        name=deposit.name,
        amount=_money(form.amount_minor, deposit.amount.currency_code),
        reason=form.reason,
        request_id=form.request_id,
    )
    try:
        return await up.call(up.billing.RefundDeposit, request, caller, timeout=25.0)
    except DomainError as exc:
        raise as_form_errors(exc, refund=True, default="refund_amount") from exc


async def apply_deposit(up: Upstreams, caller: Caller, deposit: bpb.Deposit, form: ApplyForm) -> bpb.Payment:
    """(Part of) a deposit applied to one of its client's invoices, as a payment on it."""
    request = bpb.ApplyDepositRequest(
        name=deposit.name,
        invoice=form.invoice,
        amount=_money(form.amount_minor, deposit.amount.currency_code),
        request_id=form.request_id,
    )
    try:
        return await up.call(up.billing.ApplyDeposit, request, caller)
    except DomainError as exc:
        raise as_form_errors(exc) from exc
