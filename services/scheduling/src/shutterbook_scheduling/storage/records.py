"""Rows <-> the contract's messages, field by field, for the scheduling resources not yet domain
objects (sessions and appointments: `entry_records`).

Every field is a column or a child row (see `models.py`): a message written here and read
back is the same message. Reference fields keep the id after their collection prefix
(`schedules/{id}` -> `{id}`); a field that may be absent (a TimeOfDay, a Date, a Money, an
optional int) is NULL when it was not given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2, money_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.storage.bulk_models import BulkJobRow, BulkJobRowRow
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
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
from shutterbook_scheduling.storage.online_models import TimeSlotRow, TimeSlotScheduleRow

# --- field helpers --------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    # what Timestamp.FromDatetime gives for an aware instant, without its time tuple (a listing
    # converts four instants per slot)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def _instant(value: timestamp_pb2.Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def minute_of(msg: Any, field: str) -> int | None:
    """A TimeOfDay field as minutes after midnight; None when not given."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return int(value.hours) * 60 + int(value.minutes)


def set_clock(msg: Any, field: str, minute: int | None) -> None:
    if minute is not None:
        getattr(msg, field).CopyFrom(pb.TimeOfDay(hours=minute // 60, minutes=minute % 60))


def date_of(msg: Any, field: str) -> date | None:
    """A Date field as a date; None when not given (or given all zero, which reads as not given)."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    if value.year == 0 and value.month == 0 and value.day == 0:
        return None
    return date(value.year, value.month, value.day)


def set_date(msg: Any, field: str, value: date | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(date_pb2.Date(year=value.year, month=value.month, day=value.day))


def ref_id(name: str, collection: str) -> str:
    """`collection/{id}` -> `{id}`; "" stays ""."""
    return name.removeprefix(f"{collection}/")


def ref(collection: str, value: str) -> str:
    return f"{collection}/{value}" if value else ""


def _hours(rows: list[Any]) -> list[pb.WeeklyHours]:
    out = []
    for row in rows:
        hours = pb.WeeklyHours(day=row.day)
        set_clock(hours, "start", row.start_minute)
        set_clock(hours, "end", row.end_minute)
        out.append(hours)
    return out


def _hours_values(hours: Any) -> list[dict[str, Any]]:
    return [
        {"position": i, "day": h.day, "start_minute": minute_of(h, "start"), "end_minute": minute_of(h, "end")}
        for i, h in enumerate(hours)
    ]


def _money(minor: int | None, currency: str) -> money_pb2.Money | None:
    return None if minor is None else money_pb2.Money(amount_minor=minor, currency_code=currency)


# --- configuration ---------------------------------------------------------------------------


def location_message(row: LocationRow) -> pb.Location:
    msg = pb.Location(
        name=f"locations/{row.id}",
        display_name=row.display_name,
        time_zone=row.time_zone,
        studio_hours=_hours([h for h in row.hours if h.kind == "studio"]),
        lunch_periods=_hours([h for h in row.hours if h.kind == "lunch"]),
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
    )
    if row.has_address:
        msg.address.CopyFrom(
            pb.PostalAddress(
                address_lines=[line.line for line in row.address_lines],
                locality=row.address_locality,
                administrative_area=row.address_administrative_area,
                postal_code=row.address_postal_code,
                region_code=row.address_region_code,
            )
        )
    return msg


def write_location(row: LocationRow, msg: pb.Location) -> None:
    row.display_name = msg.display_name
    row.time_zone = msg.time_zone
    row.has_address = msg.HasField("address")
    row.address_locality = msg.address.locality
    row.address_administrative_area = msg.address.administrative_area
    row.address_postal_code = msg.address.postal_code
    row.address_region_code = msg.address.region_code
    row.address_lines = [LocationAddressLineRow(position=i, line=x) for i, x in enumerate(msg.address.address_lines)]
    row.hours = [LocationHoursRow(kind="studio", **v) for v in _hours_values(msg.studio_hours)] + [
        LocationHoursRow(kind="lunch", **v) for v in _hours_values(msg.lunch_periods)
    ]


def staff_message(row: StaffMemberRow) -> pb.StaffMember:
    return pb.StaffMember(
        name=f"staffMembers/{row.id}",
        display_name=row.display_name,
        roles=[r.role for r in row.roles],  # type: ignore[misc]
        email=row.email,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
    )


def write_staff(row: StaffMemberRow, msg: pb.StaffMember) -> None:
    row.display_name = msg.display_name
    row.email = msg.email
    row.roles = [StaffRoleRow(position=i, role=role) for i, role in enumerate(msg.roles)]


def schedule_message(row: ScheduleRow) -> pb.Schedule:
    return pb.Schedule(
        name=f"schedules/{row.id}",
        display_name=row.display_name,
        kind=row.kind,  # type: ignore[arg-type]
        staff_member=ref("staffMembers", row.staff_member_id),
        location=ref("locations", row.location_id),
        working_hours=_hours(row.working_hours),
        time_off=[
            pb.TimeOff(start_time=_ts(off.start_at), end_time=_ts(off.end_at), reason=off.reason)
            for off in row.time_off
        ],
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
    )


def write_schedule(row: ScheduleRow, msg: pb.Schedule) -> None:
    row.display_name = msg.display_name
    row.kind = msg.kind
    row.staff_member_id = ref_id(msg.staff_member, "staffMembers")
    row.location_id = ref_id(msg.location, "locations")
    row.working_hours = [ScheduleHoursRow(**v) for v in _hours_values(msg.working_hours)]
    row.time_off = [
        TimeOffRow(position=i, start_at=_instant(off.start_time), end_at=_instant(off.end_time), reason=off.reason)
        for i, off in enumerate(msg.time_off)
    ]


def _online_message(row: BookingTypeRow) -> pb.OnlineBookingSettings:
    online = pb.OnlineBookingSettings(
        available_online=row.online_available,
        online_description=row.online_description,
        marketing_description=row.online_marketing_description,
        auto_remove_conflicting_slots=row.online_auto_remove_conflicting_slots,
        online_payment=row.online_payment,
        payment_option=row.online_payment_option,  # type: ignore[arg-type]
        booked_online_status=ref("sessionStatuses", row.online_booked_status_id),
        cancelled_online_status=ref("sessionStatuses", row.online_cancelled_status_id),
        rescheduled_online_status=ref("sessionStatuses", row.online_rescheduled_status_id),
        location=ref("locations", row.online_location_id),
        location_text=row.online_location_text,
        marketing_image_uri=row.online_marketing_image_uri,
        online_promotions=[p.promotion for p in row.online_promotions],
        cancellation_policy=row.online_cancellation_policy,  # type: ignore[arg-type]
    )
    fee = _money(row.online_cancellation_fee_minor, row.online_cancellation_fee_currency)
    if fee is not None:
        online.cancellation_fee.CopyFrom(fee)
    display = _money(row.online_display_price_minor, row.online_display_price_currency)
    if display is not None:
        online.display_price.CopyFrom(display)
    amount = _money(row.online_payment_amount_minor, row.online_payment_amount_currency)
    if amount is not None:
        online.payment_amount.CopyFrom(amount)
    return online


def type_message(row: BookingTypeRow) -> Any:
    """A SessionType or an AppointmentType, as the row's kind says."""
    common: dict[str, Any] = {
        "display_name": row.display_name,
        "color": row.color,
        "default_duration_minutes": row.default_duration_minutes,
        "buffer_before_minutes": row.buffer_before_minutes,
        "buffer_after_minutes": row.buffer_after_minutes,
        "price_list_items": [f"priceListItems/{p.item_id}" for p in row.price_list_items],
        "auto_create_invoice": row.auto_create_invoice,
        "create_time": _ts(row.created_at),
        "update_time": _ts(row.updated_at),
    }
    msg: Any
    if row.kind == "session":
        msg = pb.SessionType(
            name=f"sessionTypes/{row.id}", default_status=ref("sessionStatuses", row.default_status_id), **common
        )
    else:
        msg = pb.AppointmentType(name=f"appointmentTypes/{row.id}", linked=row.linked, **common)
    if row.has_online:
        msg.online.CopyFrom(_online_message(row))
    if row.online_marketing_image_etag:
        msg.online.marketing_image_etag = row.online_marketing_image_etag
    return msg


def write_type(row: BookingTypeRow, msg: Any) -> None:
    row.display_name = msg.display_name
    row.color = msg.color
    row.default_duration_minutes = msg.default_duration_minutes
    row.buffer_before_minutes = msg.buffer_before_minutes
    row.buffer_after_minutes = msg.buffer_after_minutes
    row.default_status_id = ref_id(getattr(msg, "default_status", ""), "sessionStatuses")
    row.linked = bool(getattr(msg, "linked", False))
    row.auto_create_invoice = msg.auto_create_invoice
    row.price_list_items = [
        PriceListItemRow(position=i, item_id=ref_id(item, "priceListItems"))
        for i, item in enumerate(msg.price_list_items)
    ]
    online: pb.OnlineBookingSettings = msg.online
    row.has_online = msg.HasField("online")
    row.online_available = online.available_online
    row.online_description = online.online_description
    row.online_marketing_description = online.marketing_description
    row.online_auto_remove_conflicting_slots = online.auto_remove_conflicting_slots
    has_display = online.HasField("display_price")
    row.online_display_price_minor = online.display_price.amount_minor if has_display else None
    row.online_display_price_currency = online.display_price.currency_code
    row.online_payment = online.online_payment
    row.online_payment_option = online.payment_option
    has_amount = online.HasField("payment_amount")
    row.online_payment_amount_minor = online.payment_amount.amount_minor if has_amount else None
    row.online_payment_amount_currency = online.payment_amount.currency_code
    row.online_booked_status_id = ref_id(online.booked_online_status, "sessionStatuses")
    row.online_cancelled_status_id = ref_id(online.cancelled_online_status, "sessionStatuses")
    row.online_rescheduled_status_id = ref_id(online.rescheduled_online_status, "sessionStatuses")
    row.online_location_id = ref_id(online.location, "locations")
    row.online_location_text = online.location_text
    row.online_marketing_image_uri = online.marketing_image_uri
    row.online_cancellation_policy = online.cancellation_policy
    has_fee = online.HasField("cancellation_fee")
    row.online_cancellation_fee_minor = online.cancellation_fee.amount_minor if has_fee else None
    row.online_cancellation_fee_currency = online.cancellation_fee.currency_code
    row.online_promotions = [
        OnlinePromotionRow(position=i, promotion=p) for i, p in enumerate(online.online_promotions)
    ]


def status_message(row: SessionStatusRow) -> pb.SessionStatus:
    return pb.SessionStatus(
        name=f"sessionStatuses/{row.id}",
        display_name=row.display_name,
        due_in_days=row.due_in_days,
        is_default=row.is_default,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
    )


def write_status(row: SessionStatusRow, msg: pb.SessionStatus) -> None:
    row.display_name = msg.display_name
    row.due_in_days = msg.due_in_days
    row.is_default = msg.is_default


# --- online time slots and bulk jobs ----------------------------------------------------------------


def slot_base_message(row: TimeSlotRow) -> opb.TimeSlot:
    """The slot as stored (without `booked_*` and `removed`, which the caller works out)."""
    return slot_fields_message(row, [s.schedule_id for s in sorted(row.schedules, key=lambda s: s.position)])


def slot_fields_message(row: Any, schedule_ids: Sequence[str]) -> opb.TimeSlot:
    """The slot from its stored columns (a `TimeSlotRow` or any object with its column
    attributes, such as `open_slots.SlotValues`) and its schedule ids in order."""
    type_name = f"appointmentTypes/{row.type_id}" if row.is_appointment else f"sessionTypes/{row.type_id}"
    msg = opb.TimeSlot(
        name=f"timeSlots/{row.id}",
        location=ref("locations", row.location_id),
        session_type="" if row.is_appointment else type_name,
        appointment_type=type_name if row.is_appointment else "",
        schedules=[f"schedules/{s}" for s in schedule_ids],
        start_time=_ts(row.start_at),
        end_time=_ts(row.end_at),
        time_zone=row.time_zone,
        published=row.published,
        minimum_notice_minutes=row.minimum_notice_minutes,
        maximum_advance_days=row.maximum_advance_days,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
    )
    set_date(msg, "date", row.local_date)
    set_clock(msg, "start", row.start_minute)
    set_clock(msg, "end", row.end_minute)
    return msg


def write_slot(row: TimeSlotRow, msg: opb.TimeSlot) -> None:
    """The slot's own fields (its schedules: `slot_schedules`)."""
    row.location_id = ref_id(msg.location, "locations")
    row.is_appointment = bool(msg.appointment_type)
    row.type_id = ref_id(msg.appointment_type, "appointmentTypes") or ref_id(msg.session_type, "sessionTypes")
    row.time_zone = msg.time_zone
    row.local_date = date_of(msg, "date")
    row.start_minute = minute_of(msg, "start")
    row.end_minute = minute_of(msg, "end")
    row.published = msg.published
    row.minimum_notice_minutes = msg.minimum_notice_minutes
    row.maximum_advance_days = msg.maximum_advance_days


def slot_schedules(row: TimeSlotRow, schedule_ids: list[str]) -> list[TimeSlotScheduleRow]:
    return [
        TimeSlotScheduleRow(
            slot_id=row.id,
            schedule_id=schedule_id,
            company_id=row.company_id,
            position=i,
            start_at=row.start_at,
            end_at=row.end_at,
        )
        for i, schedule_id in enumerate(schedule_ids)
    ]


_TEMPLATE_FIELDS = ("location", "description", "session_type", "status", "photographer", "assistant", "camera_room")


def job_base_message(row: BulkJobRow) -> bpb.BulkJob:
    """The job as created (state, counts and completion: the caller fills them in)."""
    msg = bpb.BulkJob(
        name=f"bulkJobs/{row.id}",
        allow_conflicts=row.allow_conflicts,
        created_by=row.created_by,
        create_time=_ts(row.created_at),
    )
    if row.has_template:
        msg.template.CopyFrom(bpb.BulkSessionTemplate(**{f: getattr(row, f"template_{f}") for f in _TEMPLATE_FIELDS}))
    for r in row.rows:
        out = msg.time_slot_rows.add(
            session_duration_minutes=r.session_duration_minutes,
            exclude_saturdays=r.exclude_saturdays,
            exclude_sundays=r.exclude_sundays,
            minutes_between_sessions=r.minutes_between_sessions,
        )
        set_date(out, "start_date", r.start_date)
        set_date(out, "end_date", r.end_date)
        set_clock(out, "start_time", r.start_minute)
        set_clock(out, "end_time", r.end_minute)
        set_clock(out, "break_start", r.break_start_minute)
        set_clock(out, "break_end", r.break_end_minute)
    return msg


def write_job(row: BulkJobRow, msg: bpb.BulkJob) -> None:
    row.has_template = msg.HasField("template")
    for f in _TEMPLATE_FIELDS:
        setattr(row, f"template_{f}", getattr(msg.template, f))
    row.rows = [
        BulkJobRowRow(
            position=i,
            start_date=date_of(r, "start_date"),
            end_date=date_of(r, "end_date"),
            start_minute=minute_of(r, "start_time"),
            end_minute=minute_of(r, "end_time"),
            session_duration_minutes=r.session_duration_minutes,
            exclude_saturdays=r.exclude_saturdays,
            exclude_sundays=r.exclude_sundays,
            break_start_minute=minute_of(r, "break_start"),
            break_end_minute=minute_of(r, "break_end"),
            minutes_between_sessions=r.minutes_between_sessions,
        )
        for i, r in enumerate(msg.time_slot_rows)
    ]
