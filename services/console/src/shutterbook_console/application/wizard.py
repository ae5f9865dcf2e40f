"""The Scheduling Wizard (reference page 03): what its screens offer, finding clients as staff
type, and the one step that writes anything, `commit`.

Nothing is written before the last screen: the browser keeps the wizard's answers and sends
them once. `commit` then books in this order, each step with a request id derived from the
attempt's (a retried Finish repeats steps rather than doing them twice):

1. the client: the one found, or a new one (clients), told to scheduling and billing at once;
2. the session or appointment (scheduling: the conflict check refuses here, nothing else done);
3. the invoice, when asked for now: the type's price list items, more lines, the promo code;
4. the payment LAST: cash or check recorded, a card charged through billing's provider, then a
   customer deposit applied.

A refusal at any step undoes what the attempt did before it: the invoice voided, the session
or appointment cancelled (its time free again), a client created by this attempt deleted. So a
declined card leaves nothing booked and nothing charged (the cancelled session and the void
invoice stay visible as such in their services' histories)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.clients.v1 import clients_pb2 as cpb
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.session_records import pb_date
from shutterbook_console.domain.client_form import NewClient, client_details
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound
from shutterbook_kit.identity import Caller, CallerKind

log = logging.getLogger(__name__)
PAGE = 1000
SEARCH_RESULTS = 10
METHODS = {
    "cash": bpb.PAYMENT_METHOD_CASH,
    "check": bpb.PAYMENT_METHOD_CHECK,
    "card": bpb.PAYMENT_METHOD_ONLINE,  # charged through billing's payment provider
}


# --- what the screens offer ----------------------------------------------------------------------


@dataclass
class Offer:
    location: pb.Location
    session_types: list[pb.SessionType]
    appointment_types: list[pb.AppointmentType]
    statuses: list[pb.SessionStatus]
    staff: list[pb.Schedule]
    rooms: list[pb.Schedule]
    items: list[bpb.PriceListItem]
    billing_answers: bool = True  # False: billing is down; booking works, invoicing waits


async def _price_list(up: Upstreams, caller: Caller) -> list[bpb.PriceListItem] | None:
    """The price list, or None when billing does not answer (the wizard still books)."""
    try:
        reply = await up.call(up.billing.ListPriceListItems, bpb.ListPriceListItemsRequest(page_size=PAGE), caller)
    except UpstreamError as exc:
        if exc.code.name != "UNAVAILABLE":
            raise
        log.warning("price list unavailable: billing does not answer")
        return None
    return list(reply.price_list_items)


async def offer(up: Upstreams, caller: Caller, location: str) -> Offer:
    """Everything the wizard's screens choose from at `location`, asked concurrently."""
    if not caller.may_see_location(location.removeprefix("locations/")):
        raise NotFound("no such location", reason="LOCATION_NOT_FOUND")
    s = up.scheduling
    loc, stypes, atypes, statuses, schedules, items = await asyncio.gather(
        up.call(s.GetLocation, pb.GetLocationRequest(name=location), caller),
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=PAGE), caller),
        up.call(s.ListAppointmentTypes, pb.ListAppointmentTypesRequest(page_size=PAGE), caller),
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=PAGE), caller),
        up.call(s.ListSchedules, pb.ListSchedulesRequest(page_size=PAGE, location=location), caller),
        _price_list(up, caller),
    )
    by_name = sorted(schedules.schedules, key=lambda x: x.display_name)
    return Offer(
        loc,
        sorted(stypes.session_types, key=lambda t: t.display_name),
        sorted(atypes.appointment_types, key=lambda t: t.display_name),
        list(statuses.session_statuses),
        [x for x in by_name if x.kind == pb.SCHEDULE_KIND_STAFF],
        [x for x in by_name if x.kind != pb.SCHEDULE_KIND_STAFF],
        items or [],
        billing_answers=items is not None,
    )


async def search_clients(up: Upstreams, caller: Caller, query: str) -> list[cpb.Client]:
    words = query.strip()[:100]
    if len(words) < 2:
        return []
    reply = await up.call(
        up.clients.SearchClients, cpb.SearchClientsRequest(query=words, page_size=SEARCH_RESULTS), caller
    )
    return [r.client for r in reply.results]


