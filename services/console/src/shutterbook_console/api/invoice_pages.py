"""The invoice record (`/invoices/{id}`): lines, totals, payments and refunds, and the history
(billing's audit trail of the invoice and its payments). A role without billing.read gets a
403 page; an invoice of another company or location a 404 page. Managers and owners void one
(billing refuses one holding money, or a role without billing.void: said on the page).

At the desk (billing.charge): lines added and removed while the invoice is open, payments taken
(cash, check, card through billing's provider, a customer deposit applied); with
billing.refund, payments refunded (the front desk within its refund limit). Each is a form; a
refusal shows the page again with what was typed and the error beside its field. Receipts:
`/payments/{id}/receipt.pdf`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from shutterbook.billing.v1 import billing_pb2
from shutterbook_console.api.client_pages import billing_view, field_errors, message_page, upstreams, value_text
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.problems import status_of
from shutterbook_console.api.wizard import pdf_response
from shutterbook_console.application import invoice_desk as desk
from shutterbook_console.application.invoice_records import InvoiceRecord, load_invoice, may_void_invoices, void_invoice
from shutterbook_console.application.receipts import deposit_receipt, payment_receipt
from shutterbook_console.application.wizard import open_deposits
from shutterbook_console.domain.desk_forms import read_line, read_payment, read_refund, request_id
from shutterbook_kit.errors import DomainError
from shutterbook_kit.identity import Caller

NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {
    "voided": "Voided.",
    "line": "Line added.",
    "removed": "Line removed.",
    "paid": "Payment taken.",
    "refunded": "Refund made.",
}


async def _desk(record: InvoiceRecord, caller: Caller, up: Any) -> dict[str, Any]:
    """What the desk's forms need: rights, and (while the invoice is open and the role takes
    money) the price list and the client's deposits that still hold money."""
    rights = desk.rights(caller)
    invoice = record.invoice
    is_open = invoice.status != billing_pb2.INVOICE_STATUS_VOID
    items, deposits = [], []
    if rights.charge and is_open:
        items = await desk.price_list(up, caller)
        deposits = await open_deposits(up, caller, invoice.client)
    return {"rights": rights, "is_open": is_open, "items": items, "deposits": deposits}


async def _page(request: Request[Any, Any, State], record: InvoiceRecord, staff: Any, **context: Any) -> Template:
    invoice = record.invoice
    status = context.pop("status", 200)
    return Template(
        "invoice.html",
        context={
            "title": f"Invoice {invoice.invoice_number}".strip(),
            "body_class": "app",
            "staff": staff,
            "r": record,
            "i": invoice,
            "may_void": may_void_invoices(staff.caller()),
            "request_id": str(uuid.uuid4()),
            "value_text": value_text,
            "errors": {},
            "v": {},
            "form": "",
            **await _desk(record, staff.caller(), upstreams(request)),
            **billing_view(),
            **context,
        },
        status_code=status,
        headers=NO_STORE,
    )


