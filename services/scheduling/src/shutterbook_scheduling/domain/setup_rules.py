"""The rules of the scheduling setup's resources (domain/setup.py), plain functions.

`problems(resource, found)` answers {path: problem} (paths relative to the resource, as the
API names its fields: `display_name`, `online.payment_amount.currency_code`; the caller
prefixes them with the request's field), in the order the fields are checked. Whether a
referenced resource exists is the database's to say: `references(resource)` lists what the
resource names (and which of those must be given), the caller looks them up, and `found`
brings what was wrong with them ({path: problem}) back into place among the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from shutterbook_kit.errors import Violations
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.domain.setup import (
    LOCATIONS,
    SESSION_STATUSES,
    STAFF_MEMBERS,
    AppointmentType,
    BookingType,
    ClockTime,
    DayOfWeek,
    Location,
    Money,
    OnlineBookingSettings,
    PaymentOption,
    Schedule,
    ScheduleKind,
    SessionStatus,
    SessionType,
    SetupResource,
    StaffMember,
    StaffRole,
    WeeklyHours,
)

PRICE_LIST_ITEM = re.compile(r"^priceListItems/[0-9a-fA-F-]{36}$")
MAX_DISPLAY_NAME = 200
MAX_ONLINE_DESCRIPTION = 200
MAX_MARKETING_DESCRIPTION = 5000
MAX_PROMOTION = 100
MAX_DUE_IN_DAYS = 3650

Problems = dict[str, str]


@dataclass(frozen=True)
class Reference:
    """A resource named at `path` (`collection/{id}`); `required`: an empty name is a problem."""

    path: str
    name: str
    collection: str
    required: bool


def references(resource: SetupResource) -> list[Reference]:
    """What the resource names that must exist."""
    found: list[Reference] = []
    if isinstance(resource, Schedule):
        if resource.kind == ScheduleKind.STAFF:
            found.append(Reference("staff_member", resource.staff_member, STAFF_MEMBERS, True))
        found.append(Reference("location", resource.location, LOCATIONS, True))
    if isinstance(resource, SessionType) and resource.default_status:
        found.append(Reference("default_status", resource.default_status, SESSION_STATUSES, False))
    if isinstance(resource, BookingType):
        online = resource.online
        for status_field in ("booked_online_status", "cancelled_online_status", "rescheduled_online_status"):
            value = str(getattr(online, status_field))
            if value:
                found.append(Reference(f"online.{status_field}", value, SESSION_STATUSES, False))
        if online.location and not online.location_text:
            found.append(Reference("online.location", online.location, LOCATIONS, False))
    return found


def problems(resource: SetupResource, found: Mapping[str, str] | None = None) -> Problems:
    """Everything wrong with `resource` ({path: problem}); `found`: its references' problems."""
    refs = found or {}
    if isinstance(resource, Location):
        return location_problems(resource, refs)
    if isinstance(resource, StaffMember):
        return staff_problems(resource, refs)
    if isinstance(resource, Schedule):
        return schedule_problems(resource, refs)
    if isinstance(resource, SessionType):
        return session_type_problems(resource, refs)
    if isinstance(resource, AppointmentType):
        return appointment_type_problems(resource, refs)
    return status_problems(resource, refs)


def _display_name(display_name: str, out: Problems) -> None:
    if not display_name.strip():
        out["display_name"] = "is required"
    elif len(display_name) > MAX_DISPLAY_NAME:
        out["display_name"] = f"must be at most {MAX_DISPLAY_NAME} characters"


def _reference(path: str, found: Mapping[str, str], out: Problems) -> None:
    if path in found:
        out[path] = found[path]


def _clock(value: ClockTime | None, path: str, out: Problems) -> int | None:
    """A time not given reads as midnight (as the API's empty TimeOfDay does)."""
    clock = value or ClockTime()
    if not (0 <= clock.hours <= 23 and 0 <= clock.minutes <= 59):
        out[path] = "must be hours 0-23 and minutes 0-59"
        return None
    return clock.minute


