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
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.bulk_models import BulkJobRow
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
    LocationRow,
    ScheduleRow,
    SessionStatusRow,
    StaffMemberRow,
)
from shutterbook_scheduling.storage.online_models import TimeSlotRow

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


@pytest.mark.parametrize("appointment", [False, True])
def test_time_slots_keep_their_schedules_in_order(appointment: bool) -> None:
    type_name = f"appointmentTypes/{uid()}" if appointment else f"sessionTypes/{uid()}"
    msg = times(
        opb.TimeSlot(
            name=f"timeSlots/{uid()}",
            location=f"locations/{uid()}",
            session_type="" if appointment else type_name,
            appointment_type=type_name if appointment else "",
            schedules=[f"schedules/{s}" for s in sorted((uid(), uid(), uid()), reverse=True)],
            date=day(2030, 4, 8),
            start=clock(10),
            end=clock(11),
            start_time=stamp(START),
            end_time=stamp(END),
            time_zone="America/New_York",
            published=True,
            minimum_notice_minutes=60,
            maximum_advance_days=30,
        )
    )
    row = configured(TimeSlotRow(), msg)
    row.start_at, row.end_at = START, END
    records.write_slot(row, msg)
    row.schedules = records.slot_schedules(row, [s.removeprefix("schedules/") for s in msg.schedules])
    assert records.slot_base_message(row) == msg


def test_a_bulk_job_round_trips() -> None:
    msg = bpb.BulkJob(
        name=f"bulkJobs/{uid()}",
        template=bpb.BulkSessionTemplate(location=f"locations/{uid()}", description="School day"),
        allow_conflicts=True,
        created_by="staff",
        create_time=stamp(CREATED),
    )
    msg.time_slot_rows.add(
        start_date=day(2030, 5, 6),
        end_date=day(2030, 5, 7),
        start_time=clock(9),
        end_time=clock(10),
        session_duration_minutes=10,
        exclude_saturdays=True,
        break_start=clock(0),
        minutes_between_sessions=2,
    )
    row = BulkJobRow(id=msg.name.split("/")[1], created_by="staff", allow_conflicts=True, created_at=CREATED)
    records.write_job(row, msg)
    assert records.job_base_message(row) == msg