async def open_deposits(up: Upstreams, caller: Caller, client: str) -> list[bpb.Deposit]:
    """The client's deposits with something left to apply."""
    reply = await up.call(up.billing.ListDeposits, bpb.ListDepositsRequest(client=client, page_size=100), caller)
    return [d for d in reply.deposits if d.balance.amount_minor > 0]


# --- the order the last screen sends -------------------------------------------------------------


@dataclass(frozen=True)
class When:
    location: str
    day: date
    start: datetime  # local wall clock
    end: datetime | None = None


@dataclass(frozen=True)
class Line:
    price_list_item: str
    quantity: int = 1


@dataclass(frozen=True)
class Pay:
    method: str = ""  # "", cash, check, card
    amount_minor: int | None = None  # None: the whole balance (less the deposit applied)
    card_token: str = ""
    note: str = ""
    deposit: str = ""  # deposits/{id} to apply
    deposit_minor: int | None = None


@dataclass(frozen=True)
class Order:
    attempt: uuid.UUID
    kind: str  # session, appointment
    when: When
    type: str  # sessionTypes/{id} or appointmentTypes/{id}
    client: str = ""  # clients/{id}; empty with new_client, or for an unlinked appointment
    new_client: NewClient | None = None
    client_info: NewClient | None = None  # an existing client's information as edited on screen 2
    linked_session: str = ""  # an appointment's session
    status: str = ""
    photographer: str = ""
    assistant: str = ""
    camera_room: str = ""
    schedules: tuple[str, ...] = ()  # an appointment's schedules
    description: str = ""
    confirmed: bool = False
    reminder_minutes: int | None = None
    file_number: str = ""
    book_anyway: bool = False
    invoice_now: bool = False
    lines: tuple[Line, ...] = ()
    promo_code: str = ""
    pay: Pay = field(default_factory=Pay)


@dataclass
class Committed:
    client: str = ""
    client_name: str = ""
    session: str = ""
    session_number: str = ""
    appointment: str = ""
    invoice: str = ""
    invoice_number: str = ""
    payment: str = ""
    deposit_payment: str = ""
    balance_minor: int = 0
    currency_code: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Undo:
    client: str = ""
    session: str = ""
    appointment: str = ""
    invoice: str = ""


def step_id(attempt: uuid.UUID, step: str) -> str:
    return str(uuid.uuid5(attempt, step))


def _money(amount: int, currency: str) -> money_pb2.Money:
    return money_pb2.Money(amount_minor=amount, currency_code=currency)


def check_order(order: Order) -> None:
    violations = []
    if order.kind not in ("session", "appointment"):
        violations.append(FieldViolation("kind", "session or appointment"))
    if order.kind == "session" and not (order.client or order.new_client):
        violations.append(FieldViolation("client", "a session is always for a client: find or add one"))
    if order.new_client is not None:
        nc = order.new_client
        if not (nc.given_name.strip() or nc.family_name.strip()):
            violations.append(FieldViolation("new_client.given_name", "a first or last name"))
    if order.pay.method and order.pay.method not in METHODS:
        violations.append(FieldViolation("payment.method", "cash, check or card"))
    if order.pay.method == "card" and not order.pay.card_token:
        violations.append(FieldViolation("payment.card_token", "the card"))
    if (order.pay.method or order.pay.deposit) and not order.invoice_now:
        violations.append(FieldViolation("invoice_now", "a payment needs the invoice now"))
    if order.pay.amount_minor is not None and order.pay.amount_minor < 0:
        violations.append(FieldViolation("payment.amount_minor", "zero or more"))
    if violations:
        raise InvalidArgument("the booking is not complete", violations=violations)


async def _client(up: Upstreams, caller: Caller, order: Order, undo: _Undo) -> cpb.Client | None:
    if order.new_client is None:
        if not order.client:
            return None
        return await up.call(up.clients.GetClient, cpb.GetClientRequest(name=order.client), caller)
    nc = order.new_client
    client = await up.call(
        up.clients.CreateClient,
        cpb.CreateClientRequest(
            client=_new_client(nc),
            request_id=step_id(order.attempt, "client"),
        ),
        caller,
    )
    undo.client = client.name
    return client