def weekly_hours_problems(hours: tuple[WeeklyHours, ...], path: str, out: Problems) -> None:
    """Each entry needs a day, and an end after its start."""
    for i, entry in enumerate(hours):
        at = f"{path}[{i}]"
        if entry.day == DayOfWeek.UNSPECIFIED:
            out[f"{at}.day"] = "is required"
        start = _clock(entry.start, f"{at}.start", out)
        end = _clock(entry.end, f"{at}.end", out)
        if start is not None and end is not None and end <= start:
            out[f"{at}.end"] = "must be after start"


def location_problems(location: Location, found: Mapping[str, str] | None = None) -> Problems:
    out: Problems = {}
    _display_name(location.display_name, out)
    try:
        times.zone(location.time_zone)
    except ValueError:
        out["time_zone"] = "must be an IANA time zone, for example America/New_York"
    weekly_hours_problems(location.studio_hours, "studio_hours", out)
    weekly_hours_problems(location.lunch_periods, "lunch_periods", out)
    region = location.address.region_code
    if region and not (len(region) == 2 and region.isalpha()):
        out["address.region_code"] = "must be an ISO 3166-1 alpha-2 code"
    return out


def staff_problems(staff: StaffMember, found: Mapping[str, str] | None = None) -> Problems:
    out: Problems = {}
    _display_name(staff.display_name, out)
    known = {int(role) for role in StaffRole}
    for i, role in enumerate(staff.roles):
        if role == StaffRole.UNSPECIFIED or role not in known:
            out[f"roles[{i}]"] = "must be a known role"
    email = staff.email
    if email and (email.count("@") != 1 or "." not in email.split("@")[1] or " " in email):
        out["email"] = "is not an email address"
    return out


def schedule_problems(schedule: Schedule, found: Mapping[str, str] | None = None) -> Problems:
    refs = found or {}
    out: Problems = {}
    _display_name(schedule.display_name, out)
    if schedule.kind not in (ScheduleKind.STAFF, ScheduleKind.RESOURCE):
        out["kind"] = "must be SCHEDULE_KIND_STAFF or SCHEDULE_KIND_RESOURCE"
    if schedule.kind == ScheduleKind.STAFF:
        _reference("staff_member", refs, out)
    elif schedule.staff_member:
        out["staff_member"] = "only a staff schedule has a staff member"
    _reference("location", refs, out)
    weekly_hours_problems(schedule.working_hours, "working_hours", out)
    for i, off in enumerate(schedule.time_off):
        if off.start_time is None or off.end_time is None:
            out[f"time_off[{i}]"] = "needs start_time and end_time"
        elif off.end_time <= off.start_time:
            out[f"time_off[{i}].end_time"] = "must be after start_time"
    return out


def _money(money: Money, path: str, out: Problems, *, positive: bool) -> None:
    code = money.currency_code
    if not (len(code) == 3 and code.isalpha() and code.isupper()):
        out[f"{path}.currency_code"] = "must be an ISO 4217 code, for example USD"
    if money.amount_minor < 0 or (positive and money.amount_minor == 0):
        out[f"{path}.amount_minor"] = "must be positive" if positive else "must not be negative"