@get("/invoices/{invoice_id:uuid}", include_in_schema=False)
async def invoice_page(request: Request[Any, Any, State], invoice_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    try:
        record = await load_invoice(upstreams(request), current.staff.caller(), f"invoices/{invoice_id}")
    except DomainError as exc:
        return message_page(exc, "Invoice")
    done = request.query_params.get("done", "")
    receipt = request.query_params.get("receipt", "")
    receipt = receipt if any(p.name == receipt for p in record.payments) else ""
    return await _page(request, record, current.staff, notice=NOTICES.get(done, ""), receipt=receipt)


async def _act(
    request: Request[Any, Any, State],
    invoice_id: uuid.UUID,
    form_name: str,
    act: Callable[[Any, Caller, InvoiceRecord, dict[str, str]], Awaitable[str]],
    not_done: str = "Not done",
) -> Template | Redirect:
    """Run a desk action on the invoice; on success back to the record (a notice, and the
    receipt to print when one was made); a refusal shows the record with the form's errors."""
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller, up, name = current.staff.caller(), upstreams(request), f"invoices/{invoice_id}"
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
    try:
        record = await load_invoice(up, caller, name)
    except DomainError as exc:
        return message_page(exc, "Invoice")
    try:
        where = await act(up, caller, record, values)
    except DomainError as refused:
        errors = field_errors(refused)
        try:
            record = await load_invoice(up, caller, name)
        except DomainError as exc:
            return message_page(exc, "Invoice")
        error = f"{not_done}: please correct the field marked below." if errors else f"{not_done}: {refused.message}."
        return await _page(
            request,
            record,
            current.staff,
            status=status_of(refused),
            errors=errors,
            error=error,
            v=values,
            form=form_name,
        )
    return Redirect(f"/{name}?{where}", headers=NO_STORE)


@post("/invoices/{invoice_id:uuid}/void", include_in_schema=False)
async def void_submit(request: Request[Any, Any, State], invoice_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """Void; a refusal (role, money on the invoice) is said on the invoice page."""

    async def act(up: Any, caller: Caller, record: InvoiceRecord, values: dict[str, str]) -> str:
        await void_invoice(up, caller, record.invoice.name, values.get("request_id", ""))
        return "done=voided"

    return await _act(request, invoice_id, "void", act, "Not voided")


@post("/invoices/{invoice_id:uuid}/lines", include_in_schema=False)
async def add_line_submit(request: Request[Any, Any, State], invoice_id: FromPath[uuid.UUID]) -> Template | Redirect:
    async def act(up: Any, caller: Caller, record: InvoiceRecord, values: dict[str, str]) -> str:
        await desk.add_line(up, caller, record.invoice, read_line(values), request_id(values))
        return "done=line"

    return await _act(request, invoice_id, "line", act)


@post("/invoices/{invoice_id:uuid}/lines/{line_id:uuid}/remove", include_in_schema=False)
async def remove_line_submit(
    request: Request[Any, Any, State], invoice_id: FromPath[uuid.UUID], line_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    async def act(up: Any, caller: Caller, record: InvoiceRecord, values: dict[str, str]) -> str:
        await desk.remove_line(up, caller, f"invoices/{invoice_id}/lines/{line_id}", request_id(values))
        return "done=removed"

    return await _act(request, invoice_id, "remove", act)


@post("/invoices/{invoice_id:uuid}/payments", include_in_schema=False)
async def payment_submit(request: Request[Any, Any, State], invoice_id: FromPath[uuid.UUID]) -> Template | Redirect:
    async def act(up: Any, caller: Caller, record: InvoiceRecord, values: dict[str, str]) -> str:
        payment = await desk.take_payment(up, caller, record.invoice, read_payment(values))
        return f"done=paid&receipt={payment.name}"

    return await _act(request, invoice_id, "payment", act)


@post("/invoices/{invoice_id:uuid}/payments/{payment_id:uuid}/refund", include_in_schema=False)
async def refund_submit(
    request: Request[Any, Any, State], invoice_id: FromPath[uuid.UUID], payment_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    async def act(up: Any, caller: Caller, record: InvoiceRecord, values: dict[str, str]) -> str:
        payment = next((p for p in record.payments if p.name == f"payments/{payment_id}"), None)
        if payment is None:
            raise desk.not_on_invoice()
        refunded = await desk.refund_payment(up, caller, payment, read_refund(values))
        return f"done=refunded&receipt={refunded.name}"

    return await _act(request, invoice_id, f"refund:payments/{payment_id}", act)


@get("/payments/{payment_id:uuid}/receipt.pdf", include_in_schema=False)
async def receipt_pdf(request: Request[Any, Any, State], payment_id: FromPath[uuid.UUID]) -> Response[bytes]:
    return await pdf_response(request, f"payments/{payment_id}", payment_receipt)


@get("/deposits/{deposit_id:uuid}/receipt.pdf", include_in_schema=False)
async def deposit_receipt_pdf(request: Request[Any, Any, State], deposit_id: FromPath[uuid.UUID]) -> Response[bytes]:
    return await pdf_response(request, f"deposits/{deposit_id}", deposit_receipt)


INVOICE_HANDLERS = [
    deposit_receipt_pdf,
    invoice_page,
    void_submit,
    add_line_submit,
    remove_line_submit,
    payment_submit,
    refund_submit,
    receipt_pdf,
]
