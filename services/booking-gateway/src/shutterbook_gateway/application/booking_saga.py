"""The booking saga: hold -> pay -> confirm, across clients, scheduling and billing.

1. find-or-create the client (clients);
2. when the type asks for payment, hold the slot (scheduling): the request carries the client,
   which scheduling makes known in the hold's own commit (no EnsureKnownClient call first);
   the only step racing bookings meet; losers stop here with nothing done but an expired hold.
   A booking that takes no payment holds nothing: step 5 books the slot itself;
3. record the booking here (state HELD) before anything can take money, so recovery finds it;
4. pay (billing), when the type asks for payment: the session's fee invoice is created for the
   booking's pre-assigned session id, the promo code applied, and the payment taken on it; or
   a customer deposit is taken; then the record turns PAID (nothing to pay: it stays HELD);
5. confirm (scheduling books the held slot under that session id; with no hold, the slot itself
   with the client's details, in one transaction); the booking record turns
   CONFIRMED in the same commit that puts `gateway.booking.confirmed` (with the manage link)
   in the outbox (cancel and reschedule likewise write their event with their change). The
   event and the answer are built from the session BookOnline returns and the cached type and
   location: no read back.

A refusal (card declined, promo code unknown, hold expired) undoes what was done: the hold is
released, the invoice voided, a payment refunded, visibly in billing. When a service does not
answer, the outcome of the step is unknown: the booking stays HELD/PAID with its lease run out,
and recovery (application/recovery.py) settles it once the service is back: a booking whose slot
was confirmed stays, anything else is released and refunded (a booking with no hold: found
booked it stays, not found once its lease ran out it failed). Every step carries a deadline and
a request_id derived from the booking's, so a retry of any step (by gRPC, by recovery, by the
partner with the same Idempotency-Key) repeats it rather than doing it twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import grpc
from google.protobuf import field_mask_pb2
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.application import catalog
from shutterbook_gateway.application.api_keys import Partner, sha256_hex
from shutterbook_gateway.application.booking_events import BookingParts, ManageLink, pending, read_parts
from shutterbook_gateway.application.idempotency_keys import Keeping
from shutterbook_gateway.application.open_slot_model import OpenSlotModel
from shutterbook_gateway.application.recovery import deposit_note, extend_lease, record, save, save_confirmed, settle
from shutterbook_gateway.domain.booking import (
    PROMOTION_PREFIX,
    PaymentKind,
    PaymentPlan,
    SagaState,
    accepts_promo_codes,
    promo_code_offered,
    step_id,
)
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams, rpc_reason
from shutterbook_kit.db import Database
from shutterbook_kit.errors import (
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    Unavailable,
    Violations,
)
from shutterbook_kit.failpoints import failpoint
from shutterbook_kit.resource_names import resource_id
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

log = logging.getLogger(__name__)

# Refusals a step can meet that mean "no, and it will stay no" (as opposed to "no answer").
DEFINITE = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.PERMISSION_DENIED,
    }
)


# A booking with no hold is settled by looking it up (recovery.py): not found, it failed only
# once no call booking it can still commit. Its BookOnline's deadline ends this long before its
# lease does, and a confirmation that got no answer moves the lease this long past the call's
# deadline: room for a COMMIT in flight at the deadline and for replicas' clocks.
UNHELD_GRACE = timedelta(seconds=10)


@dataclass(frozen=True)
class Participant:
    given_name: str
    family_name: str = ""
    relationship: clients_pb2.FamilyRelationship.ValueType = clients_pb2.FAMILY_RELATIONSHIP_UNSPECIFIED


@dataclass(frozen=True)
class BookingRequest:
    slot_id: str
    given_name: str
    family_name: str
    email: str
    phone: str = ""
    participants: list[Participant] = field(default_factory=list)
    notes: str = ""
    promo_code: str = ""
    payment_token: str = ""


@dataclass(frozen=True)
class Booked:
    row: OnlineBookingRow
    manage_token: str  # only right after booking: never stored, only its hash
    parts: BookingParts  # what the answer shows, as the confirmation event has it


def _money(amount: int, currency: str) -> money_pb2.Money:
    return money_pb2.Money(amount_minor=amount, currency_code=currency)


# --- steps -------------------------------------------------------------------------------------


async def _client(up: Upstreams, partner: Partner, req: BookingRequest) -> clients_pb2.Client:
    wanted = clients_pb2.Client(given_name=req.given_name, family_name=req.family_name, emails=[req.email])
    if req.phone:
        wanted.phones.append(req.phone)
    found = await up.clients.FindOrCreateClient(
        clients_pb2.FindOrCreateClientRequest(client=wanted), metadata=partner.metadata(), timeout=up.deadlines.call
    )
    client = found.client
    missing = [p for p in req.participants if _family_member(client, p) is None]
    if missing:
        members = list(client.family_members) + [
            clients_pb2.FamilyMember(given_name=p.given_name, family_name=p.family_name, relationship=p.relationship)
            for p in missing
        ]
        update = clients_pb2.Client(name=client.name, family_members=members)
        client = await up.clients.UpdateClient(
            clients_pb2.UpdateClientRequest(
                client=update, update_mask=field_mask_pb2.FieldMask(paths=["family_members"])
            ),
            metadata=partner.metadata(),
            timeout=up.deadlines.call,
        )
    # scheduling learns clients from events: the hold carries the client to it (`_hold`)
    return client


def _family_member(client: clients_pb2.Client, p: Participant) -> str | None:
    for member in client.family_members:
        same_given = member.given_name.casefold() == p.given_name.casefold()
        same_family = (
            not p.family_name or (member.family_name or client.family_name).casefold() == p.family_name.casefold()
        )
        if same_given and same_family:
            return member.name
    return None


async def _offered_codes(up: Upstreams, partner: Partner, online: pb.OnlineBookingSettings) -> set[str]:
    """The promo codes a type offers online: its `online_promotions` are codes, or billing's
    promotions (`promotions/{id}`) whose codes are asked of billing."""
    codes = {p.strip().upper() for p in online.online_promotions if not p.startswith(PROMOTION_PREFIX)}
    for name in (p for p in online.online_promotions if p.startswith(PROMOTION_PREFIX)):
        try:
            promotion = await up.billing.GetPromotion(
                billing_pb2.GetPromotionRequest(name=name), metadata=partner.metadata(), timeout=up.deadlines.read
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT}:
                continue  # a promotion since deleted is no longer offered
            raise
        codes.add(promotion.code.upper())
    return codes


def _check_request(
    kind: str, plan: PaymentPlan, online: pb.OnlineBookingSettings, req: BookingRequest, offered: set[str]
) -> None:
    v = Violations()
    if plan.required and not req.payment_token:
        v.add("payment_token", f"is required: this type asks for payment ({plan.option})")
    if req.promo_code and not accepts_promo_codes(plan, online):
        v.add("promo_code", "this type takes no promo code online")
    elif req.promo_code and not promo_code_offered(req.promo_code, offered):
        v.add("promo_code", "this promo code is not offered online for this type")
    if req.participants and kind != "session":
        v.add("participants", "only session bookings have participants")
    v.raise_if_any("the booking request has invalid fields")


async def _hold(
    up: Upstreams, partner: Partner, slot: opb.TimeSlot, client: clients_pb2.Client, request_id: str
) -> opb.SlotHold:
    """Hold the slot; the request carries the client found or created, which scheduling makes
    known in the hold's own commit (no EnsureKnownClient round trip before it)."""
    try:
        hold: opb.SlotHold = await up.online.HoldSlot(
            opb.HoldSlotRequest(
                time_slot=slot.name,
                client=client.name,
                request_id=step_id(request_id, "hold"),
                client_details=client,
            ),
            metadata=partner.metadata(),
            timeout=up.deadlines.call,
        )
        return hold
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.FAILED_PRECONDITION:
            reason = rpc_reason(err)
            if reason == "TOO_MANY_HOLDS":
                raise FailedPrecondition(
                    "this client already holds as many slots as allowed; finish or abandon those bookings first",
                    reason="TOO_MANY_HOLDS",
                ) from err
            raise FailedPrecondition("the slot is no longer open", reason="SLOT_NOT_OPEN") from err
        raise


