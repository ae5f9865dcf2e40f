"""Rows <-> the contract's messages, field by field, for every scheduling resource.

Every field is a column or a child row (see `models.py`): a message written here and read
back is the same message. Reference fields keep the id after their collection prefix
(`schedules/{id}` -> `{id}`); a field that may be absent (a TimeOfDay, a Date, a Money, an
optional int) is NULL when it was not given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2, money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    AppointmentScheduleRow,
    BookingTypeRow,
    LocationAddressLineRow,
    LocationHoursRow,
    LocationRow,
    OnlinePromotionRow,
    ParticipantRow,
    PriceListItemRow,
    ScheduleHoursRow,
    ScheduleRow,
    SessionRow,
    SessionStatusRow,
    StaffMemberRow,
    StaffRoleRow,
    TimeBlockRow,
    TimeBlockScheduleRow,
    TimeOffRow,
)

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


# --- sessions and appointments ------------------------------------------------------------------


def session_message(row: SessionRow) -> pb.Session:
    msg = pb.Session(
        name=f"sessions/{row.id}",
        client=ref("clients", row.client_id),
        description=row.description,
        notes=row.notes,
        session_type=ref("sessionTypes", row.type_id),
        location=ref("locations", row.location_id),
        start_time=_ts(row.start_at),
        end_time=_ts(row.end_at),
        photographer=ref("schedules", row.photographer_id),
        assistant=ref("schedules", row.assistant_id),
        camera_room=ref("schedules", row.camera_room_id),
        camera_room_text=row.camera_room_text,
        session_number=row.session_number,
        status=ref("sessionStatuses", row.status_id),
        booked_by=row.booked_by,
        file_number=row.file_number,
        confirmed=row.confirmed,
        no_show=row.no_show,
        redo=row.redo,
        on_hold=row.on_hold,
        cancelled=row.cancelled,
        participants=[f"clients/{p.client_id}/familyMembers/{p.member_id}" for p in row.participants],
        use_advanced_calendar=row.use_advanced_calendar,
        booked_online=row.booked_online,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
        time_zone=row.time_zone,
    )
    set_date(msg, "session_date", row.local_date)
    set_clock(msg, "start", row.start_minute)
    set_clock(msg, "end", row.end_minute)
    set_date(msg, "status_due_date", row.status_due_date)
    if row.booked_on is not None:
        msg.booked_on.CopyFrom(_ts(row.booked_on))
    if row.reminder_minutes is not None:
        msg.reminder_minutes = row.reminder_minutes
    if row.reminder_emitted_at is not None:
        msg.reminder_emit_time.CopyFrom(_ts(row.reminder_emitted_at))
    for block in row.time_blocks:
        out = msg.time_blocks.add(
            schedules=[f"schedules/{s.schedule_id}" for s in block.schedules],
            location=ref("locations", block.location_id),
        )
        set_date(out, "date", block.local_date)
        set_clock(out, "start", block.start_minute)
        set_clock(out, "end", block.end_minute)
        if block.start_at is not None:
            out.start_time.CopyFrom(_ts(block.start_at))
        if block.end_at is not None:
            out.end_time.CopyFrom(_ts(block.end_at))
    return msg


def _participant(name: str) -> ParticipantRow:
    client_part, _, member = name.removeprefix("clients/").partition("/familyMembers/")
    return ParticipantRow(client_id=client_part, member_id=member)


def write_session(row: SessionRow, msg: pb.Session) -> None:
    """Every field of the message except the ones the row keeps itself (id, company, reminder
    instants, times of creation and update, UTC start and end: the caller sets those)."""
    row.client_id = ref_id(msg.client, "clients")
    row.description = msg.description
    row.notes = msg.notes
    row.type_id = ref_id(msg.session_type, "sessionTypes")
    row.location_id = ref_id(msg.location, "locations")
    row.local_date = date_of(msg, "session_date")
    row.start_minute = minute_of(msg, "start")
    row.end_minute = minute_of(msg, "end")
    row.photographer_id = ref_id(msg.photographer, "schedules")
    row.assistant_id = ref_id(msg.assistant, "schedules")
    row.camera_room_id = ref_id(msg.camera_room, "schedules")
    row.camera_room_text = msg.camera_room_text
    row.session_number = msg.session_number
    row.status_id = ref_id(msg.status, "sessionStatuses")
    row.status_due_date = date_of(msg, "status_due_date")
    row.booked_by = msg.booked_by
    row.booked_on = _instant(msg.booked_on) if msg.HasField("booked_on") else None
    row.file_number = msg.file_number
    row.reminder_minutes = msg.reminder_minutes if msg.HasField("reminder_minutes") else None
    row.confirmed = msg.confirmed
    row.no_show = msg.no_show
    row.redo = msg.redo
    row.on_hold = msg.on_hold
    row.cancelled = msg.cancelled
    row.use_advanced_calendar = msg.use_advanced_calendar
    row.booked_online = msg.booked_online
    row.time_zone = msg.time_zone
    participants = []
    for i, name in enumerate(msg.participants):
        participant = _participant(name)
        participant.position = i
        participants.append(participant)
    row.participants = participants
    blocks = []
    for i, block in enumerate(msg.time_blocks):
        blocks.append(
            TimeBlockRow(
                position=i,
                local_date=date_of(block, "date"),
                start_minute=minute_of(block, "start"),
                end_minute=minute_of(block, "end"),
                location_id=ref_id(block.location, "locations"),
                start_at=_instant(block.start_time) if block.HasField("start_time") else None,
                end_at=_instant(block.end_time) if block.HasField("end_time") else None,
                schedules=[
                    TimeBlockScheduleRow(position=j, schedule_id=ref_id(s, "schedules"))
                    for j, s in enumerate(block.schedules)
                ],
            )
        )
    row.time_blocks = blocks


def appointment_message(row: AppointmentRow) -> pb.Appointment:
    msg = pb.Appointment(
        name=f"appointments/{row.id}",
        appointment_type=ref("appointmentTypes", row.type_id),
        client=ref("clients", row.client_id),
        session=ref("sessions", row.session_id),
        description=row.description,
        location=ref("locations", row.location_id),
        schedules=[f"schedules/{s.schedule_id}" for s in row.schedules],
        start_time=_ts(row.start_at),
        end_time=_ts(row.end_at),
        confirmed=row.confirmed,
        cancelled=row.cancelled,
        booked_by=row.booked_by,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
        time_zone=row.time_zone,
    )
    set_date(msg, "appointment_date", row.local_date)
    set_clock(msg, "start", row.start_minute)
    set_clock(msg, "end", row.end_minute)
    if row.reminder_minutes is not None:
        msg.reminder_minutes = row.reminder_minutes
    return msg


def write_appointment(row: AppointmentRow, msg: pb.Appointment) -> None:
    row.type_id = ref_id(msg.appointment_type, "appointmentTypes")
    row.client_id = ref_id(msg.client, "clients")
    row.session_id = ref_id(msg.session, "sessions")
    row.description = msg.description
    row.location_id = ref_id(msg.location, "locations")
    row.local_date = date_of(msg, "appointment_date")
    row.start_minute = minute_of(msg, "start")
    row.end_minute = minute_of(msg, "end")
    row.schedules = [
        AppointmentScheduleRow(position=i, schedule_id=ref_id(s, "schedules")) for i, s in enumerate(msg.schedules)
    ]
    row.confirmed = msg.confirmed
    row.cancelled = msg.cancelled
    row.reminder_minutes = msg.reminder_minutes if msg.HasField("reminder_minutes") else None
    row.booked_by = msg.booked_by
    row.time_zone = msg.time_zone