def online_problems(
    online: OnlineBookingSettings, auto_create_invoice: bool, found: Mapping[str, str], out: Problems
) -> None:
    """The online booking settings (`online.*`): descriptions, price, payment, statuses, place,
    image, promotions and the cancellation policy."""
    o = "online"
    if len(online.online_description) > MAX_ONLINE_DESCRIPTION:
        out[f"{o}.online_description"] = f"must be at most {MAX_ONLINE_DESCRIPTION} characters"
    if len(online.marketing_description) > MAX_MARKETING_DESCRIPTION:
        out[f"{o}.marketing_description"] = f"must be at most {MAX_MARKETING_DESCRIPTION} characters"
    if online.display_price is not None:
        _money(online.display_price, f"{o}.display_price", out, positive=False)
    if online.payment_option not in {int(option) for option in PaymentOption}:
        out[f"{o}.payment_option"] = "is not a known option"
    needs_amount = online.payment_option in (PaymentOption.INVOICE_LISTED_PRICE, PaymentOption.CUSTOMER_DEPOSIT)
    if online.payment_option == PaymentOption.INVOICE_LISTED_PRICE and not auto_create_invoice:
        out[f"{o}.payment_option"] = "invoice payment in listed price needs auto_create_invoice"
    if needs_amount:
        if online.payment_amount is None:
            out[f"{o}.payment_amount"] = "is required for this payment option"
        else:
            _money(online.payment_amount, f"{o}.payment_amount", out, positive=True)
    elif online.payment_amount is not None and online.payment_amount.amount_minor:
        out[f"{o}.payment_amount"] = "is only used with listed price or customer deposit"
    if online.online_payment and online.payment_option in (PaymentOption.UNSPECIFIED, PaymentOption.NONE):
        out[f"{o}.payment_option"] = "online payment needs a payment option"
    for status_field in ("booked_online_status", "cancelled_online_status", "rescheduled_online_status"):
        _reference(f"{o}.{status_field}", found, out)
    if online.location and online.location_text:
        out[f"{o}.location_text"] = "give a location or free text, not both"
    elif online.location:
        _reference(f"{o}.location", found, out)
    if online.marketing_image_uri:
        parsed = urlparse(online.marketing_image_uri)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            out[f"{o}.marketing_image_uri"] = "must be an http(s) URL"
    for i, promo in enumerate(online.online_promotions):
        if not promo.strip() or len(promo) > MAX_PROMOTION:
            out[f"{o}.online_promotions[{i}]"] = f"must be 1 to {MAX_PROMOTION} characters"
    if online.cancellation_fee is not None:
        _money(online.cancellation_fee, f"{o}.cancellation_fee", out, positive=True)
    policy = Violations()
    rules.check_cancellation_policy(online.cancellation_policy, online.cancellation_fee is not None, o, policy)
    out.update({item.field: item.description for item in policy.items})


def _type_problems(booking_type: BookingType, out: Problems) -> None:
    _display_name(booking_type.display_name, out)
    if booking_type.color and not rules.COLOR.match(booking_type.color):
        out["color"] = "must be #RRGGBB"
    if not 1 <= booking_type.default_duration_minutes <= rules.MAX_DURATION_MINUTES:
        out["default_duration_minutes"] = f"must be 1 to {rules.MAX_DURATION_MINUTES}"
    for buffer in ("buffer_before_minutes", "buffer_after_minutes"):
        if not 0 <= int(getattr(booking_type, buffer)) <= rules.MAX_BUFFER_MINUTES:
            out[buffer] = f"must be 0 to {rules.MAX_BUFFER_MINUTES}"
    for i, item in enumerate(booking_type.price_list_items):
        if not PRICE_LIST_ITEM.match(item):
            out[f"price_list_items[{i}]"] = "must look like priceListItems/{id}"


def session_type_problems(session_type: SessionType, found: Mapping[str, str] | None = None) -> Problems:
    refs = found or {}
    out: Problems = {}
    _type_problems(session_type, out)
    if session_type.default_status:
        _reference("default_status", refs, out)
    online_problems(session_type.online, session_type.auto_create_invoice, refs, out)
    return out


def appointment_type_problems(appointment_type: AppointmentType, found: Mapping[str, str] | None = None) -> Problems:
    out: Problems = {}
    _type_problems(appointment_type, out)
    online_problems(appointment_type.online, appointment_type.auto_create_invoice, found or {}, out)
    return out


def status_problems(status: SessionStatus, found: Mapping[str, str] | None = None) -> Problems:
    out: Problems = {}
    _display_name(status.display_name, out)
    if not 0 <= status.due_in_days <= MAX_DUE_IN_DAYS:
        out["due_in_days"] = f"must be 0 to {MAX_DUE_IN_DAYS}"
    return out