def _snapshot(
    row: OnlineBookingRow, slot: opb.TimeSlot, stype: pb.SessionType, notes: str, loc: pb.Location
) -> scheduling_events.SessionSnapshot:
    return scheduling_events.SessionSnapshot(
        session=f"sessions/{row.id}",
        client=row.client,
        session_type=stype.name,
        session_type_display_name=stype.display_name,
        description=notes,
        start_time=slot.start_time,
        end_time=slot.end_time,
        location=slot.location,
        time_zone=slot.time_zone,
        price_list_items=list(stype.price_list_items),
        auto_create_invoice=True,
        booked_online=True,
        location_display_name=loc.display_name,
        location_address=catalog.postal_text(loc),
    )


async def _pay(
    db: Database,
    up: Upstreams,
    partner: Partner,
    row: OnlineBookingRow,
    plan: PaymentPlan,
    req: BookingRequest,
    slot: opb.TimeSlot,
    btype: catalog.TypeMessage,
    client: clients_pb2.Client,
) -> None:
    md = partner.metadata()
    if plan.kind is PaymentKind.DEPOSIT:
        amount = plan.amount_minor or 0
        deposit = await up.billing.CreateDeposit(
            billing_pb2.CreateDepositRequest(
                deposit=billing_pb2.Deposit(
                    client=row.client,
                    amount=_money(amount, plan.currency_code),
                    method=billing_pb2.PAYMENT_METHOD_ONLINE,
                    session=f"sessions/{row.id}" if row.kind == "session" else "",
                    note=deposit_note(row.id),
                ),
                payment_token=req.payment_token,
                request_id=step_id(row.request_id, "deposit"),
            ),
            metadata=md,
            timeout=up.deadlines.payment,
        )
        await save(db, row, deposit=deposit.name, charged_minor=amount)
        return
    assert isinstance(btype, pb.SessionType)
    # billing invoices only clients it knows in the company: tell it now rather than wait for the event
    await up.billing.EnsureKnownClient(
        billing_pb2.EnsureKnownClientRequest(client=client), metadata=md, timeout=up.deadlines.call
    )
    loc = await catalog.location(up, partner, slot.location)  # the invoice's documents name the studio
    invoice = await up.billing.EnsureSessionInvoice(
        billing_pb2.EnsureSessionInvoiceRequest(session=_snapshot(row, slot, btype, req.notes, loc)),
        metadata=md,
        timeout=up.deadlines.call,
    )
    await save(db, row, invoice=invoice.name, currency_code=invoice.currency_code)
    if req.promo_code:
        invoice = await up.billing.ApplyPromotion(
            billing_pb2.ApplyPromotionRequest(
                invoice=invoice.name, promo_code=req.promo_code, request_id=step_id(row.request_id, "promo")
            ),
            metadata=md,
            timeout=up.deadlines.call,
        )
    amount = plan.amount_minor if plan.amount_minor is not None else invoice.balance.amount_minor
    if amount <= 0:
        return  # a promo code can bring the full amount to nothing: no charge
    payment = await up.billing.CreatePayment(
        billing_pb2.CreatePaymentRequest(
            payment=billing_pb2.Payment(
                invoice=invoice.name,
                client=row.client,
                amount=_money(amount, invoice.currency_code),
                method=billing_pb2.PAYMENT_METHOD_ONLINE,
                note=f"online booking {row.id}",
            ),
            payment_token=req.payment_token,
            request_id=step_id(row.request_id, "payment"),
        ),
        metadata=md,
        timeout=up.deadlines.payment,
    )
    await save(db, row, payment=payment.name, charged_minor=amount)


