"""Unit tests of the setup resources' conversions (no database): every field of every resource,
read from its message, written to a row, read back and made a message again, is the message
that was written, including the parts that may be absent (a TimeOfDay, a Money, a submessage)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.api import setup_convert
from shutterbook_scheduling.storage import setup_records
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
    ConfigurationMixin,
    LocationRow,
    ScheduleRow,
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


def store(row: ConfigurationMixin, msg: Any) -> None:
    """The message as its domain object, written to the row."""
    setup_records.write(row, setup_convert.resource(msg))


def back(row: ConfigurationMixin) -> Any:
    """The row read as its domain object, as a message."""
    return setup_convert.message(setup_records.read(row))


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
    store(row, msg)
    assert back(row) == msg
    bare = times(pb.Location(name=msg.name, display_name="Bare", time_zone="UTC"))
    store(row, bare)
    assert back(row) == bare  # no address: none comes back


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
    store(row, staff)
    assert back(row) == staff
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
    store(srow, schedule)
    assert back(srow) == schedule


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
    store(row, msg)
    assert back(row) == msg
    msg.ClearField("online")  # no online settings given: none come back
    store(row, msg)
    assert back(row) == msg


def test_a_status_round_trips() -> None:
    msg = times(pb.SessionStatus(name=f"sessionStatuses/{uid()}", display_name="Proofs", due_in_days=14))
    row = configured(SessionStatusRow(), msg)
    store(row, msg)
    assert back(row) == msg


def test_a_type_with_a_marketing_image_but_no_online_settings_reads_its_etag_alone() -> None:
    msg = times(pb.SessionType(name=f"sessionTypes/{uid()}", display_name="T", default_duration_minutes=30))
    row = configured(BookingTypeRow(kind="session"), msg)
    store(row, msg)
    row.online_marketing_image_etag = "abc"
    msg.online.marketing_image_etag = "abc"  # the etag alone: the settings are there, as their defaults
    assert back(row) == msg
    store(row, back(row))  # written back, the settings were given
    assert row.has_online
    assert back(row) == msg
