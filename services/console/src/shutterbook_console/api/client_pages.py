"""The client record (`/clients/{id}`) and "New client" (`/clients/new`): server-rendered forms
over the clients service. A refused save shows the form again with what was typed and each
error beside its field; a role without clients.write sees the record read-only."""

from __future__ import annotations

import json
import uuid
from typing import Any

from google.protobuf import json_format
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.problems import status_of
from shutterbook_console.application import invoice_desk
from shutterbook_console.application.client_records import (
    create_client,
    load_client,
    may_edit_clients,
    save_client,
)
from shutterbook_console.domain.client_form import RELATIONSHIPS, form_values, member_count, read_form
from shutterbook_console.domain.desk_forms import read_apply, read_deposit, read_refund
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import DomainError, NotFound

NO_STORE = {"Cache-Control": "no-store"}
PAYMENT_METHODS = {
    billing_pb2.PAYMENT_METHOD_CASH: "Cash",
    billing_pb2.PAYMENT_METHOD_CHECK: "Check",
    billing_pb2.PAYMENT_METHOD_CARD: "Card",
    billing_pb2.PAYMENT_METHOD_ONLINE: "Card (provider)",
    billing_pb2.PAYMENT_METHOD_DEPOSIT: "Deposit",
}
INVOICE_STATUS = {
    billing_pb2.INVOICE_STATUS_OPEN: "Open",
    billing_pb2.INVOICE_STATUS_PAID: "Paid",
    billing_pb2.INVOICE_STATUS_VOID: "Void",
}


def upstreams(request: Request[Any, Any, State]) -> Upstreams:
    up: Upstreams = request.app.state.upstreams
    return up


def field_errors(exc: DomainError) -> dict[str, str]:
    return {v.field: v.description[:1].upper() + v.description[1:] for v in getattr(exc, "violations", [])}


def summary(exc: DomainError, errors: dict[str, str]) -> str:
    if isinstance(exc, UpstreamError) and exc.code.name == "PERMISSION_DENIED":
        return "Not saved: your role may not change clients."
    if errors:
        many = len(errors) > 1
        return (
            f"Not saved: please correct the {len(errors)} fields marked below."
            if many
            else ("Not saved: please correct the field marked below.")
        )
    return f"Not saved: {exc.message}"


def notice_page(title: str, message: str, status: int, *, link: tuple[str, str] = ("/clients", "Clients")) -> Template:
    """A page that only says something, with one way on."""
    return Template(
        "message.html",
        context={"title": title, "message": message, "link": link[0], "link_label": link[1]},
        status_code=status,
    )


def message_page(exc: DomainError, title: str) -> Template:
    return notice_page(title, exc.message.capitalize(), status_of(exc))


def value_text(value: Any) -> str:
    """An audit entry's JSON value as a person reads it: text bare, lists and objects as JSON."""
    plain = json_format.MessageToDict(value)
    return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)


def money(minor: int, currency: str) -> str:
    return f"{currency} {minor / 100:,.2f}" if currency else f"{minor / 100:,.2f}"


def billing_view() -> dict[str, Any]:
    """What the invoices partial (`_invoices.html`) needs besides `billing`."""
    return {"money": money, "methods": PAYMENT_METHODS, "invoice_status": INVOICE_STATUS}


def _context(staff: Any, values: dict[str, str], **context: Any) -> dict[str, Any]:
    return {
        "body_class": "app",
        "staff": staff,
        "v": values,
        "rows": member_count(values) + 1,  # the stored members and one blank row to add one
        "relationships": RELATIONSHIPS,
        "errors": context.pop("errors", {}),
        "dv": context.pop("dv", {}),
        "deposit_errors": context.pop("deposit_errors", {}),
        "deposit_form": context.pop("deposit_form", "take"),
        "rights": invoice_desk.rights(staff.caller()),
        "request_id": str(uuid.uuid4()),
        "value_text": value_text,
        **billing_view(),
        **context,
    }


async def _record(
    request: Request[Any, Any, State], client_id: uuid.UUID, values: dict[str, str] | None, **kw: Any
) -> Template:
    current = await current_session(request)
    assert current is not None
    try:
        record = await load_client(upstreams(request), current.staff.caller(), f"clients/{client_id}")
    except DomainError as exc:
        return message_page(exc, "Client")
    status = kw.pop("status", 200)
    return Template(
        "client.html",
        context=_context(
            current.staff,
            values if values is not None else form_values(record.client),
            title=record.client.household_name or f"{record.client.given_name} {record.client.family_name}".strip(),
            r=record,
            c=record.client,
            **kw,
        ),
        status_code=status,
        headers=NO_STORE,
    )


async def _form(request: Request[Any, Any, State]) -> dict[str, str]:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    values.pop("_csrf_token", None)
    return values


@get("/clients/{client_id:uuid}", include_in_schema=False)
async def client_page(request: Request[Any, Any, State], client_id: FromPath[uuid.UUID]) -> Template | Redirect:
    if await current_session(request) is None:
        return Redirect("/login")
    notices = {
        "1": "Saved.",
        "created": "Client created.",
        "merged": "Merged.",
        "deposit": "Deposit taken.",
        "deposit_refunded": "Deposit refunded.",
        "deposit_applied": "Deposit applied to the invoice.",
    }
    saved = notices.get(request.query_params.get("saved", ""), "")
    receipt = request.query_params.get("receipt", "")
    receipt = receipt if receipt.startswith(("deposits/", "payments/")) and uuid_tail(receipt) else ""
    return await _record(request, client_id, None, notice=saved, receipt=receipt)