async def _confirm(
    db: Database,
    up: Upstreams,
    partner: Partner,
    row: OnlineBookingRow,
    req: BookingRequest,
    participants: list[str],
    client: clients_pb2.Client,
    booked: list[pb.Session | pb.Appointment],
) -> None:
    """Book the held slot, or (a booking without a hold: nothing to pay) the slot itself with
    the client's details, which scheduling makes known in the booking's own commit; what
    scheduling answers (the session or appointment) goes to `booked`, so that the confirmation
    is built from it without reading it back."""
    rid = step_id(row.request_id, "confirm")
    hold, time_slot = (row.hold, "") if row.hold else ("", f"timeSlots/{row.slot_id}")
    details = None if row.hold else client
    timeout = up.deadlines.call
    if not row.hold:
        # with no hold nothing fences a late booking: the call must end (its deadline, which
        # scheduling keeps) before the booking's lease does, after which recovery may decide it
        # failed; a lease too short for that is extended first, unless recovery took it already
        needed = utcnow() + timedelta(seconds=timeout) + UNHELD_GRACE
        if row.lease_until < needed and not await extend_lease(db, row, needed):
            raise Unavailable(
                "this booking took too long to confirm; nothing was booked", reason="BOOKING_NOT_COMPLETED"
            )
        timeout = min(timeout, (row.lease_until - utcnow() - UNHELD_GRACE).total_seconds())
    if row.kind == "session":
        session: pb.Session = await up.online.BookOnline(
            opb.BookOnlineRequest(
                hold=hold,
                time_slot=time_slot,
                client=row.client,
                participants=participants,
                description=req.notes,
                request_id=rid,
                session_id=row.id,
                client_details=details,
            ),
            metadata=partner.metadata(),
            timeout=timeout,
        )
        booked.append(session)
    else:
        appointment: pb.Appointment = await up.online.BookAppointmentOnline(
            opb.BookAppointmentOnlineRequest(
                hold=hold,
                time_slot=time_slot,
                client=row.client,
                description=req.notes,
                request_id=rid,
                appointment_id=row.id,
                client_details=details,
            ),
            metadata=partner.metadata(),
            timeout=timeout,
        )
        booked.append(appointment)


