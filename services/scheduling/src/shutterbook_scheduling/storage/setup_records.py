"""The setup resources' rows <-> their domain objects (domain/setup.py), field by field.

Every field is a column or a child row (see `models.py`): a resource written here and read
back is the same resource (but its times, which the rows keep: `created_at`, `updated_at`).
References keep the id after their collection prefix (`locations/{id}` -> `{id}`); a part that
may be absent (a clock time, a money amount) is NULL when it was not given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from shutterbook_scheduling.domain.setup import (
    APPOINTMENT_TYPES,
    LOCATIONS,
    PRICE_LIST_ITEMS,
    SCHEDULES,
    SESSION_STATUSES,
    SESSION_TYPES,
    STAFF_MEMBERS,
    AppointmentType,
    BookingType,
    ClockTime,
    Location,
    Money,
    OnlineBookingSettings,
    PostalAddress,
    Schedule,
    SessionStatus,
    SessionType,
    SetupResource,
    StaffMember,
    TimeOff,
    WeeklyHours,
    resource_id,
    resource_name,
)
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
    ConfigurationMixin,
    LocationAddressLineRow,
    LocationHoursRow,
    LocationRow,
    OnlinePromotionRow,
    PriceListItemRow,
    ScheduleHoursRow,
    ScheduleRow,
    SessionStatusRow,
    StaffMemberRow,
    StaffRoleRow,
    TimeOffRow,
)


def _clock(minute: int | None) -> ClockTime | None:
    return None if minute is None else ClockTime.at(minute)


def _minute(clock: ClockTime | None) -> int | None:
    return None if clock is None else clock.minute


def _hours(rows: Sequence[Any]) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(row.day, _clock(row.start_minute), _clock(row.end_minute)) for row in rows)


def _hours_values(hours: Sequence[WeeklyHours]) -> list[dict[str, Any]]:
    return [
        {"position": i, "day": int(h.day), "start_minute": _minute(h.start), "end_minute": _minute(h.end)}
        for i, h in enumerate(hours)
    ]


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money(minor, currency)


# --- locations ---


def read_location(row: LocationRow) -> Location:
    address = PostalAddress()
    if row.has_address:
        address = PostalAddress(
            address_lines=tuple(line.line for line in row.address_lines),
            locality=row.address_locality,
            administrative_area=row.address_administrative_area,
            postal_code=row.address_postal_code,
            region_code=row.address_region_code,
        )
    return Location(
        name=resource_name(LOCATIONS, row.id),
        display_name=row.display_name,
        time_zone=row.time_zone,
        address=address,
        has_address=row.has_address,
        studio_hours=_hours([h for h in row.hours if h.kind == "studio"]),
        lunch_periods=_hours([h for h in row.hours if h.kind == "lunch"]),
        create_time=row.created_at,
        update_time=row.updated_at,
    )


def write_location(row: LocationRow, location: Location) -> None:
    a = location.address
    row.display_name = location.display_name
    row.time_zone = location.time_zone
    row.has_address = location.has_address
    row.address_locality = a.locality
    row.address_administrative_area = a.administrative_area
    row.address_postal_code = a.postal_code
    row.address_region_code = a.region_code
    row.address_lines = [LocationAddressLineRow(position=i, line=x) for i, x in enumerate(a.address_lines)]
    row.hours = [LocationHoursRow(kind="studio", **v) for v in _hours_values(location.studio_hours)] + [
        LocationHoursRow(kind="lunch", **v) for v in _hours_values(location.lunch_periods)
    ]


# --- staff members ---


def read_staff(row: StaffMemberRow) -> StaffMember:
    return StaffMember(
        name=resource_name(STAFF_MEMBERS, row.id),
        display_name=row.display_name,
        roles=tuple(r.role for r in row.roles),
        email=row.email,
        create_time=row.created_at,
        update_time=row.updated_at,
    )


def write_staff(row: StaffMemberRow, staff: StaffMember) -> None:
    row.display_name = staff.display_name
    row.email = staff.email
    row.roles = [StaffRoleRow(position=i, role=int(role)) for i, role in enumerate(staff.roles)]


# --- schedules ---


def read_schedule(row: ScheduleRow) -> Schedule:
    return Schedule(
        name=resource_name(SCHEDULES, row.id),
        display_name=row.display_name,
        kind=row.kind,
        staff_member=resource_name(STAFF_MEMBERS, row.staff_member_id),
        location=resource_name(LOCATIONS, row.location_id),
        working_hours=_hours(row.working_hours),
        time_off=tuple(TimeOff(off.start_at, off.end_at, off.reason) for off in row.time_off),
        create_time=row.created_at,
        update_time=row.updated_at,
    )


def write_schedule(row: ScheduleRow, schedule: Schedule) -> None:
    """Its time off needs both instants (the rules have said so)."""
    row.display_name = schedule.display_name
    row.kind = int(schedule.kind)
    row.staff_member_id = resource_id(schedule.staff_member, STAFF_MEMBERS)
    row.location_id = resource_id(schedule.location, LOCATIONS)
    row.working_hours = [ScheduleHoursRow(**v) for v in _hours_values(schedule.working_hours)]
    time_off = []
    for i, off in enumerate(schedule.time_off):
        assert off.start_time is not None
        assert off.end_time is not None
        time_off.append(TimeOffRow(position=i, start_at=off.start_time, end_at=off.end_time, reason=off.reason))
    row.time_off = time_off


# --- session and appointment types ---


def _read_online(row: BookingTypeRow) -> OnlineBookingSettings:
    """The settings as given; none given reads as the defaults (but the marketing image's etag,
    which the type keeps either way)."""
    if not row.has_online:
        return OnlineBookingSettings(marketing_image_etag=row.online_marketing_image_etag)
    return OnlineBookingSettings(
        available_online=row.online_available,
        online_description=row.online_description,
        marketing_description=row.online_marketing_description,
        auto_remove_conflicting_slots=row.online_auto_remove_conflicting_slots,
        display_price=_money(row.online_display_price_minor, row.online_display_price_currency),
        online_payment=row.online_payment,
        payment_option=row.online_payment_option,
        payment_amount=_money(row.online_payment_amount_minor, row.online_payment_amount_currency),
        booked_online_status=resource_name(SESSION_STATUSES, row.online_booked_status_id),
        cancelled_online_status=resource_name(SESSION_STATUSES, row.online_cancelled_status_id),
        rescheduled_online_status=resource_name(SESSION_STATUSES, row.online_rescheduled_status_id),
        location=resource_name(LOCATIONS, row.online_location_id),
        location_text=row.online_location_text,
        marketing_image_uri=row.online_marketing_image_uri,
        online_promotions=tuple(p.promotion for p in row.online_promotions),
        cancellation_policy=row.online_cancellation_policy,
        cancellation_fee=_money(row.online_cancellation_fee_minor, row.online_cancellation_fee_currency),
        marketing_image_etag=row.online_marketing_image_etag,
    )


def read_type(row: BookingTypeRow) -> SessionType | AppointmentType:
    """A session type or an appointment type, as the row's kind says. A type with a marketing
    image has online settings (the image's etag is one of them)."""
    common: dict[str, Any] = {
        "display_name": row.display_name,
        "color": row.color,
        "default_duration_minutes": row.default_duration_minutes,
        "buffer_before_minutes": row.buffer_before_minutes,
        "buffer_after_minutes": row.buffer_after_minutes,
        "price_list_items": tuple(resource_name(PRICE_LIST_ITEMS, p.item_id) for p in row.price_list_items),
        "auto_create_invoice": row.auto_create_invoice,
        "online": _read_online(row),
        "has_online": row.has_online or bool(row.online_marketing_image_etag),
        "create_time": row.created_at,
        "update_time": row.updated_at,
    }
    if row.kind == "session":
        default_status = resource_name(SESSION_STATUSES, row.default_status_id)
        return SessionType(name=resource_name(SESSION_TYPES, row.id), default_status=default_status, **common)
    return AppointmentType(name=resource_name(APPOINTMENT_TYPES, row.id), linked=row.linked, **common)


def _minor(money: Money | None) -> int | None:
    return None if money is None else money.amount_minor


def _currency(money: Money | None) -> str:
    return "" if money is None else money.currency_code


def write_type(row: BookingTypeRow, booking_type: BookingType) -> None:
    """Every field but the marketing image's etag (its upload's to set)."""
    row.display_name = booking_type.display_name
    row.color = booking_type.color
    row.default_duration_minutes = booking_type.default_duration_minutes
    row.buffer_before_minutes = booking_type.buffer_before_minutes
    row.buffer_after_minutes = booking_type.buffer_after_minutes
    default_status = booking_type.default_status if isinstance(booking_type, SessionType) else ""
    row.default_status_id = resource_id(default_status, SESSION_STATUSES)
    row.linked = isinstance(booking_type, AppointmentType) and booking_type.linked
    row.auto_create_invoice = booking_type.auto_create_invoice
    row.price_list_items = [
        PriceListItemRow(position=i, item_id=resource_id(item, PRICE_LIST_ITEMS))
        for i, item in enumerate(booking_type.price_list_items)
    ]
    online = booking_type.online
    row.has_online = booking_type.has_online
    row.online_available = online.available_online
    row.online_description = online.online_description
    row.online_marketing_description = online.marketing_description
    row.online_auto_remove_conflicting_slots = online.auto_remove_conflicting_slots
    row.online_display_price_minor = _minor(online.display_price)
    row.online_display_price_currency = _currency(online.display_price)
    row.online_payment = online.online_payment
    row.online_payment_option = int(online.payment_option)
    row.online_payment_amount_minor = _minor(online.payment_amount)
    row.online_payment_amount_currency = _currency(online.payment_amount)
    row.online_booked_status_id = resource_id(online.booked_online_status, SESSION_STATUSES)
    row.online_cancelled_status_id = resource_id(online.cancelled_online_status, SESSION_STATUSES)
    row.online_rescheduled_status_id = resource_id(online.rescheduled_online_status, SESSION_STATUSES)
    row.online_location_id = resource_id(online.location, LOCATIONS)
    row.online_location_text = online.location_text
    row.online_marketing_image_uri = online.marketing_image_uri
    row.online_cancellation_policy = int(online.cancellation_policy)
    row.online_cancellation_fee_minor = _minor(online.cancellation_fee)
    row.online_cancellation_fee_currency = _currency(online.cancellation_fee)
    row.online_promotions = [
        OnlinePromotionRow(position=i, promotion=p) for i, p in enumerate(online.online_promotions)
    ]


# --- session statuses ---


def read_status(row: SessionStatusRow) -> SessionStatus:
    return SessionStatus(
        name=resource_name(SESSION_STATUSES, row.id),
        display_name=row.display_name,
        due_in_days=row.due_in_days,
        is_default=row.is_default,
        create_time=row.created_at,
        update_time=row.updated_at,
    )


def write_status(row: SessionStatusRow, status: SessionStatus) -> None:
    row.display_name = status.display_name
    row.due_in_days = status.due_in_days
    row.is_default = status.is_default


def read(row: ConfigurationMixin) -> SetupResource:
    """Any setup resource's row as its domain object."""
    if isinstance(row, LocationRow):
        return read_location(row)
    if isinstance(row, StaffMemberRow):
        return read_staff(row)
    if isinstance(row, ScheduleRow):
        return read_schedule(row)
    if isinstance(row, BookingTypeRow):
        return read_type(row)
    assert isinstance(row, SessionStatusRow)
    return read_status(row)


def write(row: ConfigurationMixin, resource: SetupResource) -> None:
    """Any setup resource into its row (columns and child rows; not its id, company or times)."""
    if isinstance(row, LocationRow) and isinstance(resource, Location):
        write_location(row, resource)
    elif isinstance(row, StaffMemberRow) and isinstance(resource, StaffMember):
        write_staff(row, resource)
    elif isinstance(row, ScheduleRow) and isinstance(resource, Schedule):
        write_schedule(row, resource)
    elif isinstance(row, BookingTypeRow) and isinstance(resource, BookingType):
        write_type(row, resource)
    elif isinstance(row, SessionStatusRow) and isinstance(resource, SessionStatus):
        write_status(row, resource)
    else:
        raise TypeError(f"{type(resource).__name__} is not kept in {type(row).__name__}")


def new_row(
    model: type[ConfigurationMixin], kind: str | None, doc_id: str, company_id: str, created_at: datetime
) -> ConfigurationMixin:
    """An empty row for a new resource (`kind`: a type's, "session" or "appointment")."""
    row: Any = model(id=doc_id, company_id=company_id, created_at=created_at)  # type: ignore[call-arg]
    if kind is not None:
        row.kind = kind
    made: ConfigurationMixin = row
    return made