def uuid_tail(name: str) -> bool:
    try:
        uuid.UUID(name.rsplit("/", 1)[-1])
    except ValueError:
        return False
    return True


@post("/clients/{client_id:uuid}/deposits", include_in_schema=False)
async def deposit_submit(request: Request[Any, Any, State], client_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """A customer deposit taken on the client record (cash, check, card through billing's
    provider); a refusal shows the record on its invoices tab with the error beside its field."""
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    values = await _form(request)
    name = f"clients/{client_id}"
    try:
        deposit = await invoice_desk.take_deposit(
            upstreams(request), current.staff.caller(), name, read_deposit(values)
        )
    except DomainError as exc:
        if status_of(exc) == 404:
            return message_page(exc, "Client")
        errors = field_errors(exc)
        error = (
            "Deposit not taken: please correct the field marked below."
            if errors
            else f"Deposit not taken: {exc.message}."
        )
        return await _record(
            request, client_id, None, deposit_errors=errors, dv=values, error=error, status=status_of(exc)
        )
    return Redirect(f"/{name}?saved=deposit&receipt={deposit.name}#invoices", headers=NO_STORE)


async def _deposit_of(up: Upstreams, caller: Any, client: str, deposit_id: uuid.UUID) -> billing_pb2.Deposit:
    """The client's deposit; another client's is NOT_FOUND, as one billing does not know."""
    deposit = await up.call(up.billing.GetDeposit, billing_pb2.GetDepositRequest(name=f"deposits/{deposit_id}"), caller)
    if deposit.client != client:
        raise NotFound("no such deposit on this client")
    return deposit


@post("/clients/{client_id:uuid}/deposits/{deposit_id:uuid}/{action:str}", include_in_schema=False)
async def deposit_action_submit(
    request: Request[Any, Any, State],
    client_id: FromPath[uuid.UUID],
    deposit_id: FromPath[uuid.UUID],
    action: FromPath[str],
) -> Template | Redirect:
    """What a deposit still holds refunded (`refund`: within the front desk's refund limit,
    billing's to enforce) or applied to one of the client's open invoices (`apply`), each with
    its receipt; a refusal shows the record with the error beside the deposit form's field."""
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    if action not in ("refund", "apply"):
        return notice_page("Client", "No such page.", 404)
    values = await _form(request)
    name = f"clients/{client_id}"
    up, caller = upstreams(request), current.staff.caller()
    try:
        deposit = await _deposit_of(up, caller, name, deposit_id)
        if action == "refund":
            refunded = await invoice_desk.refund_deposit(up, caller, deposit, read_refund(values))
            return Redirect(f"/{name}?saved=deposit_refunded&receipt={refunded.name}#invoices", headers=NO_STORE)
        payment = await invoice_desk.apply_deposit(up, caller, deposit, read_apply(values))
    except DomainError as exc:
        if status_of(exc) == 404:
            return message_page(exc, "Client")
        errors = field_errors(exc)
        verb = "Not refunded" if action == "refund" else "Not applied"
        error = f"{verb}: please correct the field marked below." if errors else f"{verb}: {exc.message}."
        return await _record(
            request,
            client_id,
            None,
            deposit_errors=errors,
            deposit_form=f"{action}:deposits/{deposit_id}",
            dv=values,
            error=error,
            status=status_of(exc),
        )
    return Redirect(f"/{name}?saved=deposit_applied&receipt={payment.name}#invoices", headers=NO_STORE)


@post("/clients/{client_id:uuid}", include_in_schema=False)
async def client_submit(request: Request[Any, Any, State], client_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller = current.staff.caller()
    up = upstreams(request)
    values = await _form(request)
    name = f"clients/{client_id}"
    try:
        stored = await up.call(up.clients.GetClient, clients_pb2.GetClientRequest(name=name), caller)
        await save_client(up, caller, read_form(values, stored))
    except DomainError as exc:
        if status_of(exc) == 404:
            return message_page(exc, "Client")
        errors = field_errors(exc)
        return await _record(
            request, client_id, values, errors=errors, error=summary(exc, errors), status=status_of(exc)
        )
    return Redirect(f"/{name}?saved=1", headers=NO_STORE)


def _new_page(staff: Any, values: dict[str, str], **kw: Any) -> Template:
    status = kw.pop("status", 200)
    values.setdefault("request_id", str(uuid.uuid4()))
    return Template(
        "client_new.html",
        context=_context(staff, values, title="New client", **kw),
        status_code=status,
        headers=NO_STORE,
    )


@get("/clients/new", include_in_schema=False)
async def new_client_page(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    if not may_edit_clients(current.staff.caller()):
        return notice_page("New client", "Your role may not add clients.", 403)
    return _new_page(current.staff, {})


@post("/clients/new", include_in_schema=False)
async def new_client_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    values = await _form(request)
    try:
        created = await create_client(
            upstreams(request), current.staff.caller(), read_form(values, None), values.get("request_id", "")
        )
    except DomainError as exc:
        errors = field_errors(exc)
        return _new_page(current.staff, values, errors=errors, error=summary(exc, errors), status=status_of(exc))
    return Redirect(f"/{created.name}?saved=created", headers=NO_STORE)


CLIENT_PAGE_HANDLERS = [
    new_client_page,
    new_client_submit,
    client_page,
    client_submit,
    deposit_submit,
    deposit_action_submit,
]