# --- the saga ----------------------------------------------------------------------------------


async def _existing(db: Database, company_id: str, request_id: str) -> OnlineBookingRow | None:
    async with UnitOfWork(db, readonly=True) as uow:
        mine = (OnlineBookingRow.company_id == company_id, OnlineBookingRow.request_id == request_id)
        row: OnlineBookingRow | None = await uow.session.scalar(select(OnlineBookingRow).where(*mine))
        return row


async def book(
    db: Database,
    up: Upstreams,
    partner: Partner,
    req: BookingRequest,
    request_id: str,
    *,
    lease: timedelta,
    manage_link: ManageLink,
    in_confirmed_commit: Callable[[Booked], Keeping] | None = None,
    slots: OpenSlotModel | None = None,
    first_run: bool = False,
) -> Booked:
    """Run the saga; raises a kit DomainError (or the upstream's error) when nothing was booked.
    `lease`: how long this request owns the booking before recovery may take over (longer than
    every deadline of one run together); `manage_link`: the link the confirmation carries;
    `in_confirmed_commit`: the caller's answer for its Idempotency-Key, kept in the CONFIRMED
    commit: called with the booking before that commit opens, it returns what to keep (its
    `claimed.kept` set once that committed); `slots`: the
    process's open-slot read model, which spares a booking of a slot it lists the GetTimeSlot
    call (`catalog.offer` says why that is safe); `first_run`: no request ran under
    `request_id` before (its look-up for an earlier booking is skipped)."""
    manage_token = secrets.token_urlsafe(32)
    # An earlier booking of this request id is looked for first, unless none can exist
    # (`first_run`: a request without an Idempotency-Key, whose request id is fresh, or the first
    # request ever run under its key: key rows are never deleted, idempotency_keys.py). Should a
    # row exist all the same (a key deleted by an older release), the INSERT below meets it.
    earlier = None if first_run else await _existing(db, partner.company_id, request_id)
    if earlier is not None:  # a retry after a lost response or a crash: settle, then answer
        return await _resume(db, up, partner, earlier, manage_token, manage_link)
    try:
        offer = await catalog.offer(up, partner, req.slot_id, slots)
        slot, kind, type_id, btype, plan = offer.slot, offer.kind, offer.type_id, offer.btype, offer.plan
        offered = await _offered_codes(up, partner, btype.online) if req.promo_code else set()
        _check_request(kind, plan, btype.online, req, offered)
        client = await _client(up, partner, req)
        participants = [m for p in req.participants if (m := _family_member(client, p)) is not None]
        # a booking that takes payment holds its slot first (the hold decides whether a charge
        # stands); one that takes none books the slot in one call at the confirmation
        hold = await _hold(up, partner, slot, client, request_id) if plan.required else None
    except (DomainError, grpc.aio.AioRpcError):
        # the look-up skipped, a refusal could be a retry's whose key an older release deleted
        # after its booking was made (its slot taken by that booking, say): looked for before
        # the refusal is answered (and kept as the key's answer)
        if first_run and (earlier := await _existing(db, partner.company_id, request_id)) is not None:
            return await _resume(db, up, partner, earlier, manage_token, manage_link)
        raise
    now = utcnow()
    row = OnlineBookingRow(
        id=step_id(request_id, "booking"),
        company_id=partner.company_id,
        key_id=partner.key_id,
        kind=kind,
        request_id=request_id,
        state=SagaState.HELD,
        type_id=type_id,
        slot_id=req.slot_id,
        location_id=resource_id(slot.location, "locations"),
        client=client.name,
        hold=hold.name if hold is not None else "",
        payment_option=plan.option,
        payment_kind=plan.kind.value,
        promo_code=req.promo_code,
        currency_code=plan.currency_code,
        charged_minor=0,
        invoice="",
        payment="",
        deposit="",
        manage_token_sha256=sha256_hex(manage_token),
        last_error="",
        lease_until=now + lease,
        created_at=now,
        updated_at=now,
    )
    try:
        await record(db, row)
    except IntegrityError:
        # the request id's booking exists (its unique key, or the id derived from it): resumed
        # as `_existing` would have, after steps that repeated under the same step ids (found
        # the same client; a hold scheduling answers again by its request id)
        earlier = await _existing(db, partner.company_id, request_id)
        if earlier is None:
            raise
        return await _resume(db, up, partner, earlier, manage_token, manage_link)
    if plan.required:
        await _step(db, up, partner, row, _pay(db, up, partner, row, plan, req, slot, btype, client), "payment")
        failpoint("gateway.saga.after_payment")  # tests kill the gateway here: recovery must refund
        await save(db, row, state=SagaState.PAID)
    # nothing to pay: the booking stays HELD until CONFIRMED (recovery settles HELD and PAID
    # alike; with nothing to pay there is no hold, its session decides, nothing to refund)
    booked: list[pb.Session | pb.Appointment] = []
    failpoint("gateway.saga.before_confirm")  # tests kill the gateway here: recovery fails or releases it
    await _step(db, up, partner, row, _confirm(db, up, partner, row, req, participants, client, booked), "confirmation")
    # the confirmation from what scheduling answered; read back only when a settle confirmed it
    parts = await read_parts(up, partner, row, booked[0] if booked else None)
    names = (req.given_name, req.family_name, req.email)
    event = pending("confirmed", row, parts, manage_link(row.id, manage_token), names)
    failpoint("gateway.saga.before_confirmed")  # tests kill the gateway here: recovery settles it
    # CONFIRMED, its event and the caller's answer in one commit (a confirmation settled in
    # `_step` writes it again: the same state, and the event it did not have)
    done = Booked(row=row, manage_token=manage_token, parts=parts)
    # the caller renders its part (its answer) here, before the transaction opens, which then only
    # writes it; the answer shows nothing save() changes (state, last_error, updated_at)
    keeping = None if in_confirmed_commit is None else in_confirmed_commit(done)
    await save_confirmed(db, row, event, keeping)
    failpoint("gateway.saga.after_confirmed")  # tests kill the gateway here: the event is kept
    return done


