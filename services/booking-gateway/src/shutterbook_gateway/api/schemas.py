"""The public API's JSON shapes, and how scheduling's and billing's messages become them.

Request bodies refuse unknown fields (`forbid_unknown_fields`): a `status`, `price` or
`company` sent by a partner is a 400 naming the field, never applied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.api.images import image_url
from shutterbook_gateway.application.catalog import Prices, TypeMessage
from shutterbook_gateway.domain.booking import PaymentPlan, accepts_promo_codes, payment_plan
from shutterbook_gateway.domain.pricing import CANCELLATION_POLICY_NAMES, quote
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_kit.resource_names import resource_id

Uuid = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F-]{36}$", description="An id (UUID).")]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^(\+[1-9][0-9]{6,14})?$", description="E.164, e.g. +15551234567")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
RELATIONSHIPS = ("spouse", "partner", "child", "parent", "sibling", "other")


class Money(msgspec.Struct):
    amount_minor: int
    currency_code: str


def money(m: money_pb2.Money) -> Money | None:
    return Money(m.amount_minor, m.currency_code) if m.currency_code else None


class Address(msgspec.Struct):
    lines: list[str]
    locality: str
    region: str
    postal_code: str
    country_code: str
    text: str


def address(a: pb.PostalAddress) -> Address:
    tail = " ".join(p for p in (a.administrative_area, a.postal_code) if p)
    text = ", ".join(p for p in [*a.address_lines, a.locality, tail, a.region_code] if p)
    return Address(list(a.address_lines), a.locality, a.administrative_area, a.postal_code, a.region_code, text)


class Location(msgspec.Struct):
    id: str
    name: str
    time_zone: str
    address: Address


def location(loc: pb.Location) -> Location:
    return Location(resource_id(loc.name, "locations"), loc.display_name, loc.time_zone, address(loc.address))


class Studio(msgspec.Struct):
    """The studio as the booking page shows it (the company profile, set up on the console)."""

    name: str  # "" when the studio has set none (the page keeps its generic title)
    address: Address
    phone: str
    email: str
    website: str
    brand_color: str  # "#RRGGBB" or ""
    logo_url: str  # "" when there is no logo


def studio(profile: pb.CompanyProfile, logo_url: str) -> Studio:
    return Studio(
        name=profile.display_name,
        address=address(profile.address),
        phone=profile.phone_number,
        email=profile.email,
        website=profile.website_uri,
        brand_color=profile.brand_color,
        logo_url=logo_url,
    )


class LocationList(msgspec.Struct):
    locations: list[Location]
    next_page_token: str = ""


class Payment(msgspec.Struct):
    required: bool
    option: str  # none | invoice_listed_price | invoice_full_amount | customer_deposit
    amount: Money | None  # null for the full amount: the invoice's total after any promo code
    accepts_promo_code: bool


class PriceQuote(msgspec.Struct):
    """The session fee invoice a booking gets, before any promo code: tax, total, what is taken
    at booking (`due_now`) and what is left to pay the studio (`balance`)."""

    subtotal: Money
    tax: Money
    total: Money
    due_now: Money
    balance: Money


class CancellationPolicy(msgspec.Struct):
    """What a customer who cancels online gets back of what was paid online:
    `refund_in_full`, `keep_deposit` (nothing back), `keep_fee` (all but `fee`), or
    `studio_decides` (nothing back online; the studio refunds by hand, if at all).
    Rescheduling online costs nothing."""

    kind: str
    fee: Money | None


def cancellation_policy(online: pb.OnlineBookingSettings) -> CancellationPolicy:
    fee = money(online.cancellation_fee) if online.cancellation_policy == pb.CANCELLATION_POLICY_KEEP_FEE else None
    return CancellationPolicy(CANCELLATION_POLICY_NAMES.get(online.cancellation_policy, "studio_decides"), fee)


class BookableType(msgspec.Struct):
    id: str
    kind: str  # session | appointment
    name: str
    marketing_description: str
    marketing_image_url: str
    duration_minutes: int
    display_price: Money | None
    location_address: str
    payment: Payment
    booking_url: str
    price: PriceQuote | None  # null when bookings of the type get no invoice
    cancellation_policy: CancellationPolicy


def bookable_type(
    msg: TypeMessage,
    kind: str,
    base_url: str,
    location_address: str,
    prices: Prices | None = None,
    *,
    company_id: str = "",
) -> BookableType:
    """The type as the API shows it; its uploaded marketing image (when it has one and
    `company_id` is given) is served by the gateway (`api/images.py`), else its image URL."""
    online = msg.online
    plan = payment_plan(online, has_invoice=kind == "session" and msg.auto_create_invoice)
    collection = "session-types" if kind == "session" else "appointment-types"
    type_id = msg.name.split("/", 1)[1]
    amount = None
    if plan.required and plan.amount_minor is not None:
        amount = Money(plan.amount_minor, plan.currency_code)
    return BookableType(
        id=type_id,
        kind=kind,
        name=online.online_description or msg.display_name,
        marketing_description=online.marketing_description,
        marketing_image_url=(
            image_url(base_url, company_id, collection, type_id, online.marketing_image_etag)
            if online.marketing_image_etag and company_id
            else online.marketing_image_uri
        ),
        duration_minutes=msg.default_duration_minutes,
        display_price=money(online.display_price) if online.display_price.amount_minor else None,
        location_address=location_address,
        payment=Payment(
            required=plan.required,
            option=plan.option,
            amount=amount,
            accepts_promo_code=accepts_promo_codes(plan, online),
        ),
        booking_url=f"{base_url}/book/{collection}/{type_id}",
        price=_quote(prices, plan),
        cancellation_policy=cancellation_policy(online),
    )


def _quote(prices: Prices | None, plan: PaymentPlan) -> PriceQuote | None:
    if prices is None:
        return None
    q = quote(prices.items, prices.currency_code, plan)
    c = q.currency_code
    return PriceQuote(
        Money(q.subtotal_minor, c),
        Money(q.tax_minor, c),
        Money(q.total_minor, c),
        Money(q.due_now_minor, c),
        Money(q.balance_minor, c),
    )


class TypeList(msgspec.Struct):
    types: list[BookableType]
    next_page_token: str = ""


class Slot(msgspec.Struct):
    id: str
    start_time: str
    end_time: str
    local_start: str  # in the query's time zone
    local_end: str
    local_date: str
    location_id: str
    location_time_zone: str


def _utc(ts_seconds: int) -> datetime:
    return datetime.fromtimestamp(ts_seconds, UTC)


def _z(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def slot(msg: opb.TimeSlot, tz: ZoneInfo | None) -> Slot:
    zone = tz or ZoneInfo(msg.time_zone)
    start, end = _utc(msg.start_time.seconds), _utc(msg.end_time.seconds)
    return Slot(
        id=resource_id(msg.name, "timeSlots"),
        start_time=_z(start),
        end_time=_z(end),
        local_start=start.astimezone(zone).isoformat(),
        local_end=end.astimezone(zone).isoformat(),
        local_date=start.astimezone(zone).date().isoformat(),
        location_id=resource_id(msg.location, "locations"),
        location_time_zone=msg.time_zone,
    )


def encode_slot(msg: opb.TimeSlot) -> bytes:
    """A slot's JSON in its own location's zone (how the open-slot read model keeps it)."""
    return msgspec.json.encode(slot(msg, None))


class SlotList(msgspec.Struct):
    time_zone: str
    slots: list[Slot]
    next_page_token: str = ""


# --- bookings ----------------------------------------------------------------------------------


class ClientDetails(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name
    email: Email
    family_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    phone: Phone = ""


class ParticipantDetails(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name
    family_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    relationship: Annotated[str, msgspec.Meta(pattern=r"^(spouse|partner|child|parent|sibling|other)$")] = "other"


class BookingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A booking of one open slot. Unknown fields (status, price, company...) are refused."""

    slot_id: Uuid
    client: ClientDetails
    participants: Annotated[list[ParticipantDetails], msgspec.Meta(max_length=10)] = []
    notes: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    promo_code: Annotated[str, msgspec.Meta(max_length=64)] = ""
    payment_token: Annotated[str, msgspec.Meta(max_length=200)] = ""


