"""The Scheduling Wizard's page and API: what its screens offer (one call), clients found as
staff type, a client's open deposits, the next free times, the booking itself (the only
write, on the last screen), and the printable session confirmation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from shutterbook.clients.v1 import clients_pb2 as cpb
from shutterbook_console.api.deps import current_session, provide_session
from shutterbook_console.api.problems import conflict_problem, problem, problem_responses
from shutterbook_console.application.calendar import visible_locations
from shutterbook_console.application.confirmation import (
    Printable,
    photographer_confirmation,
    session_confirmation,
)
from shutterbook_console.application.free_times import FreeTimeQuery, find_free_times
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.application.studio import Studio, studio_for_documents
from shutterbook_console.application.wizard import (
    Line,
    Order,
    Pay,
    When,
    commit,
    offer,
    open_deposits,
    search_clients,
)
from shutterbook_console.domain.client_form import NewClient, Relative, read_birth_date
from shutterbook_console.settings import ConsoleSettings
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FieldViolation
from shutterbook_kit.identity import Caller

NO_STORE = {"Cache-Control": "no-store"}
LOCAL = "%Y-%m-%dT%H:%M"
ID = r"^[0-9a-f-]{36}$"
Name = Annotated[str, msgspec.Meta(max_length=120)]
Text = Annotated[str, msgspec.Meta(max_length=500)]


def _up(request: Request[Any, Any, State]) -> Upstreams:
    up: Upstreams = request.app.state.upstreams
    return up


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": amount, "currency_code": currency}


class RelativeBody(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name = ""
    family_name: Name = ""
    relationship: Annotated[str, msgspec.Meta(pattern=r"^[A-Z_]{0,40}$")] = ""
    name: Annotated[str, msgspec.Meta(pattern=r"^(clients/[0-9a-f-]{36}/familyMembers/[0-9a-f-]{36})?$")] = ""
    birth_date: Annotated[str, msgspec.Meta(max_length=10, description="YYYY-MM-DD, empty: none")] | None = None


class AddressBody(msgspec.Struct, forbid_unknown_fields=True):
    address_lines: Annotated[list[Name], msgspec.Meta(max_length=4)] = []
    locality: Name = ""
    administrative_area: Name = ""
    postal_code: Annotated[str, msgspec.Meta(max_length=20)] = ""


class NewClientBody(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name = ""
    family_name: Name = ""
    email: Name = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    address: AddressBody | None = None  # none: the screen did not show the address, notes and family
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    family_members: Annotated[list[RelativeBody], msgspec.Meta(max_length=20)] = []


def _client_info(body: NewClientBody | None) -> NewClient | None:
    """The client screen's information; relationships by their clients.v1 enum name."""
    if body is None:
        return None
    a = body.address or AddressBody()
    relatives = []
    for i, r in enumerate(body.family_members):
        value = cpb.FamilyRelationship.DESCRIPTOR.values_by_name.get(
            f"FAMILY_RELATIONSHIP_{r.relationship}" if r.relationship else "FAMILY_RELATIONSHIP_UNSPECIFIED"
        )
        if value is None:
            raise problem(
                422,
                "unknown relationship",
                code="INVALID_ARGUMENT",
                errors=[{"field": f"family_members[{i}].relationship", "detail": "one of SPOUSE, CHILD, PARENT, ..."}],
            )
        wrong: list[FieldViolation] = []
        born = read_birth_date(r.birth_date or "", f"family_members[{i}].birth_date", wrong)
        if wrong:
            raise problem(
                422,
                "check the birth date",
                code="INVALID_ARGUMENT",
                errors=[{"field": w.field, "detail": w.description} for w in wrong],
            )
        relatives.append(
            Relative(r.given_name, r.family_name, value.number, r.name, born, birth_date_sent=r.birth_date is not None)
        )
    return NewClient(
        body.given_name,
        body.family_name,
        body.email,
        body.phone,
        tuple(a.address_lines),
        a.locality,
        a.administrative_area,
        a.postal_code,
        body.notes,
        tuple(relatives),
        details=body.address is not None,
    )


class LineBody(msgspec.Struct, forbid_unknown_fields=True):
    price_list_item: Annotated[str, msgspec.Meta(pattern=r"^priceListItems/[0-9a-f-]{36}$")]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1