async def _step(
    db: Database, up: Upstreams, partner: Partner, row: OnlineBookingRow, call: Awaitable[None], what: str
) -> None:
    """Run one step that may fail after money moved: on a refusal undo everything now; on no
    answer, settle what can be settled now and leave the rest to recovery (lease run out)."""
    try:
        await call
    except grpc.aio.AioRpcError as err:
        # settled from now on; but a booking with no hold that got no answer may still be
        # booked by its call until that call's deadline has passed in scheduling too: only
        # then can not finding the booking mean it failed (recovery.py)
        unheld_unknown = not row.hold and err.code() not in DEFINITE
        # the call started before now, so its deadline in scheduling has passed by now + its
        # deadline; the grace covers a COMMIT in flight at that moment and replicas' clocks
        lease_until = utcnow() + (
            timedelta(seconds=up.deadlines.call) + UNHELD_GRACE if unheld_unknown else timedelta()
        )
        await save(
            db, row, last_error=f"{what}: {err.code().name} {err.details() or ''}"[:500], lease_until=lease_until
        )
        if err.code() in DEFINITE:
            await settle(db, up, partner, row)
            if row.state == SagaState.CONFIRMED:
                return
            if not row.hold and err.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise  # the request itself (the client, a participant): answered as a hold's refusal was
            raise _refusal(err, what, row) from err
        await settle(db, up, partner, row, best_effort=True)
        if row.state == SagaState.CONFIRMED:  # the confirmation went through; only its answer was lost
            return
        if unheld_unknown and row.state in (SagaState.HELD, SagaState.PAID):
            raise Unavailable(
                f"the {what} step got no answer; whether the slot was booked is settled automatically"
                " within a minute: retry with the same Idempotency-Key to learn it",
                reason="BOOKING_NOT_COMPLETED",
            ) from err
        raise Unavailable(
            f"the {what} step got no answer; nothing stays booked and any charge is refunded automatically",
            reason="BOOKING_NOT_COMPLETED",
        ) from err