class Reschedule(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: Uuid


class CancelRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Nothing to say: the manage token says who asks."""


class TypeRef(msgspec.Struct):
    id: str
    name: str


class BookingLocation(msgspec.Struct):
    id: str
    name: str
    address_text: str


class BookingPayment(msgspec.Struct):
    option: str
    charged: Money | None
    refunded: Money | None  # by the cancellation policy, once cancelled online
    invoice_id: str
    payment_id: str
    deposit_id: str
    promo_code: str


class Booking(msgspec.Struct):
    id: str
    kind: str
    number: str  # the session number the studio knows it by ("" for appointments)
    status: str  # confirmed | cancelled
    type: TypeRef
    start_time: str
    end_time: str
    local_start: str  # in the location's time zone
    local_end: str
    time_zone: str
    location: BookingLocation
    client_id: str
    payment: BookingPayment
    created_at: str
    cancellation_policy: CancellationPolicy


class BookingCreated(Booking):
    manage_token: str = ""  # shown once: only its hash is kept
    manage_url: str = ""


def _bare(name: str) -> str:
    return name.split("/", 1)[1] if "/" in name else name


def booking(
    row: OnlineBookingRow,
    details: pb.Session | pb.Appointment,
    type_name: str,
    loc: pb.Location,
    address_text: str,
    policy: CancellationPolicy,
) -> Booking:
    start, end = _utc(details.start_time.seconds), _utc(details.end_time.seconds)
    zone = ZoneInfo(details.time_zone or loc.time_zone)
    return Booking(
        id=row.id,
        kind=row.kind,
        number=details.session_number if isinstance(details, pb.Session) else "",
        status="cancelled" if details.cancelled or row.state == "cancelled" else "confirmed",
        type=TypeRef(row.type_id, type_name),
        start_time=_z(start),
        end_time=_z(end),
        local_start=start.astimezone(zone).isoformat(),
        local_end=end.astimezone(zone).isoformat(),
        time_zone=zone.key,
        location=BookingLocation(_bare(loc.name), loc.display_name, address_text),
        client_id=_bare(row.client),
        payment=BookingPayment(
            option=row.payment_option,
            charged=Money(row.charged_minor, row.currency_code) if row.charged_minor else None,
            refunded=Money(row.cancel_refund_minor, row.currency_code) if row.cancel_refund_minor else None,
            invoice_id=_bare(row.invoice),
            payment_id=_bare(row.payment),
            deposit_id=_bare(row.deposit),
            promo_code=row.promo_code,
        ),
        created_at=_z(row.created_at),
        cancellation_policy=policy,
    )
