"""The picture day aggregate at the API edge (api/picture_day_convert.py), pure: domain objects
to messages, without a database or a server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import InvalidArgument
from shutterbook_scheduling import events
from shutterbook_scheduling.adapters.clients_service import listed_client
from shutterbook_scheduling.api import picture_day_convert as convert
from shutterbook_scheduling.api.proto_values import ts
from shutterbook_scheduling.application.picture_day_events import BookingEvent, Change
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.domain.bulk_jobs import BulkTemplate, JobRow
from shutterbook_scheduling.domain.client_selection import ClientSelector
from shutterbook_scheduling.domain.entries import Session, SessionShown
from shutterbook_scheduling.storage.picture_day_repository import session_template

NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)
RECORD = rules.DayRecord("Fall portraits", ClientSelector(group="clientGroups/g1"), None, (), 0)
DAY = rules.PictureDay(
    "d1", "c1", "l1", "America/Chicago", 2, NOW, NOW + timedelta(days=7),
    rules.CloseAction.LEAVE_UNBOOKED, "users/u1", NOW, RECORD,
)  # fmt: skip


def test_a_day_is_its_created_message_with_its_window_and_progress() -> None:
    msg = convert.day_message(rules.day_state(DAY, NOW, [(1, 1), (0, 2)], (1, 4)))
    assert msg.display_name == "Fall portraits"
    assert msg.window == pdpb.PICTURE_DAY_WINDOW_OPEN
    assert msg.progress == pdpb.PictureDayProgress(
        families_booked=1, families_total=2, children_booked=1, children_total=3,
        families_not_booked=1, slots_free=3, slots_total=4,
    )  # fmt: skip


def test_a_days_session_template_is_the_one_it_was_created_with() -> None:
    given = BulkTemplate(
        "locations/l1", "Fall portraits", "sessionTypes/t1", "sessionStatuses/s1", "schedules/p1", "schedules/a1",
        "schedules/r1",
    )  # fmt: skip
    day = replace(DAY, record=replace(RECORD, template=given))
    assert session_template(day) == given
    assert session_template(DAY) == BulkTemplate()


def test_a_created_request_is_answered_as_given() -> None:
    """What the create stored and answered before picture days had columns: the request's day
    without its output-only fields, named, in its zone, with its create time and skipped count."""
    request = pdpb.CreatePictureDayRequest(
        picture_day=pdpb.PictureDay(
            name="ignored",
            display_name="Fall portraits",
            families=bpb.BulkClientSelector(organization="organizations/o1", year=2026),
            template=bpb.BulkSessionTemplate(location="locations/l1", session_type="sessionTypes/t1"),
            time_slot_rows=[
                bpb.TimeSlotRow(
                    start_date=date_pb2.Date(year=2026, month=9, day=10),
                    end_date=date_pb2.Date(year=2026, month=9, day=11),
                    start_time=pb.TimeOfDay(hours=9),
                    end_time=pb.TimeOfDay(hours=11, minutes=30),
                    session_duration_minutes=15,
                    exclude_sundays=True,
                    break_start=pb.TimeOfDay(),
                    break_end=pb.TimeOfDay(minutes=45),
                    minutes_between_sessions=5,
                )
            ],
            siblings_per_slot=2,
            open_time=ts(NOW),
            close_time=ts(NOW + timedelta(days=7)),
            close_action=pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED,
            window=pdpb.PICTURE_DAY_WINDOW_CLOSED,
            skipped_families=9,
        )
    )
    record, snapshot = convert.created_day(request)("d1", "America/Chicago", NOW, 3)
    assert record.rows == (JobRow(date(2026, 9, 10), date(2026, 9, 11), 540, 690, 15, False, True, 0, 45, 5),)
    day = replace(DAY, record=record)
    assert convert.created_message(day) == snapshot
    assert convert.created_message(day).SerializeToString(deterministic=True) == snapshot.SerializeToString(
        deterministic=True
    )


def test_a_family_names_its_children_and_their_bookings() -> None:
    children = (rules.FamilyChild("c", "m", "Ann", "b1"), rules.FamilyChild("c", rules.SELF, "Cal", None))
    msg = convert.family_message(rules.Family("d1", "c", "The Carters", "c@example.com", False, children))
    assert msg.name == "pictureDays/d1/families/c"
    assert [(c.child, c.booking) for c in msg.children] == [
        ("clients/c/familyMembers/m", "pictureDays/d1/bookings/b1"),
        ("clients/c", ""),
    ]
    assert not msg.booked
    assert not msg.has_access_code


def test_a_slot_has_its_local_times_in_the_days_zone() -> None:
    slot = rules.Slot(
        "s1", "d1", datetime(2026, 9, 10, 14, 30, tzinfo=UTC), datetime(2026, 9, 10, 14, 45, tzinfo=UTC), None
    )
    msg = convert.slot_message(slot, ZoneInfo(DAY.time_zone))
    assert msg.name == "pictureDays/d1/slots/s1"
    assert msg.free
    assert (msg.local_start.hours, msg.local_start.minutes, msg.local_end.minutes) == (9, 30, 45)
    assert not convert.slot_message(replace(slot, booking_id="b1"), ZoneInfo(DAY.time_zone)).free


def test_issued_codes_name_each_family_with_its_code() -> None:
    family = rules.Family("d1", "c", "The Carters", "c@example.com", True, ())
    msg = convert.access_codes_response([(family, "secret-code")])
    assert [(c.family, c.client, c.display_name, c.email, c.access_code) for c in msg.access_codes] == [
        ("pictureDays/d1/families/c", "clients/c", "The Carters", "c@example.com", "secret-code")
    ]


BOOKING = rules.Booking("b1", "d1", "c", "s1", ("clients/c/familyMembers/m",), "x1", False, NOW)
SESSION = ev.SessionSnapshot(session="sessions/x1", client="clients/c")
SHOWN = SessionShown(Session(name="sessions/x1", client="clients/c"), None, None)  # what SESSION shows


def test_a_booked_event_names_the_booking_the_day_and_the_children() -> None:
    event = BookingEvent(Change.BOOKED, DAY, BOOKING, ("Ann",), SHOWN, assigned_at_close=True)
    subject, msg = convert.booking_event(event)
    assert subject is events.PICTURE_DAY_BOOKING_BOOKED
    assert msg == ev.PictureDayBookingBookedEvent(
        booking=ev.PictureDayBookingSnapshot(
            booking="pictureDays/d1/bookings/b1", picture_day_display_name="Fall portraits",
            client="clients/c", children_display_names=["Ann"], session=SESSION,
        ),
        assigned_at_close=True,
    )  # fmt: skip


def test_a_rescheduled_event_carries_the_times_before_the_move() -> None:
    before = (NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    subject, msg = convert.booking_event(
        BookingEvent(Change.RESCHEDULED, DAY, BOOKING, ("Ann",), SHOWN, previous=before)
    )
    assert subject is events.PICTURE_DAY_BOOKING_RESCHEDULED
    assert isinstance(msg, ev.PictureDayBookingRescheduledEvent)
    assert (msg.previous_start_time.ToDatetime(UTC), msg.previous_end_time.ToDatetime(UTC)) == before
    assert msg.booking.session == SESSION


def test_a_cancelled_event_is_the_booking_alone() -> None:
    subject, msg = convert.booking_event(BookingEvent(Change.CANCELLED, DAY, BOOKING, ("Ann",), SHOWN))
    assert subject is events.PICTURE_DAY_BOOKING_CANCELLED
    assert isinstance(msg, ev.PictureDayBookingCancelledEvent)
    assert msg.booking.children_display_names == ["Ann"]


def _request(**changes: object) -> pdpb.CreatePictureDayRequest:
    day = pdpb.PictureDay(
        display_name="Fall portraits",
        families=bpb.BulkClientSelector(organization="organizations/6b1e4d1c-3f7a-4c55-9a0e-2d6c1b9f8e21", year=2026),
        time_slot_rows=[
            bpb.TimeSlotRow(
                start_date=date_pb2.Date(year=2026, month=10, day=1),
                end_date=date_pb2.Date(year=2026, month=10, day=1),
                start_time=pb.TimeOfDay(hours=9),
                end_time=pb.TimeOfDay(hours=10),
                session_duration_minutes=15,
            )
        ],
        siblings_per_slot=2,
        close_action=pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING,
        window=pdpb.PICTURE_DAY_WINDOW_OPEN,
    )
    day.open_time.FromDatetime(NOW)
    day.close_time.FromDatetime(NOW + timedelta(days=7))
    for name, value in changes.items():
        setattr(day, name, value)
    return pdpb.CreatePictureDayRequest(picture_day=day, request_id="5f0c8a52-8a4e-4f2b-9a53-0c2e7f1d2a10")


def test_a_create_request_reads_as_the_days_settings_rows_and_families_selection() -> None:
    settings, rows, selection = convert.new_day(_request())
    assert settings == rules.NewDay(2, NOW, NOW + timedelta(days=7), rules.CloseAction.ASSIGN_REMAINING)
    assert len(rows) == 1
    assert selection.organization == "organizations/6b1e4d1c-3f7a-4c55-9a0e-2d6c1b9f8e21"


def test_a_bad_create_request_names_every_bad_field_under_picture_day() -> None:
    request = _request(siblings_per_slot=0, close_action=pdpb.PICTURE_DAY_CLOSE_ACTION_UNSPECIFIED, display_name=" ")
    request.picture_day.close_time.CopyFrom(request.picture_day.open_time)
    request.picture_day.families.CopyFrom(
        bpb.BulkClientSelector(group="clientGroups/g", organization="organizations/o")
    )
    with pytest.raises(InvalidArgument) as err:
        convert.new_day(request)
    assert {v.field for v in err.value.violations} >= {
        "picture_day.display_name", "picture_day.siblings_per_slot", "picture_day.close_time",
        "picture_day.close_action", "picture_day.families",
    }  # fmt: skip


def test_families_are_each_client_once_with_its_member_children() -> None:
    carter = clients_pb2.Client(
        name="clients/c", given_name="Cy", family_name="Carter",
        family_members=[
            clients_pb2.FamilyMember(name="clients/c/familyMembers/m1", given_name="Ann",
                                     relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD),
            clients_pb2.FamilyMember(name="clients/c/familyMembers/m2", given_name="Pat",
                                     relationship=clients_pb2.FAMILY_RELATIONSHIP_SPOUSE),
        ],
    )  # fmt: skip
    baker = clients_pb2.Client(name="clients/b", given_name="Bo", family_name="Baker")
    listed = [listed_client(c) for c in (carter, baker, carter)]  # as the clients service adapter reads them
    assert convert.new_families(listed) == [
        rules.NewFamily("c", "Cy Carter", (rules.Child("m1", "Ann Carter"),)),
        rules.NewFamily("b", "Bo Baker", (rules.Child(rules.SELF, "Bo Baker"),)),
    ]


def test_the_day_as_created_is_the_request_named_in_its_zone_without_output_only_fields() -> None:
    record, snapshot = convert.created_day(_request())("d9", "America/Chicago", NOW, 3)
    settings = convert.new_day(_request())[0]
    day = replace(
        DAY, id="d9", time_zone="America/Chicago", created_at=NOW, record=record,
        siblings_per_slot=settings.siblings_per_slot, open_at=settings.open_at, close_at=settings.close_at,
        close_action=settings.close_action,
    )  # fmt: skip
    msg = convert.created_message(day)
    assert snapshot == msg
    assert (msg.name, msg.time_zone, msg.skipped_families) == ("pictureDays/d9", "America/Chicago", 3)
    assert msg.create_time.ToDatetime(UTC) == NOW
    assert msg.window == pdpb.PICTURE_DAY_WINDOW_UNSPECIFIED
    assert msg.display_name == "Fall portraits"