def _refusal(err: grpc.aio.AioRpcError, what: str, row: OnlineBookingRow) -> Exception:
    reason = rpc_reason(err)
    refunded = " Your payment was refunded." if row.charged_minor else ""
    if what == "payment":
        if reason in ("CARD_DECLINED", "PAYMENT_DECLINED"):
            return FailedPrecondition("the payment was declined", reason="PAYMENT_DECLINED")
        fieldname = (
            "promo_code" if "promo" in (err.details() or "").lower() or reason.startswith("PROMO") else "payment"
        )
        return InvalidArgument(
            "the payment could not be taken",
            reason=reason or "PAYMENT_REFUSED",
            violations=[FieldViolation(fieldname, err.details() or reason)],
        )
    return FailedPrecondition(f"the slot could not be confirmed.{refunded}", reason="SLOT_NOT_OPEN")


async def _resume(
    db: Database, up: Upstreams, partner: Partner, row: OnlineBookingRow, manage_token: str, manage_link: ManageLink
) -> Booked:
    """A retry of a booking request (same Idempotency-Key): its outcome once settled - the
    booking, or BOOKING_FAILED (nothing booked, any charge refunded) - or, while a service
    still does not answer, BOOKING_NOT_COMPLETED again (recovery keeps settling it)."""
    if row.state in (SagaState.HELD, SagaState.PAID):
        row = await settle(db, up, partner, row, best_effort=True)
    if row.state in (SagaState.HELD, SagaState.PAID):
        raise Unavailable(
            "this booking is still being settled; retry later with the same Idempotency-Key",
            reason="BOOKING_NOT_COMPLETED",
        )
    if row.state not in (SagaState.CONFIRMED, SagaState.CANCELLED):
        refunded = " What was charged is refunded." if row.state == SagaState.REFUNDED else ""
        raise FailedPrecondition(
            f"this booking request did not complete; nothing is booked.{refunded}", reason="BOOKING_FAILED"
        )
    # the first answer (with its manage token) was lost: issue a new token, the old one was never
    # seen; the confirmation goes out again with the link that works now, in the same commit
    parts = await read_parts(up, partner, row)
    event = (
        pending("confirmed", row, parts, manage_link(row.id, manage_token))
        if row.state == SagaState.CONFIRMED
        else None
    )
    await save(db, row, manage_token_sha256=sha256_hex(manage_token), event=event)
    return Booked(row=row, manage_token=manage_token, parts=parts)