def _new_client(nc: NewClient) -> cpb.Client:
    client = client_details(nc)
    client.given_name, client.family_name = nc.given_name.strip(), nc.family_name.strip()
    client.emails.extend([nc.email.strip()] if nc.email.strip() else [])
    client.phones.extend([nc.phone.strip()] if nc.phone.strip() else [])
    return client


async def _update_client(up: Upstreams, caller: Caller, client: cpb.Client, info: NewClient, done: Committed) -> None:
    """The client's information as edited in the wizard, saved once the booking stands (a
    refusal here does not undo the booking: it is said on the done screen)."""
    wanted = {
        "given_name": info.given_name.strip(),
        "family_name": info.family_name.strip(),
        "emails": [info.email.strip(), *client.emails[1:]] if info.email.strip() else list(client.emails[1:]),
        "phones": [info.phone.strip(), *client.phones[1:]] if info.phone.strip() else list(client.phones[1:]),
    }
    current = {
        "given_name": client.given_name,
        "family_name": client.family_name,
        "emails": list(client.emails),
        "phones": list(client.phones),
    }
    mask: list[str] = [name for name in wanted if wanted[name] != current[name]]
    changed = cpb.Client(name=client.name)
    if info.details:
        details = client_details(info, client)
        if details.notes != client.notes:
            mask.append("notes")
            changed.notes = details.notes
        if details.postal_address != client.postal_address:
            mask.append("postal_address")
            changed.postal_address.CopyFrom(details.postal_address)
        if list(details.family_members) != list(client.family_members):
            mask.append("family_members")
            changed.family_members.extend(details.family_members)
    if not mask:
        return
    for name in (m for m in mask if m in wanted):
        value = wanted[name]
        if isinstance(value, list):
            getattr(changed, name).extend(value)
        else:
            setattr(changed, name, value)
    request = cpb.UpdateClientRequest(client=changed)
    request.update_mask.paths.extend(mask)
    try:
        updated = await up.call(up.clients.UpdateClient, request, caller)
    except UpstreamError as exc:
        done.warnings.append(f"The client's information was not saved: {exc.message}.")
        return
    done.client_name = _display(updated)


def _display(client: cpb.Client | None) -> str:
    if client is None:
        return ""
    return " ".join(p for p in (client.given_name, client.family_name) if p) or client.household_name


async def _book(up: Upstreams, caller: Caller, order: Order, client: str, undo: _Undo) -> pb.Session | pb.Appointment:
    w = order.when
    start = pb.TimeOfDay(hours=w.start.hour, minutes=w.start.minute)
    if order.kind == "session":
        session = pb.Session(
            client=client,
            session_type=order.type,
            location=w.location,
            status=order.status,
            photographer=order.photographer,
            assistant=order.assistant,
            camera_room=order.camera_room,
            description=order.description.strip(),
            confirmed=order.confirmed,
            file_number=order.file_number.strip(),
            session_date=pb_date(w.day),
            start=start,
        )
        if w.end is not None:
            session.end.CopyFrom(pb.TimeOfDay(hours=w.end.hour, minutes=w.end.minute))
        if order.reminder_minutes is not None:
            session.reminder_minutes = order.reminder_minutes
        request = pb.CreateSessionRequest(
            session=session, allow_conflicts=order.book_anyway, request_id=step_id(order.attempt, "session")
        )
        booked = await up.call(up.scheduling.CreateSession, request, caller)
        undo.session = booked.name
        return booked
    appointment = pb.Appointment(
        appointment_type=order.type,
        client=client,
        session=order.linked_session if client else "",
        description=order.description.strip(),
        location=w.location,
        appointment_date=pb_date(w.day),
        start=start,
        schedules=list(order.schedules),
        confirmed=order.confirmed,
    )
    if w.end is not None:
        appointment.end.CopyFrom(pb.TimeOfDay(hours=w.end.hour, minutes=w.end.minute))
    if order.reminder_minutes is not None:
        appointment.reminder_minutes = order.reminder_minutes
    made = await up.call(
        up.scheduling.CreateAppointment,
        pb.CreateAppointmentRequest(
            appointment=appointment, allow_conflicts=order.book_anyway, request_id=step_id(order.attempt, "appt")
        ),
        caller,
    )
    undo.appointment = made.name
    return made