class PaymentBody(msgspec.Struct, forbid_unknown_fields=True):
    method: Annotated[str, msgspec.Meta(pattern=r"^(|cash|check|card)$")] = ""
    amount_minor: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None
    card_token: Annotated[str, msgspec.Meta(max_length=200)] = ""
    note: Text = ""
    deposit: Annotated[str, msgspec.Meta(pattern=r"^(deposits/[0-9a-f-]{36})?$")] = ""
    deposit_minor: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None


class BookingBody(msgspec.Struct, forbid_unknown_fields=True):
    attempt: Annotated[str, msgspec.Meta(pattern=ID, description="a UUID per Finish; kept while retrying")]
    kind: Annotated[str, msgspec.Meta(pattern=r"^(session|appointment)$")]
    location: Annotated[str, msgspec.Meta(pattern=r"^locations/[0-9a-f-]{36}$")]
    type: Annotated[str, msgspec.Meta(pattern=r"^(sessionTypes|appointmentTypes)/[0-9a-f-]{36}$")]
    start: Annotated[str, msgspec.Meta(max_length=16, description="local start, YYYY-MM-DDTHH:MM")]
    end: Annotated[str, msgspec.Meta(max_length=16, description="local end; empty: the type's length")] = ""
    client: Annotated[str, msgspec.Meta(pattern=r"^(clients/[0-9a-f-]{36})?$")] = ""
    new_client: NewClientBody | None = None
    client_info: NewClientBody | None = None
    linked_session: Annotated[str, msgspec.Meta(pattern=r"^(sessions/[0-9a-f-]{36})?$")] = ""
    status: Name = ""
    photographer: Name = ""
    assistant: Name = ""
    camera_room: Name = ""
    schedules: Annotated[list[Name], msgspec.Meta(max_length=10)] = []
    description: Text = ""
    confirmed: bool = False
    reminder_minutes: Annotated[int, msgspec.Meta(ge=0, le=40320)] | None = None
    file_number: Name = ""
    book_anyway: bool = False
    invoice_now: bool = False
    lines: Annotated[list[LineBody], msgspec.Meta(max_length=50)] = []
    promo_code: Annotated[str, msgspec.Meta(max_length=64)] = ""
    payment: PaymentBody = msgspec.field(default_factory=PaymentBody)


class BookedBody(msgspec.Struct):
    client: str
    client_name: str
    session: str
    session_number: str
    appointment: str
    invoice: str
    invoice_number: str
    payment: str
    deposit_payment: str
    balance: dict[str, Any]
    warnings: list[str]


def _local(text: str, field: str) -> datetime:
    try:
        return datetime.strptime(text, LOCAL)
    except ValueError:
        raise problem(
            422, "not a local date and time", code="INVALID_ARGUMENT", errors=[{"field": field, "detail": LOCAL}]
        ) from None


def _order(data: BookingBody) -> Order:
    start = _local(data.start, "start")
    end = _local(data.end, "end") if data.end else None
    nc = data.new_client
    pay = data.payment
    return Order(
        attempt=uuid.UUID(data.attempt),
        kind=data.kind,
        when=When(data.location, start.date(), start, end),
        type=data.type,
        client=data.client,
        new_client=_client_info(nc),
        client_info=_client_info(data.client_info),
        linked_session=data.linked_session,
        status=data.status,
        photographer=data.photographer,
        assistant=data.assistant,
        camera_room=data.camera_room,
        schedules=tuple(data.schedules),
        description=data.description,
        confirmed=data.confirmed,
        reminder_minutes=data.reminder_minutes,
        file_number=data.file_number,
        book_anyway=data.book_anyway,
        invoice_now=data.invoice_now,
        lines=tuple(Line(x.price_list_item, x.quantity) for x in data.lines),
        promo_code=data.promo_code,
        pay=Pay(pay.method, pay.amount_minor, pay.card_token, pay.note, pay.deposit, pay.deposit_minor),
    )


def _schedule(s: Any) -> dict[str, Any]:
    return {"name": s.name, "display_name": s.display_name}


