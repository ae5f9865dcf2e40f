"""The bulk wizard's requests read at the edge (api/bulk_job_convert.py) and the rules they feed
(domain/bulk_jobs.py, domain/bulk_rows.py), without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_scheduling.api import bulk_job_convert as convert
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain.bulk_jobs import (
    ITEM_PENDING,
    BulkConflict,
    BulkJob,
    BulkJobItem,
    BulkTemplate,
    JobRow,
    SelectedClient,
    Selection,
    Verification,
    job_row,
)

CLIENT_A = "clients/3f0c1f1e-8c1e-4a53-9a53-0a3c7e1d2b11"
CLIENT_B = "clients/5b6a9c2e-1d4f-4e8a-8f1b-2c3d4e5f6a7b"


def a_row(**extra: object) -> bpb.TimeSlotRow:
    out = bpb.TimeSlotRow(
        start_date=date_pb2.Date(year=2026, month=3, day=2),
        end_date=date_pb2.Date(year=2026, month=3, day=3),
        start_time=pb.TimeOfDay(hours=9),
        end_time=pb.TimeOfDay(hours=12),
        session_duration_minutes=30,
    )
    for key, value in extra.items():
        if isinstance(value, pb.TimeOfDay):
            getattr(out, key).CopyFrom(value)
        else:
            setattr(out, key, value)
    return out


def fields(v: Violations) -> list[str]:
    return [item.field for item in v.items]


def test_client_ids_are_read_once_each() -> None:
    v = Violations()
    assert convert.client_ids([CLIENT_A, CLIENT_B], v, required=True) == (CLIENT_A[8:], CLIENT_B[8:])
    assert not v.items
    convert.client_ids([CLIENT_A, "people/1", CLIENT_A], v, required=True)
    assert fields(v) == ["clients[1]", "clients[2]"]
    assert v.items[1].description == f"{CLIENT_A} is listed twice"


def test_clients_are_required_by_a_create_only() -> None:
    v = Violations()
    assert convert.client_ids([], v, required=False) == ()
    assert not v.items
    convert.client_ids([], v, required=True)
    assert [(i.field, i.description) for i in v.items] == [("clients", "at least one client is required")]


def test_wanted_keeps_whether_a_template_was_given() -> None:
    v = Violations()
    given = bpb.BulkSessionTemplate(location="locations/l1", description="Seniors", camera_room="cameraRooms/r")
    new = convert.wanted([CLIENT_A], given, [a_row()], v, clients_required=True, allow_conflicts=True)
    assert not v.items
    assert new.template == BulkTemplate(location="locations/l1", description="Seniors", camera_room="cameraRooms/r")
    assert new.allow_conflicts
    assert new.client_ids == (CLIENT_A[8:],)
    assert new.rows is not None
    assert new.rows[0].start_time == time(9, 0)
    assert convert.wanted([], None, [a_row()], v, clients_required=False).template is None


def test_wanted_with_an_unreadable_row_has_no_rows_and_its_violations() -> None:
    v = Violations()
    new = convert.wanted([], None, [a_row(), a_row(break_start=pb.TimeOfDay(hours=10))], v, clients_required=False)
    assert new.rows is None
    assert fields(v) == ["time_slot_rows[1].break_end"]


def test_check_row_names_the_row() -> None:
    bad = bulk_rows.BulkRow(date(2026, 3, 5), date(2026, 3, 4), time(9), time(12), 30)
    v = Violations()
    assert not bulk_rows.check_row(bad, "time_slot_rows[4]", v)
    assert fields(v) == ["time_slot_rows[4].end_date"]
    good = bulk_rows.BulkRow(date(2026, 3, 4), date(2026, 3, 5), time(9), time(12), 30)
    assert bulk_rows.check_row(good, "time_slot_rows[0]", v)
    assert len(v.items) == 1


def test_a_job_keeps_its_rows_in_minutes() -> None:
    row = bulk_rows.BulkRow(
        date(2026, 3, 2),
        date(2026, 3, 3),
        time(9, 15),
        time(12),
        30,
        exclude_sundays=True,
        break_start=time(10, 30),
        break_end=time(10, 45),
        minutes_between_sessions=5,
    )
    assert job_row(row) == JobRow(
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 3),
        start_minute=555,
        end_minute=720,
        session_duration_minutes=30,
        exclude_sundays=True,
        break_start_minute=630,
        break_end_minute=645,
        minutes_between_sessions=5,
    )
    assert (
        job_row(bulk_rows.BulkRow(date(2026, 3, 2), date(2026, 3, 2), time(9), time(10), 30)).break_start_minute is None
    )


def test_verify_response() -> None:
    start = datetime(2026, 3, 2, 14, tzinfo=UTC)
    found = Verification(
        slot_count=3,
        client_count=4,
        slots_per_row=(2, 1),
        clients_per_row=(2, 1),
        conflicts=(BulkConflict(1, start, "sessions/s1", "schedules/p1"),),
        skipped_nonexistent_slots=1,
    )
    msg = convert.verify_response(found)
    assert not msg.enough_slots
    assert (msg.slot_count, msg.client_count, list(msg.slots_per_row), msg.skipped_nonexistent_slots) == (
        3,
        4,
        [2, 1],
        1,
    )
    conflict = msg.conflicts[0]
    assert (conflict.slot_index, conflict.entry, conflict.schedule) == (1, "sessions/s1", "schedules/p1")
    assert conflict.slot_start_time.ToDatetime(tzinfo=UTC) == start
    assert convert.verify_response(Verification(2, 2, (2,), (2,), (), 0)).enough_slots


def test_selection_response() -> None:
    found = Selection(
        clients=(SelectedClient(CLIENT_A, "Ada Lovelace"),),
        not_known_clients=(SelectedClient(CLIENT_B, "The Babbages"),),
        excluded_with_future_session=2,
    )
    msg = convert.selection_response(found)
    assert [(c.client, c.display_name) for c in msg.clients] == [(CLIENT_A, "Ada Lovelace")]
    assert [(c.client, c.display_name) for c in msg.not_known_clients] == [(CLIENT_B, "The Babbages")]
    assert msg.excluded_with_future_session == 2


def item_request_before(job: BulkJob, item: BulkJobItem, zone: ZoneInfo) -> pb.CreateSessionRequest:
    """An item's CreateSession request as bulk scheduling built it before it booked domain
    sessions (application/bulk_jobs.session_request of the time): the reference its replays'
    idempotency records were kept under."""
    start, end = item.start.astimezone(zone), item.end.astimezone(zone)
    template = job.template or BulkTemplate()
    fields = ("location", "description", "session_type", "status", "photographer", "assistant", "camera_room")
    session = pb.Session(
        client=f"clients/{item.client_id}",
        **{name: getattr(template, name) for name in fields},
        session_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
        start=pb.TimeOfDay(hours=start.hour, minutes=start.minute),
        end=pb.TimeOfDay(hours=end.hour, minutes=end.minute),
    )
    return pb.CreateSessionRequest(
        session=session, request_id=f"bulk-{job.id}-{item.client_id}", allow_conflicts=job.allow_conflicts
    )


def test_an_items_booking_request_is_the_same_bytes_as_before() -> None:
    """A job started before a restart replays its items under the same idempotency records: the
    request an item's booking is kept under has not changed by a byte."""
    zone = ZoneInfo("America/Toronto")
    full = BulkTemplate(
        location="locations/l1",
        description="Grad",
        session_type="sessionTypes/t1",
        status="sessionStatuses/s1",
        photographer="schedules/p1",
        assistant="schedules/a1",
        camera_room="schedules/r1",
    )
    created = datetime(2026, 1, 1, tzinfo=UTC)
    items = (
        BulkJobItem(
            0,
            "c1",
            datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
            datetime(2026, 3, 2, 15, tzinfo=UTC),
            ITEM_PENDING,
            None,
            "",
        ),
        # midnight local (a TimeOfDay all zero, still given)
        BulkJobItem(
            1,
            "c2",
            datetime(2026, 3, 3, 5, tzinfo=UTC),
            datetime(2026, 3, 3, 5, 20, tzinfo=UTC),
            ITEM_PENDING,
            None,
            "",
        ),
    )
    for template, allow in ((full, False), (BulkTemplate(location="locations/l1"), True), (None, False)):
        job = BulkJob("j1", template, (), allow, "users/u1", created)
        for item in items:
            session = bulk_jobs.item_session(job, item, zone)
            request = convert.item_request(session, bulk_jobs.item_request_id(job, item), job.allow_conflicts)
            before = item_request_before(job, item, zone)
            assert request == before
            assert request.SerializeToString(deterministic=True) == before.SerializeToString(deterministic=True)