async def _invoice(
    up: Upstreams, caller: Caller, order: Order, client: cpb.Client, booked: pb.Session | pb.Appointment, undo: _Undo
) -> bpb.Invoice | None:
    if isinstance(booked, pb.Session):
        stype = await up.call(up.scheduling.GetSessionType, pb.GetSessionTypeRequest(name=booked.session_type), caller)
        snapshot = sev.SessionSnapshot(
            session=booked.name,
            session_number=booked.session_number,
            client=booked.client,
            session_type=stype.name,
            session_type_display_name=stype.display_name,
            description=booked.description,
            start_time=booked.start_time,
            end_time=booked.end_time,
            location=booked.location,
            time_zone=booked.time_zone,
            price_list_items=list(stype.price_list_items),
            auto_create_invoice=stype.auto_create_invoice,
            status=booked.status,
        )
        invoice = await up.call(
            up.billing.EnsureSessionInvoice, bpb.EnsureSessionInvoiceRequest(session=snapshot), caller
        )
    else:
        atype = await up.call(
            up.scheduling.GetAppointmentType, pb.GetAppointmentTypeRequest(name=booked.appointment_type), caller
        )
        if not atype.price_list_items and not order.lines:
            return None
        # the one invoice of the appointment: billing's booked-event handler (for types with
        # "Auto-Create Invoice") finds this one, or this call finds the handler's: never two
        appointment = sev.AppointmentSnapshot(
            appointment=booked.name,
            appointment_type=atype.name,
            appointment_type_display_name=atype.display_name,
            client=booked.client,
            session=booked.session,
            location=booked.location,
            time_zone=booked.time_zone,
            price_list_items=list(atype.price_list_items),
            auto_create_invoice=atype.auto_create_invoice,
        )
        invoice = await up.call(
            up.billing.EnsureAppointmentInvoice,
            bpb.EnsureAppointmentInvoiceRequest(appointment=appointment),
            caller,
        )
    undo.invoice = invoice.name
    for i, extra in enumerate(order.lines):
        invoice = await up.call(
            up.billing.AddInvoiceLine,
            bpb.AddInvoiceLineRequest(
                invoice=invoice.name,
                line=bpb.InvoiceLine(price_list_item=extra.price_list_item, quantity=extra.quantity),
                request_id=step_id(order.attempt, f"line-{i}"),
            ),
            caller,
        )
    return await _promo(up, caller, order, invoice)


async def _promo(up: Upstreams, caller: Caller, order: Order, invoice: bpb.Invoice) -> bpb.Invoice:
    if not order.promo_code.strip():
        return invoice
    return await up.call(
        up.billing.ApplyPromotion,
        bpb.ApplyPromotionRequest(
            invoice=invoice.name, promo_code=order.promo_code.strip(), request_id=step_id(order.attempt, "promo")
        ),
        caller,
    )


async def _pay(up: Upstreams, caller: Caller, order: Order, invoice: bpb.Invoice, done: Committed) -> bpb.Invoice:
    pay = order.pay
    balance = invoice.balance.amount_minor
    deposit_share = 0
    if pay.deposit:
        deposit = await up.call(up.billing.GetDeposit, bpb.GetDepositRequest(name=pay.deposit), caller)
        wanted = pay.deposit_minor if pay.deposit_minor is not None else deposit.balance.amount_minor
        deposit_share = max(0, min(wanted, deposit.balance.amount_minor, balance))
    if pay.method:
        amount = pay.amount_minor if pay.amount_minor is not None else balance - deposit_share
        amount = min(amount, balance - deposit_share)
        if amount > 0:
            payment = await up.call(
                up.billing.CreatePayment,
                bpb.CreatePaymentRequest(
                    payment=bpb.Payment(
                        invoice=invoice.name,
                        amount=_money(amount, invoice.currency_code),
                        method=METHODS[pay.method],
                        note=pay.note.strip()[:200],
                    ),
                    payment_token=pay.card_token if pay.method == "card" else "",
                    request_id=step_id(order.attempt, "payment"),
                ),
                caller,
                timeout=20.0,
            )
            done.payment = payment.name
    if deposit_share > 0:
        request = bpb.ApplyDepositRequest(
            name=pay.deposit,
            invoice=invoice.name,
            amount=_money(deposit_share, invoice.currency_code),
            request_id=step_id(order.attempt, "deposit"),
        )
        try:
            done.deposit_payment = (await up.call(up.billing.ApplyDeposit, request, caller)).name
        except UpstreamError as exc:
            if not done.payment:
                raise
            # money was taken: the booking stands; the deposit stays on the client, said so
            done.warnings.append(f"The deposit was not applied: {exc.message}. Apply it from the invoice.")
    return await up.call(up.billing.GetInvoice, bpb.GetInvoiceRequest(name=invoice.name), caller)


