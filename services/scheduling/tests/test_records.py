"""Unit tests of the row <-> message converters (no database): every field of every resource,
written to a row and read back, is the message that was written, including the fields that
may be absent (a TimeOfDay, a Date, a Money, an optional int, a submessage) both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2, money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    LocationRow,
    ScheduleRow,
    SessionRow,
    SessionStatusRow,
    StaffMemberRow,
)

M = TypeVar("M", bound=Any)
R = TypeVar("R", bound=Any)
CREATED = datetime(2026, 11, 30, 9, 15, 1, 123456, tzinfo=UTC)
UPDATED = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
START = datetime(2030, 3, 4, 15, tzinfo=UTC)
END = datetime(2030, 3, 4, 16, 30, tzinfo=UTC)


def uid() -> str:
    return str(uuid.uuid4())


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def day(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


def clock(h: int, m: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=h, minutes=m)


def times(msg: M) -> M:
    msg.create_time.CopyFrom(stamp(CREATED))
    msg.update_time.CopyFrom(stamp(UPDATED))
    return msg


def configured(row: R, msg: Any) -> R:
    row.id = msg.name.split("/")[1]
    row.company_id = "c"
    row.created_at = CREATED
    row.updated_at = UPDATED
    return row


def test_a_location_with_its_address_hours_and_lunch_round_trips() -> None:
    msg = times(
        pb.Location(
            name=f"locations/{uid()}",
            display_name="Downtown",
            time_zone="America/New_York",
            address=pb.PostalAddress(address_lines=["1 Main St", "Suite 2\nback door"], locality="X", region_code="US"),
            studio_hours=[pb.WeeklyHours(day=pb.DAY_OF_WEEK_MONDAY, start=clock(0), end=clock(17, 30))],
            lunch_periods=[pb.WeeklyHours(day=pb.DAY_OF_WEEK_MONDAY, start=clock(12))],  # no end given
        )
    )
    row = configured(LocationRow(), msg)
    records.write_location(row, msg)
    assert records.location_message(row) == msg
    bare = times(pb.Location(name=msg.name, display_name="Bare", time_zone="UTC"))
    records.write_location(row, bare)
    assert records.location_message(row) == bare  # no address: none comes back


def test_staff_and_schedules_round_trip() -> None:
    staff = times(
        pb.StaffMember(
            name=f"staffMembers/{uid()}",
            display_name="John",
            roles=[pb.STAFF_ROLE_SALES, pb.STAFF_ROLE_PHOTOGRAPHER],
            email="j@example.com",
        )
    )
    row = configured(StaffMemberRow(), staff)
    records.write_staff(row, staff)
    assert records.staff_message(row) == staff
    schedule = times(
        pb.Schedule(
            name=f"schedules/{uid()}",
            display_name="John",
            kind=pb.SCHEDULE_KIND_STAFF,
            staff_member=staff.name,
            location=f"locations/{uid()}",
            working_hours=[pb.WeeklyHours(day=pb.DAY_OF_WEEK_FRIDAY, start=clock(8), end=clock(16))],
            time_off=[pb.TimeOff(start_time=stamp(START), end_time=stamp(END), reason="Vacation")],
        )
    )
    srow = configured(ScheduleRow(), schedule)
    records.write_schedule(srow, schedule)
    assert records.schedule_message(srow) == schedule


@pytest.mark.parametrize("kind", ["session", "appointment"])
def test_types_with_every_online_setting_round_trip(kind: str) -> None:
    online = pb.OnlineBookingSettings(
        available_online=True,
        online_description="Online",
        marketing_description="Long\ntext",
        auto_remove_conflicting_slots=True,
        display_price=money_pb2.Money(currency_code="USD", amount_minor=0),  # set, though zero
        online_payment=True,
        payment_option=pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT,
        payment_amount=money_pb2.Money(currency_code="EUR", amount_minor=2500),
        booked_online_status=f"sessionStatuses/{uid()}",
        cancelled_online_status=f"sessionStatuses/{uid()}",
        rescheduled_online_status=f"sessionStatuses/{uid()}",
        location_text="The park",
        marketing_image_uri="https://example.com/a.jpg",
        online_promotions=["SPRING10", "Family Week"],
        cancellation_policy=pb.CANCELLATION_POLICY_KEEP_FEE,
        cancellation_fee=money_pb2.Money(currency_code="EUR", amount_minor=1000),
    )
    common: dict[str, Any] = {
        "display_name": "T",
        "color": "#00AA00",
        "default_duration_minutes": 45,
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "price_list_items": [f"priceListItems/{uid()}", f"priceListItems/{uid()}"],
        "auto_create_invoice": True,
        "online": online,
    }
    msg: Any
    if kind == "session":
        msg = pb.SessionType(name=f"sessionTypes/{uid()}", default_status=f"sessionStatuses/{uid()}", **common)
    else:
        msg = pb.AppointmentType(name=f"appointmentTypes/{uid()}", linked=True, **common)
    times(msg)
    row = configured(BookingTypeRow(kind=kind), msg)
    records.write_type(row, msg)
    assert records.type_message(row) == msg
    msg.ClearField("online")  # no online settings given: none come back
    records.write_type(row, msg)
    assert records.type_message(row) == msg


def test_a_status_round_trips() -> None:
    msg = times(pb.SessionStatus(name=f"sessionStatuses/{uid()}", display_name="Proofs", due_in_days=14))
    row = configured(SessionStatusRow(), msg)
    records.write_status(row, msg)
    assert records.status_message(row) == msg


def _session(**fields: Any) -> pb.Session:
    client = uid()
    msg = pb.Session(
        name=f"sessions/{uid()}",
        client=f"clients/{client}",
        description="Family",
        session_type=f"sessionTypes/{uid()}",
        location=f"locations/{uid()}",
        session_date=day(2030, 3, 4),
        start=clock(10),
        end=clock(11, 30),
        start_time=stamp(START),
        end_time=stamp(END),
        photographer=f"schedules/{uid()}",
        assistant=f"schedules/{uid()}",
        camera_room=f"schedules/{uid()}",
        camera_room_text="",
        session_number="S-1000",
        status=f"sessionStatuses/{uid()}",
        status_due_date=day(2030, 5, 1),
        booked_by="staff",
        booked_on=stamp(CREATED),
        file_number="F-1",
        reminder_minutes=0,  # set, though zero
        confirmed=True,
        no_show=True,
        redo=True,
        participants=[f"clients/{client}/familyMembers/{uid()}", f"clients/{client}/familyMembers/{uid()}"],
        time_zone="America/New_York",
        booked_online=True,
        reminder_emit_time=stamp(UPDATED),
        **fields,
    )
    msg.time_blocks.add(
        date=day(2030, 3, 4),
        start=clock(10),
        end=clock(11, 30),
        schedules=[msg.photographer, msg.camera_room],
        location=msg.location,
        start_time=stamp(START),
        end_time=stamp(END),
    )
    msg.time_blocks.add(date=day(2030, 3, 5), start=clock(0), schedules=[])  # no end, no instants
    return times(msg)


def _session_row(msg: pb.Session) -> SessionRow:
    row = configured(SessionRow(), msg)
    row.start_at, row.end_at = START, END
    emitted = msg.HasField("reminder_emit_time")
    row.reminder_emitted_at = msg.reminder_emit_time.ToDatetime(tzinfo=UTC) if emitted else None
    records.write_session(row, msg)
    return row


def test_a_session_with_every_field_round_trips() -> None:
    msg = _session()
    assert records.session_message(_session_row(msg)) == msg
    for absent in ("end", "status_due_date", "reminder_minutes", "booked_on", "reminder_emit_time"):
        msg.ClearField(absent)
    assert records.session_message(_session_row(msg)) == msg


def test_appointments_linked_and_unlinked_round_trip() -> None:
    linked = times(
        pb.Appointment(
            name=f"appointments/{uid()}",
            appointment_type=f"appointmentTypes/{uid()}",
            client=f"clients/{uid()}",
            session=f"sessions/{uid()}",
            description="Consult",
            location=f"locations/{uid()}",
            appointment_date=day(2030, 3, 1),
            start=clock(16),
            end=clock(16, 30),
            schedules=[f"schedules/{uid()}", f"schedules/{uid()}"],
            start_time=stamp(START),
            end_time=stamp(END),
            confirmed=True,
            cancelled=True,
            reminder_minutes=30,
            booked_by="staff",
            time_zone="UTC",
        )
    )
    unlinked = pb.Appointment()
    unlinked.CopyFrom(linked)
    unlinked.client = unlinked.session = ""
    unlinked.ClearField("reminder_minutes")
    for msg in (linked, unlinked):
        row = configured(AppointmentRow(), msg)
        row.start_at, row.end_at = START, END
        records.write_appointment(row, msg)
        assert records.appointment_message(row) == msg
