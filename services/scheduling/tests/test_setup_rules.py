"""Unit tests of the setup resources' rules (domain/setup_rules.py; no database): each rule's
problems by path, in the order the fields are checked, and the references a resource names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from shutterbook_scheduling.domain.setup import (
    AppointmentType,
    ClockTime,
    Location,
    Money,
    OnlineBookingSettings,
    PaymentOption,
    PostalAddress,
    Schedule,
    ScheduleKind,
    SessionStatus,
    SessionType,
    StaffMember,
    StaffRole,
    TimeOff,
    WeeklyHours,
    default_status,
)
from shutterbook_scheduling.domain.setup_rules import Reference, problems, references

ITEM = "priceListItems/0b0e1b33-2b4f-4c1e-9b39-2f43c7a40a8a"
T1 = datetime(2030, 3, 4, 15, tzinfo=UTC)
T2 = datetime(2030, 3, 4, 16, tzinfo=UTC)


def hours(day: int, start: tuple[int, int] | None, end: tuple[int, int] | None) -> WeeklyHours:
    return WeeklyHours(day, None if start is None else ClockTime(*start), None if end is None else ClockTime(*end))


def test_a_good_location_has_no_problems() -> None:
    location = Location(
        display_name="Downtown",
        time_zone="America/New_York",
        address=PostalAddress(region_code="US"),
        studio_hours=(hours(1, (9, 0), (17, 0)),),
    )
    assert problems(location) == {}


def test_a_location_names_each_bad_field() -> None:
    location = Location(
        display_name=" ",
        time_zone="Mars/Olympus",
        address=PostalAddress(region_code="USA"),
        studio_hours=(hours(0, (9, 0), (8, 0)), hours(1, (24, 0), (9, 60))),
        lunch_periods=(hours(2, None, None),),  # not given: midnight to midnight
    )
    assert problems(location) == {
        "display_name": "is required",
        "time_zone": "must be an IANA time zone, for example America/New_York",
        "studio_hours[0].day": "is required",
        "studio_hours[0].end": "must be after start",
        "studio_hours[1].start": "must be hours 0-23 and minutes 0-59",
        "studio_hours[1].end": "must be hours 0-23 and minutes 0-59",
        "lunch_periods[0].end": "must be after start",
        "address.region_code": "must be an ISO 3166-1 alpha-2 code",
    }
    assert problems(replace(location, display_name="x" * 201))["display_name"] == "must be at most 200 characters"


def test_staff_roles_and_email() -> None:
    assert problems(StaffMember(display_name="Ann", roles=(StaffRole.PHOTOGRAPHER,), email="a@b.co")) == {}
    staff = StaffMember(display_name="Ann", roles=(StaffRole.SALES, 0, 99), email="a@b")
    assert problems(staff) == {
        "roles[1]": "must be a known role",
        "roles[2]": "must be a known role",
        "email": "is not an email address",
    }


def test_a_schedule_references_and_time_off() -> None:
    staff = Schedule(display_name="Ann", kind=ScheduleKind.STAFF, staff_member="staffMembers/s", location="locations/l")
    assert references(staff) == [
        Reference("staff_member", "staffMembers/s", "staffMembers", True),
        Reference("location", "locations/l", "locations", True),
    ]
    room = Schedule(display_name="Room", kind=ScheduleKind.RESOURCE, staff_member="staffMembers/s")
    assert [r.path for r in references(room)] == ["location"]
    found = {"location": "is required"}
    bad = replace(room, time_off=(TimeOff(T1, None), TimeOff(T2, T1), TimeOff(T1, T2)))
    assert problems(bad, found) == {
        "staff_member": "only a staff schedule has a staff member",
        "location": "is required",
        "time_off[0]": "needs start_time and end_time",
        "time_off[1].end_time": "must be after start_time",
    }
    unknown = Schedule(display_name="X", kind=7, location="locations/l")
    assert problems(unknown) == {"kind": "must be SCHEDULE_KIND_STAFF or SCHEDULE_KIND_RESOURCE"}


def test_a_reference_problem_comes_back_in_its_place() -> None:
    schedule = Schedule(display_name="", kind=ScheduleKind.STAFF, location="locations/l")
    found = {"staff_member": "staffMembers/x does not exist", "location": "locations/l does not exist"}
    assert list(problems(schedule, found)) == ["display_name", "staff_member", "location"]


def test_type_fields() -> None:
    good = SessionType(display_name="Portrait", default_duration_minutes=60, price_list_items=(ITEM,))
    assert problems(good) == {}
    bad = SessionType(
        display_name="P",
        color="red",
        default_duration_minutes=0,
        buffer_before_minutes=-1,
        buffer_after_minutes=12 * 60 + 1,
        price_list_items=("items/1",),
    )
    assert problems(bad) == {
        "color": "must be #RRGGBB",
        "default_duration_minutes": "must be 1 to 1440",
        "buffer_before_minutes": "must be 0 to 720",
        "buffer_after_minutes": "must be 0 to 720",
        "price_list_items[0]": "must look like priceListItems/{id}",
    }


def test_online_payment_rules() -> None:
    listed = OnlineBookingSettings(payment_option=PaymentOption.INVOICE_LISTED_PRICE)
    base = AppointmentType(display_name="A", default_duration_minutes=30, online=listed, has_online=True)
    assert problems(base) == {
        "online.payment_option": "invoice payment in listed price needs auto_create_invoice",
        "online.payment_amount": "is required for this payment option",
    }
    paid = replace(base, auto_create_invoice=True, online=replace(listed, payment_amount=Money(0, "usd")))
    assert problems(paid) == {
        "online.payment_amount.currency_code": "must be an ISO 4217 code, for example USD",
        "online.payment_amount.amount_minor": "must be positive",
    }
    stray = replace(base, online=OnlineBookingSettings(online_payment=True, payment_amount=Money(5, "USD")))
    assert problems(stray) == {
        "online.payment_amount": "is only used with listed price or customer deposit",
        "online.payment_option": "online payment needs a payment option",
    }
    assert problems(replace(base, online=OnlineBookingSettings(payment_option=9))) == {
        "online.payment_option": "is not a known option"
    }


def test_online_texts_place_and_policy() -> None:
    online = OnlineBookingSettings(
        online_description="d" * 201,
        marketing_description="m" * 5001,
        display_price=Money(-1, "USD"),
        location="locations/l",
        location_text="The park",
        marketing_image_uri="ftp://x",
        online_promotions=("OK", " ", "p" * 101),
        cancellation_policy=3,
    )
    session_type = SessionType(display_name="S", default_duration_minutes=30, online=online)
    assert problems(session_type) == {
        "online.online_description": "must be at most 200 characters",
        "online.marketing_description": "must be at most 5000 characters",
        "online.display_price.amount_minor": "must not be negative",
        "online.location_text": "give a location or free text, not both",
        "online.marketing_image_uri": "must be an http(s) URL",
        "online.online_promotions[1]": "must be 1 to 100 characters",
        "online.online_promotions[2]": "must be 1 to 100 characters",
        "online.cancellation_fee": "is required to keep a fee",
    }
    assert references(session_type) == []  # a location beside free text is not looked up


def test_a_types_references() -> None:
    online = OnlineBookingSettings(booked_online_status="sessionStatuses/b", location="locations/l")
    session_type = SessionType(default_status="sessionStatuses/d", online=online)
    assert [(r.path, r.required) for r in references(session_type)] == [
        ("default_status", False),
        ("online.booked_online_status", False),
        ("online.location", False),
    ]
    found = {"default_status": "sessionStatuses/d does not exist", "online.location": "locations/l does not exist"}
    assert problems(replace(session_type, display_name="S", default_duration_minutes=5), found) == found


def test_statuses() -> None:
    assert problems(default_status("x")) == {}
    assert default_status("x").name == "sessionStatuses/x"
    assert problems(SessionStatus(display_name="Late", due_in_days=3651)) == {"due_in_days": "must be 0 to 3650"}


def test_enums_have_the_contracts_numbers() -> None:
    from shutterbook.scheduling.v1 import scheduling_pb2 as pb

    assert ScheduleKind.STAFF == pb.SCHEDULE_KIND_STAFF
    assert ScheduleKind.RESOURCE == pb.SCHEDULE_KIND_RESOURCE
    assert [int(r) for r in StaffRole] == sorted(pb.StaffRole.values())
    assert [int(o) for o in PaymentOption] == sorted(pb.PaymentOption.values())