def undo_caller(caller: Caller) -> Caller:
    """Who undoes a refused attempt: the console itself, in the staff member's company. The undo
    rolls back the attempt's own writes (a front desk may not void invoices or delete clients
    by hand, but what the wizard did and could not finish must not stay behind); audit entries
    name it with the staff member it worked for."""
    return Caller(
        company_id=caller.company_id,
        kind=CallerKind.SERVICE,
        caller_id="console",
        display_name=f"Scheduling Wizard, undoing for {caller.display_name or caller.caller_id}",
    )


async def _compensate(up: Upstreams, staff: Caller, undo: _Undo) -> None:
    """Undo what an attempt did before a refusal, newest first; each step on its own."""
    caller = undo_caller(staff)
    steps: list[tuple[str, object, object]] = []
    if undo.invoice:
        steps.append(("void invoice", up.billing.VoidInvoice, bpb.VoidInvoiceRequest(name=undo.invoice)))
    if undo.session:
        steps.append(("cancel session", up.scheduling.CancelSession, pb.CancelSessionRequest(name=undo.session)))
    if undo.appointment:
        steps.append(
            (
                "cancel appointment",
                up.scheduling.CancelAppointment,
                pb.CancelAppointmentRequest(name=undo.appointment),
            )
        )
    if undo.client:
        steps.append(("delete client", up.clients.DeleteClient, cpb.DeleteClientRequest(name=undo.client)))
    for what, method, request in steps:
        try:
            await up.call(method, request, caller)  # type: ignore[arg-type]
        except UpstreamError as exc:
            log.warning("wizard compensation failed: %s: %s %s", what, exc.reason, exc.message)


async def _tell_directories(up: Upstreams, caller: Caller, client: cpb.Client) -> None:
    """Scheduling and billing learn a client at once, not when its event arrives."""
    await asyncio.gather(
        up.call(up.scheduling.EnsureKnownClient, pb.EnsureKnownClientRequest(client=client), caller),
        up.call(up.billing.EnsureKnownClient, bpb.EnsureKnownClientRequest(client=client), caller),
    )


async def commit(up: Upstreams, caller: Caller, order: Order) -> Committed:
    """Books what the wizard's screens gathered, or nothing (see the module's docstring)."""
    check_order(order)
    if not caller.may_see_location(order.when.location.removeprefix("locations/")):
        raise InvalidArgument("not your location", violations=[FieldViolation("location", "not one of yours")])
    undo = _Undo()
    done = Committed()
    try:
        client = await _client(up, caller, order, undo)
        if client is not None:
            await _tell_directories(up, caller, client)
            done.client, done.client_name = client.name, _display(client)
        booked = await _book(up, caller, order, client.name if client else "", undo)
        if isinstance(booked, pb.Session):
            done.session, done.session_number = booked.name, booked.session_number
        else:
            done.appointment = booked.name
        if order.invoice_now and client is not None:
            invoice = await _invoice(up, caller, order, client, booked, undo)
            if invoice is not None:
                if order.pay.method or order.pay.deposit:
                    invoice = await _pay(up, caller, order, invoice, done)
                done.invoice, done.invoice_number = invoice.name, invoice.invoice_number
                done.balance_minor, done.currency_code = invoice.balance.amount_minor, invoice.currency_code
        if client is not None and order.client_info is not None and order.new_client is None:
            await _update_client(up, caller, client, order.client_info, done)
    except UpstreamError as exc:
        if exc.code.name != "UNAVAILABLE":
            await _compensate(up, caller, undo)
        # UNAVAILABLE: a step's outcome is unknown (a charge may have gone through). Nothing is
        # undone; Finish again with the same attempt repeats each step by its request id.
        raise
    return done
