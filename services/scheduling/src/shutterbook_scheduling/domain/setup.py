"""The scheduling setup, plain Python: locations, staff members, schedules, session and
appointment types (with their online booking settings) and session statuses.

Each resource keeps every field the API gives it, under the API's names (`display_name`,
`time_zone`, `location`, `kind`, `default_duration_minutes`, ...), so what reads a resource
(planning, online booking, slots) reads these objects as it read the messages. References
are resource names (`locations/{id}`, "" when not given); enums are IntEnums with the
contract's numbers, kept as plain ints where a request may give an unknown value (the rules
in `domain/setup_rules.py` say so). A part that may be absent is None when not given, but
`address` and `online`, which readers use without asking, are always there: `has_address`
and `has_online` say whether they were given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

LOCATIONS = "locations"
STAFF_MEMBERS = "staffMembers"
SCHEDULES = "schedules"
SESSION_TYPES = "sessionTypes"
APPOINTMENT_TYPES = "appointmentTypes"
SESSION_STATUSES = "sessionStatuses"
PRICE_LIST_ITEMS = "priceListItems"

DEFAULT_STATUS_NAME = "Session Pending"  # the status made the first time one is needed
DEFAULT_STATUS_DUE_IN_DAYS = 7


class DayOfWeek(IntEnum):
    UNSPECIFIED = 0
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7


class StaffRole(IntEnum):
    UNSPECIFIED = 0
    PHOTOGRAPHER = 1
    ASSISTANT = 2
    MAKEUP_ARTIST = 3
    VIDEOGRAPHER = 4
    SALES = 5
    OTHER = 6


class ScheduleKind(IntEnum):
    UNSPECIFIED = 0
    STAFF = 1
    RESOURCE = 2


class PaymentOption(IntEnum):
    UNSPECIFIED = 0
    NONE = 1
    INVOICE_LISTED_PRICE = 2
    INVOICE_FULL_AMOUNT = 3
    CUSTOMER_DEPOSIT = 4


class CancellationPolicy(IntEnum):
    UNSPECIFIED = 0
    REFUND_IN_FULL = 1
    KEEP_DEPOSIT = 2
    KEEP_FEE = 3


@dataclass(frozen=True)
class ClockTime:
    """A wall-clock time as given (the rules check the ranges)."""

    hours: int = 0
    minutes: int = 0

    @property
    def minute(self) -> int:
        """Minutes after midnight."""
        return self.hours * 60 + self.minutes

    @staticmethod
    def at(minute: int) -> ClockTime:
        return ClockTime(minute // 60, minute % 60)


@dataclass(frozen=True)
class WeeklyHours:
    """Hours on one day of the week (`day`: a DayOfWeek value); a start or end not given is None."""

    day: int = DayOfWeek.UNSPECIFIED
    start: ClockTime | None = None
    end: ClockTime | None = None


@dataclass(frozen=True)
class PostalAddress:
    address_lines: tuple[str, ...] = ()
    locality: str = ""
    administrative_area: str = ""
    postal_code: str = ""
    region_code: str = ""


@dataclass(frozen=True)
class Money:
    amount_minor: int = 0
    currency_code: str = ""


@dataclass(frozen=True)
class Location:
    """A studio: its time zone, address, studio hours and lunch periods."""

    name: str = ""
    display_name: str = ""
    time_zone: str = ""
    address: PostalAddress = field(default_factory=PostalAddress)
    has_address: bool = False
    studio_hours: tuple[WeeklyHours, ...] = ()
    lunch_periods: tuple[WeeklyHours, ...] = ()
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass(frozen=True)
class StaffMember:
    name: str = ""
    display_name: str = ""
    roles: tuple[int, ...] = ()  # StaffRole values
    email: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass(frozen=True)
class TimeOff:
    """A period a schedule is not available (both instants are needed; the rules say so)."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Schedule:
    """A staff member's (`kind` STAFF, `staff_member`) or a resource's calendar at `location`."""

    name: str = ""
    display_name: str = ""
    kind: int = ScheduleKind.UNSPECIFIED
    staff_member: str = ""
    location: str = ""
    working_hours: tuple[WeeklyHours, ...] = ()
    time_off: tuple[TimeOff, ...] = ()
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass(frozen=True)
class OnlineBookingSettings:
    available_online: bool = False
    online_description: str = ""
    marketing_description: str = ""
    auto_remove_conflicting_slots: bool = False
    display_price: Money | None = None
    online_payment: bool = False
    payment_option: int = PaymentOption.UNSPECIFIED
    payment_amount: Money | None = None
    booked_online_status: str = ""
    cancelled_online_status: str = ""
    rescheduled_online_status: str = ""
    location: str = ""
    location_text: str = ""
    marketing_image_uri: str = ""
    online_promotions: tuple[str, ...] = ()
    cancellation_policy: int = CancellationPolicy.UNSPECIFIED
    cancellation_fee: Money | None = None
    marketing_image_etag: str = ""  # the uploaded marketing image's, kept beside the type


@dataclass(frozen=True)
class BookingType:
    """What session types and appointment types share."""

    name: str = ""
    display_name: str = ""
    color: str = ""
    default_duration_minutes: int = 0
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    price_list_items: tuple[str, ...] = ()
    auto_create_invoice: bool = False
    online: OnlineBookingSettings = field(default_factory=OnlineBookingSettings)
    has_online: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass(frozen=True)
class SessionType(BookingType):
    default_status: str = ""  # a session status' name, "" for the company's default


@dataclass(frozen=True)
class AppointmentType(BookingType):
    linked: bool = False  # an appointment of this type belongs to a client


@dataclass(frozen=True)
class SessionStatus:
    name: str = ""
    display_name: str = ""
    due_in_days: int = 0
    is_default: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None


SetupResource = Location | StaffMember | Schedule | SessionType | AppointmentType | SessionStatus


def resource_id(name: str, collection: str) -> str:
    """`collection/{id}` -> `{id}`; "" stays ""."""
    return name.removeprefix(f"{collection}/")


def resource_name(collection: str, resource_id: str) -> str:
    """`{id}` -> `collection/{id}`; "" stays ""."""
    return f"{collection}/{resource_id}" if resource_id else ""


def default_status(status_id: str) -> SessionStatus:
    """The status a company gets the first time one is needed (the default)."""
    return SessionStatus(
        name=resource_name(SESSION_STATUSES, status_id),
        display_name=DEFAULT_STATUS_NAME,
        due_in_days=DEFAULT_STATUS_DUE_IN_DAYS,
        is_default=True,
    )