class WizardController(Controller):
    path = "/api/v1/wizard"
    tags = ["scheduling wizard"]
    dependencies = {"session": Provide(provide_session), "up": Provide(_up, sync_to_thread=False)}

    @get(
        "/offer",
        operation_id="getWizardOffer",
        summary="What the wizard's screens choose from at a location",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def get_offer(
        self,
        session: NamedDependency[CurrentSession],
        up: NamedDependency[Upstreams],
        location: Annotated[str, Parameter(pattern=ID)],
    ) -> dict[str, Any]:
        o = await offer(up, session.staff.caller(), f"locations/{location}")
        return {
            "location": {"name": o.location.name, "display_name": o.location.display_name},
            "time_zone": o.location.time_zone,
            "billing_answers": o.billing_answers,
            "session_types": [
                {
                    "name": t.name,
                    "display_name": t.display_name,
                    "color": t.color,
                    "minutes": t.default_duration_minutes,
                    "default_status": t.default_status,
                    "price_list_items": list(t.price_list_items),
                }
                for t in o.session_types
            ],
            "appointment_types": [
                {
                    "name": t.name,
                    "display_name": t.display_name,
                    "color": t.color,
                    "minutes": t.default_duration_minutes,
                    "linked": t.linked,
                    "price_list_items": list(t.price_list_items),
                }
                for t in o.appointment_types
            ],
            "statuses": [{"name": s.name, "display_name": s.display_name} for s in o.statuses],
            "staff": [_schedule(s) for s in o.staff],
            "rooms": [_schedule(s) for s in o.rooms],
            "items": [
                {
                    "name": i.name,
                    "display_name": i.display_name,
                    "unit_price": _money(i.unit_price.amount_minor, i.unit_price.currency_code),
                    "tax_rate_bps": i.tax_rate_bps,
                }
                for i in o.items
            ],
        }

    @get(
        "/clients",
        operation_id="searchWizardClients",
        summary="Clients matching what staff typed",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def get_clients(
        self,
        session: NamedDependency[CurrentSession],
        up: NamedDependency[Upstreams],
        q: Annotated[str, Parameter(max_length=100)] = "",
    ) -> list[dict[str, Any]]:
        found = await search_clients(up, session.staff.caller(), q)
        return [
            {
                "name": c.name,
                "given_name": c.given_name,
                "family_name": c.family_name,
                "household_name": c.household_name,
                "email": c.emails[0] if c.emails else "",
                "phone": c.phones[0] if c.phones else "",
                "address": {
                    "address_lines": list(c.postal_address.address_lines),
                    "locality": c.postal_address.locality,
                    "administrative_area": c.postal_address.administrative_area,
                    "postal_code": c.postal_address.postal_code,
                },
                "notes": c.notes,
                "family_members": [
                    {
                        "name": m.name,
                        "given_name": m.given_name,
                        "family_name": m.family_name,
                        "relationship": cpb.FamilyRelationship.Name(m.relationship).removeprefix("FAMILY_RELATIONSHIP_")
                        if m.relationship
                        else "",
                        "birth_date": f"{m.birth_date.year:04d}-{m.birth_date.month:02d}-{m.birth_date.day:02d}"
                        if m.birth_date.year
                        else "",
                    }
                    for m in c.family_members
                ],
            }
            for c in found
        ]

    @get(
        "/clients/{client_id:uuid}/deposits",
        operation_id="listWizardDeposits",
        summary="A client's deposits with money left",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def get_deposits(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], client_id: FromPath[uuid.UUID]
    ) -> list[dict[str, Any]]:
        found = await open_deposits(up, session.staff.caller(), f"clients/{client_id}")
        return [
            {
                "name": d.name,
                "balance": _money(d.balance.amount_minor, d.balance.currency_code),
                "note": d.note,
            }
            for d in found
        ]

    @get(
        "/free-times",
        operation_id="findFreeTimes",
        summary="The next times a type fits",
        description="Within studio hours and working hours, outside lunch, clear of bookings and both buffers.",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def get_free_times(
        self,
        session: NamedDependency[CurrentSession],
        up: NamedDependency[Upstreams],
        location: Annotated[str, Parameter(pattern=ID)],
        type: Annotated[str, Parameter(max_length=120)],
        staff: Annotated[str, Parameter(max_length=120)] = "",
        room: Annotated[str, Parameter(max_length=120)] = "",
        from_day: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
    ) -> dict[str, Any]:
        try:
            first = date.fromisoformat(from_day) if from_day else None
        except ValueError:
            raise problem(
                422, "not a date", code="INVALID_ARGUMENT", errors=[{"field": "from", "detail": "YYYY-MM-DD"}]
            ) from None
        query = FreeTimeQuery(f"locations/{location}", type, staff, room, first)
        found = await find_free_times(up, session.staff.caller(), query)
        return {
            "time_zone": found.time_zone,
            "times": [
                {
                    "start": t.start.strftime(LOCAL),
                    "end": t.end.strftime(LOCAL),
                    "schedules": list(t.schedules),
                    "schedule_names": [found.names.get(s, s) for s in t.schedules],
                }
                for t in found.times
            ],
        }

    @post(
        "/bookings",
        operation_id="bookThroughWizard",
        summary="Book what the wizard gathered: client, session or appointment, invoice, payment",
        description=(
            "The wizard's only write. A refusal at any step (a conflict, a declined card, an unknown "
            "promo code) undoes the steps before it and answers with the problem: nothing booked, "
            "nothing charged. 503: a step's outcome is unknown; send the same body again."
        ),
        status_code=201,
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def book(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], data: JSONBody[BookingBody]
    ) -> BookedBody:
        try:
            done = await commit(up, session.staff.caller(), _order(data))
        except UpstreamError as exc:
            if not exc.conflicts:
                raise
            raise conflict_problem(exc) from exc
        return BookedBody(
            client=done.client,
            client_name=done.client_name,
            session=done.session,
            session_number=done.session_number,
            appointment=done.appointment,
            invoice=done.invoice,
            invoice_number=done.invoice_number,
            payment=done.payment,
            deposit_payment=done.deposit_payment,
            balance=_money(done.balance_minor, done.currency_code),
            warnings=done.warnings,
        )


async def pdf_response(
    request: Request[Any, Any, State],
    name: str,
    render: Callable[[Upstreams, Caller, str, Studio], Awaitable[Printable]],
) -> Response[bytes]:
    """The document `render` makes of the record `name`, inline, for the logged-in staff member."""
    current = await current_session(request)
    if current is None:
        raise problem(401, "not logged in", code="UNAUTHENTICATED")
    settings: ConsoleSettings = request.app.state.settings
    up, caller = _up(request), current.staff.caller()
    studio = await studio_for_documents(up, caller, settings.studio_name)
    printable = await render(up, caller, name, studio)
    return Response(
        printable.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{printable.filename}"', **NO_STORE},
    )


@get("/sessions/{session_id:uuid}/confirmation.pdf", include_in_schema=False)
async def confirmation_pdf(request: Request[Any, Any, State], session_id: FromPath[uuid.UUID]) -> Response[bytes]:
    return await pdf_response(request, f"sessions/{session_id}", session_confirmation)


@get("/sessions/{session_id:uuid}/photographer-confirmation.pdf", include_in_schema=False)
async def photographer_pdf(request: Request[Any, Any, State], session_id: FromPath[uuid.UUID]) -> Response[bytes]:
    return await pdf_response(request, f"sessions/{session_id}", photographer_confirmation)


@get("/wizard", include_in_schema=False)
async def wizard_page(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    try:
        locations = await visible_locations(_up(request), current.staff.caller())
    except UpstreamError as exc:
        return Template(
            "message.html",
            context={"title": "Scheduling Wizard", "message": exc.message, "link": "/wizard", "link_label": "Retry"},
            status_code=503,
        )
    q = request.query_params
    ids = [loc.name.removeprefix("locations/") for loc in locations]
    wanted = q.get("location", "")
    prefill = {
        "location": wanted if wanted in ids else (ids[0] if ids else ""),
        "start": q.get("start", "")[:16],
        "schedule": q.get("schedule", ""),
        "kind": q.get("kind", ""),
        "client": q.get("client", ""),
        "client_name": q.get("client_name", ""),
        "session": q.get("session", ""),
    }
    return Template(
        "wizard.html",
        context={
            "title": "Scheduling Wizard",
            "body_class": "app",
            "staff": current.staff,
            "locations": [{"id": i, "name": loc.display_name} for i, loc in zip(ids, locations, strict=True)],
            "prefill": prefill,
        },
        headers=NO_STORE,
    )


WIZARD_HANDLERS: list[ControllerRouterHandler] = [WizardController, confirmation_pdf, photographer_pdf, wizard_page]
