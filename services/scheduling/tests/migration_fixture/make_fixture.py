"""Make the scheduling migration fixture: a database at revision `REVISION` filled through the
real RPCs, dumped as rows (`rows.json`) and as the answers of every read RPC (`golden.json`).

Run with the code of that revision (it was run once, at revision 0005, and its output is
committed; `tests/integration/test_scheduling_migration.py` loads the rows into a database at
that revision, upgrades it to head and checks every read answers exactly the golden JSON):

    .venv/bin/python -m services.scheduling.tests.migration_fixture.make_fixture

Times are chosen so the answers do not depend on when the test runs: bookings are in 2030,
the one live hold is moved to expire in 2099 and one hold is moved into the past (both
directly in the database, before the answers are taken).
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import sqlalchemy as sa
from google.protobuf import field_mask_pb2
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2, money_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import bulk_pb2_grpc, online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.testing import company_metadata, running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.migrations import upgrade
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.settings import SchedulingSettings

REVISION = "0005"
HERE = Path(__file__).parent
COMPANY = "0b7e6f3a-7777-4c4c-8c8c-00000000000c"
OTHER_COMPANY = "0b7e6f3a-8888-4d4d-8d8d-00000000000d"
META = company_metadata(COMPANY)
OTHER = company_metadata(OTHER_COMPANY)
NOT_LISTENING = "nats://127.0.0.1:1"


def d(y: int, m: int, day: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=day)


def t(h: int, m: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=h, minutes=m)


def wh(day: pb.DayOfWeek.ValueType, start: tuple[int, int], end: tuple[int, int]) -> pb.WeeklyHours:
    return pb.WeeklyHours(day=day, start=t(*start), end=t(*end))


def usd(minor: int) -> money_pb2.Money:
    return money_pb2.Money(amount_minor=minor, currency_code="USD")


def rid() -> str:
    return str(uuid.uuid4())


def stamp(value: datetime) -> Any:
    from google.protobuf import timestamp_pb2

    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def client(given: str, members: list[str]) -> clients_pb2.Client:
    client_id = str(uuid.uuid4())
    out = clients_pb2.Client(
        name=f"clients/{client_id}", given_name=given, family_name="Fixture", emails=[f"{given.lower()}@example.com"]
    )
    out.update_time.FromDatetime(datetime(2026, 11, 1, 12, tzinfo=UTC))
    out.create_time.FromDatetime(datetime(2026, 11, 1, 12, tzinfo=UTC))
    for member in members:
        out.family_members.add(
            name=f"clients/{client_id}/familyMembers/{uuid.uuid4()}",
            given_name=member,
            relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD,
        )
    return out


async def fill(s: Any, o: Any, b: Any) -> dict[str, Any]:
    """Everything through the real RPCs; returns the names the reads will ask for."""
    names: dict[str, Any] = {}
    ann = await s.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client("Ann", ["Tim", "Tia"])), metadata=META)
    bob = await s.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client("Bob", [])), metadata=META)
    cid = await s.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client("Cid", ["Cal"])), metadata=META)
    dee = await s.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client("Dee", [])), metadata=META)
    other = await s.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client("Other", [])), metadata=OTHER)
    names["clients"] = [ann.client, bob.client, cid.client, dee.client]
    names["known"] = [ann.name, bob.name, cid.name, dee.name]

    downtown = await s.CreateLocation(
        pb.CreateLocationRequest(
            location=pb.Location(
                display_name="Downtown Studio",
                time_zone="America/New_York",
                address=pb.PostalAddress(
                    address_lines=["1 Main St", "Suite 2"],
                    locality="Springfield",
                    administrative_area="NY",
                    postal_code="10001",
                    region_code="US",
                ),
                studio_hours=[
                    wh(pb.DAY_OF_WEEK_MONDAY, (9, 0), (17, 0)),
                    wh(pb.DAY_OF_WEEK_TUESDAY, (9, 30), (18, 0)),
                    wh(pb.DAY_OF_WEEK_SATURDAY, (10, 0), (14, 0)),
                ],
                lunch_periods=[
                    wh(pb.DAY_OF_WEEK_MONDAY, (12, 0), (12, 30)),
                    wh(pb.DAY_OF_WEEK_TUESDAY, (13, 0), (14, 0)),
                ],
            ),
            request_id=rid(),
        ),
        metadata=META,
    )
    uptown = await s.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Uptown Studio", time_zone="Europe/Berlin")),
        metadata=META,
    )
    other_location = await s.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Elsewhere", time_zone="UTC")), metadata=OTHER
    )
    names["locations"] = [downtown.name, uptown.name]
    names["other_locations"] = [other_location.name]

    async def staff(person: str, roles: list[Any], email: str = "") -> pb.StaffMember:
        msg = await s.CreateStaffMember(
            pb.CreateStaffMemberRequest(staff_member=pb.StaffMember(display_name=person, roles=roles, email=email)),
            metadata=META,
        )
        return msg  # type: ignore[no-any-return]

    john = await staff("John Doe", [pb.STAFF_ROLE_PHOTOGRAPHER, pb.STAFF_ROLE_VIDEOGRAPHER], "john@example.com")
    mary = await staff("Mary Smith", [pb.STAFF_ROLE_ASSISTANT])
    kate = await staff("Kate Jones", [pb.STAFF_ROLE_PHOTOGRAPHER, pb.STAFF_ROLE_SALES], "kate@example.com")
    names["staff"] = [john.name, mary.name, kate.name]

    async def schedule(msg: pb.Schedule) -> pb.Schedule:
        return await s.CreateSchedule(pb.CreateScheduleRequest(schedule=msg), metadata=META)  # type: ignore[no-any-return]

    photographer = await schedule(
        pb.Schedule(
            display_name="John Doe",
            kind=pb.SCHEDULE_KIND_STAFF,
            staff_member=john.name,
            location=downtown.name,
            working_hours=[wh(pb.DAY_OF_WEEK_MONDAY, (8, 0), (16, 0)), wh(pb.DAY_OF_WEEK_FRIDAY, (10, 0), (20, 0))],
            time_off=[
                pb.TimeOff(
                    start_time=stamp(datetime(2030, 3, 20, 13, tzinfo=UTC)),
                    end_time=stamp(datetime(2030, 3, 22, 13, tzinfo=UTC)),
                    reason="Vacation",
                ),
                pb.TimeOff(
                    start_time=stamp(datetime(2030, 4, 1, 13, tzinfo=UTC)),
                    end_time=stamp(datetime(2030, 4, 1, 15, 30, tzinfo=UTC)),
                ),
            ],
        )
    )
    assistant = await schedule(
        pb.Schedule(
            display_name="Mary Smith", kind=pb.SCHEDULE_KIND_STAFF, staff_member=mary.name, location=downtown.name
        )
    )
    second = await schedule(
        pb.Schedule(
            display_name="Kate Jones",
            kind=pb.SCHEDULE_KIND_STAFF,
            staff_member=kate.name,
            location=downtown.name,
            working_hours=[wh(pb.DAY_OF_WEEK_SATURDAY, (9, 0), (13, 0))],
        )
    )
    room = await schedule(
        pb.Schedule(display_name="Camera room", kind=pb.SCHEDULE_KIND_RESOURCE, location=downtown.name)
    )
    hall = await schedule(pb.Schedule(display_name="Hall", kind=pb.SCHEDULE_KIND_RESOURCE, location=uptown.name))
    names["schedules"] = [photographer.name, assistant.name, second.name, room.name, hall.name]

    async def status(name: str, due: int, default: bool = False) -> pb.SessionStatus:
        return await s.CreateSessionStatus(  # type: ignore[no-any-return]
            pb.CreateSessionStatusRequest(
                session_status=pb.SessionStatus(display_name=name, due_in_days=due, is_default=default)
            ),
            metadata=META,
        )

    booked_online = await status("Booked - Online", 3)
    cancelled_online = await status("Cancelled - Online", 0)
    rescheduled_online = await status("Rescheduled - Online", 2)
    proofs = await status("Proofs Ready", 14)
    statuses = await s.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=META)
    names["statuses"] = [x.name for x in statuses.session_statuses]

    family = await s.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Family Portrait",
                color="#4A90D9",
                default_duration_minutes=60,
                buffer_before_minutes=15,
                buffer_after_minutes=10,
                default_status=proofs.name,
                price_list_items=[f"priceListItems/{uuid.uuid4()}", f"priceListItems/{uuid.uuid4()}"],
                auto_create_invoice=True,
                online=pb.OnlineBookingSettings(
                    available_online=True,
                    online_description="Family portrait (1 hour)",
                    marketing_description="Everyone together, in our big studio.\nBring a smile.",
                    auto_remove_conflicting_slots=True,
                    display_price=usd(15000),
                    online_payment=True,
                    payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
                    payment_amount=usd(5000),
                    booked_online_status=booked_online.name,
                    cancelled_online_status=cancelled_online.name,
                    rescheduled_online_status=rescheduled_online.name,
                    location=downtown.name,
                    marketing_image_uri="https://example.com/family.jpg",
                    online_promotions=["SPRING10", "Family Week"],
                ),
            ),
            request_id=rid(),
        ),
        metadata=META,
    )
    mini = await s.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Mini Session",
                color="#00AA00",
                default_duration_minutes=20,
                online=pb.OnlineBookingSettings(
                    available_online=True,
                    payment_option=pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT,
                    online_payment=True,
                    payment_amount=usd(2500),
                    location_text="The park by the river",
                ),
            )
        ),
        metadata=META,
    )
    school = await s.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(display_name="School Picture", default_duration_minutes=10)
        ),
        metadata=META,
    )
    names["session_types"] = [family.name, mini.name, school.name]
    consult = await s.CreateAppointmentType(
        pb.CreateAppointmentTypeRequest(
            appointment_type=pb.AppointmentType(
                display_name="Consultation",
                color="#E67E22",
                default_duration_minutes=30,
                buffer_before_minutes=5,
                buffer_after_minutes=5,
                price_list_items=[f"priceListItems/{uuid.uuid4()}"],
                auto_create_invoice=True,
                linked=True,
                online=pb.OnlineBookingSettings(
                    available_online=True,
                    online_description="Talk it through",
                    auto_remove_conflicting_slots=True,
                    display_price=usd(0),
                    payment_option=pb.PAYMENT_OPTION_NONE,
                ),
            )
        ),
        metadata=META,
    )
    meeting = await s.CreateAppointmentType(
        pb.CreateAppointmentTypeRequest(
            appointment_type=pb.AppointmentType(display_name="Staff Meeting", default_duration_minutes=45)
        ),
        metadata=META,
    )
    names["appointment_types"] = [consult.name, meeting.name]
    await s.UpdateSchedulingPreferences(
        pb.UpdateSchedulingPreferencesRequest(
            scheduling_preferences=pb.SchedulingPreferences(next_session_number=2000, session_number_prefix="S-"),
        ),
        metadata=META,
    )

    sessions: list[pb.Session] = []

    async def book(msg: pb.Session, *, allow: bool = False) -> pb.Session:
        out = await s.CreateSession(
            pb.CreateSessionRequest(session=msg, allow_conflicts=allow, request_id=rid()), metadata=META
        )
        sessions.append(out)
        return out  # type: ignore[no-any-return]

    full = await book(
        pb.Session(
            client=ann.client,
            description="Ann's family portrait",
            session_type=family.name,
            location=downtown.name,
            session_date=d(2030, 3, 4),
            start=t(10, 0),
            end=t(11, 30),
            photographer=photographer.name,
            assistant=assistant.name,
            camera_room=room.name,
            file_number="F-77",
            reminder_minutes=90,
            confirmed=True,
            participants=[m.name for m in ann.family_members],
        )
    )
    await s.UpdateSession(
        pb.UpdateSessionRequest(
            session=pb.Session(name=full.name, no_show=True, redo=True, status_due_date=d(2030, 5, 1)),
            update_mask=field_mask_pb2.FieldMask(paths=["no_show", "redo", "status_due_date"]),
        ),
        metadata=META,
    )
    await book(
        pb.Session(
            client=bob.client,
            description="Bob outdoors",
            session_type=mini.name,
            location=downtown.name,
            session_date=d(2030, 3, 4),
            start=t(14, 0),
            photographer=second.name,
            camera_room_text="The park",
            session_number="CUSTOM-1",
            status=booked_online.name,
        )
    )
    advanced = await book(
        pb.Session(
            client=cid.client,
            description="Wedding day",
            session_type=family.name,
            location=downtown.name,
            use_advanced_calendar=True,
            participants=[cid.family_members[0].name],
            time_blocks=[
                pb.TimeBlock(date=d(2030, 3, 5), start=t(9, 0), end=t(10, 0), schedules=[photographer.name, room.name]),
                pb.TimeBlock(date=d(2030, 3, 5), start=t(13, 0), end=t(15, 0), schedules=[assistant.name, second.name]),
                pb.TimeBlock(date=d(2030, 3, 6), start=t(18, 0), schedules=[hall.name], location=uptown.name),
            ],
            reminder_minutes=0,
        )
    )
    on_hold = await book(
        pb.Session(
            client=bob.client,
            description="Maybe later",
            session_type=school.name,
            location=downtown.name,
            session_date=d(2030, 3, 7),
            start=t(9, 0),
            photographer=photographer.name,
        )
    )
    await s.HoldSession(pb.HoldSessionRequest(name=on_hold.name, on_hold=True, request_id=rid()), metadata=META)
    cancelled = await book(
        pb.Session(
            client=dee.client,
            description="Called off",
            session_type=family.name,
            location=downtown.name,
            session_date=d(2030, 3, 7),
            start=t(11, 0),
            photographer=photographer.name,
        )
    )
    await s.CancelSession(pb.CancelSessionRequest(name=cancelled.name, request_id=rid()), metadata=META)
    moved = await book(
        pb.Session(
            client=dee.client,
            description="Moved",
            session_type=mini.name,
            location=downtown.name,
            session_date=d(2030, 3, 8),
            start=t(9, 0),
            photographer=second.name,
        )
    )
    await s.RescheduleSession(
        pb.RescheduleSessionRequest(name=moved.name, session_date=d(2030, 3, 9), start=t(10, 15), request_id=rid()),
        metadata=META,
    )
    await book(  # over the vacation: allowed explicitly
        pb.Session(
            client=ann.client,
            description="Over time off",
            session_type=school.name,
            location=downtown.name,
            session_date=d(2030, 3, 20),
            start=t(10, 0),
            photographer=photographer.name,
        ),
        allow=True,
    )
    # A session starting in a few minutes with its reminder already due: the worker emits it.
    soon_local = (datetime.now(UTC) + timedelta(minutes=20)).astimezone(ZoneInfo("America/New_York"))
    reminded = await book(
        pb.Session(
            client=cid.client,
            description="Reminded",
            session_type=school.name,
            location=downtown.name,
            session_date=d(soon_local.year, soon_local.month, soon_local.day),
            start=t(soon_local.hour, soon_local.minute),
            photographer=assistant.name,
            reminder_minutes=60,
        )
    )
    for _ in range(100):
        got = await s.GetSession(pb.GetSessionRequest(name=reminded.name), metadata=META)
        if got.HasField("reminder_emit_time"):
            break
        await asyncio.sleep(0.1)
    else:
        raise SystemExit("the reminder was not emitted")
    names["reminded_day"] = {"year": soon_local.year, "month": soon_local.month, "day": soon_local.day}
    await s.CreateSession(
        pb.CreateSessionRequest(
            session=pb.Session(
                client=other.client,
                session_type=(
                    await s.CreateSessionType(
                        pb.CreateSessionTypeRequest(
                            session_type=pb.SessionType(display_name="Other", default_duration_minutes=30)
                        ),
                        metadata=OTHER,
                    )
                ).name,
                location=other_location.name,
                session_date=d(2030, 3, 4),
                start=t(10, 0),
            )
        ),
        metadata=OTHER,
    )

    # appointments: linked to a session, linked to a client only, unlinked, cancelled, moved
    appointments = []
    for msg in (
        pb.Appointment(
            appointment_type=consult.name,
            client=ann.client,
            session=full.name,
            description="Pre-session consult",
            location=downtown.name,
            appointment_date=d(2030, 3, 1),
            start=t(16, 0),
            schedules=[second.name, room.name],
            confirmed=True,
            reminder_minutes=30,
        ),
        pb.Appointment(
            appointment_type=consult.name,
            client=bob.client,
            description="Bob's consult",
            location=downtown.name,
            appointment_date=d(2030, 3, 2),
            start=t(10, 0),
            end=t(11, 0),
            schedules=[photographer.name],
        ),
        pb.Appointment(
            appointment_type=meeting.name,
            description="Team meeting",
            location=downtown.name,
            appointment_date=d(2030, 3, 4),
            start=t(8, 0),
            schedules=[photographer.name, assistant.name, second.name],
        ),
        pb.Appointment(
            appointment_type=meeting.name,
            description="Cancelled meeting",
            location=uptown.name,
            appointment_date=d(2030, 3, 6),
            start=t(9, 0),
            schedules=[hall.name],
        ),
    ):
        appointments.append(
            await s.CreateAppointment(pb.CreateAppointmentRequest(appointment=msg, request_id=rid()), metadata=META)
        )
    await s.CancelAppointment(pb.CancelAppointmentRequest(name=appointments[3].name, request_id=rid()), metadata=META)
    await s.RescheduleAppointment(
        pb.RescheduleAppointmentRequest(
            name=appointments[1].name, appointment_date=d(2030, 3, 2), start=t(12, 0), request_id=rid()
        ),
        metadata=META,
    )
    await s.UpdateAppointment(
        pb.UpdateAppointmentRequest(
            appointment=pb.Appointment(name=appointments[1].name, description="Bob's consult (moved)", confirmed=True),
            update_mask=field_mask_pb2.FieldMask(paths=["description", "confirmed"]),
        ),
        metadata=META,
    )

    # online slots: booked, auto-removed, held, expired hold, released, cancelled online, plain open
    def slot(when: date_pb2.Date, start: tuple[int, int], end: tuple[int, int], schedules: list[str], **kw: Any) -> Any:
        msg = opb.TimeSlot(
            location=downtown.name,
            session_type=family.name,
            schedules=schedules,
            date=when,
            start=t(*start),
            end=t(*end),
            published=True,
        )
        for key, value in kw.items():
            setattr(msg, key, value)
        return msg

    async def create(msg: Any) -> opb.TimeSlot:
        return await o.CreateTimeSlot(opb.CreateTimeSlotRequest(time_slot=msg, request_id=rid()), metadata=META)  # type: ignore[no-any-return]

    to_book = await create(slot(d(2030, 4, 8), (10, 0), (11, 0), [photographer.name, assistant.name, room.name]))
    overlapping = await create(slot(d(2030, 4, 8), (10, 30), (11, 30), [photographer.name], minimum_notice_minutes=60))
    await create(slot(d(2030, 4, 8), (13, 0), (14, 0), [photographer.name], maximum_advance_days=30))
    to_hold = await create(slot(d(2030, 4, 9), (10, 0), (11, 0), [second.name]))
    to_expire = await create(slot(d(2030, 4, 9), (12, 0), (13, 0), [second.name]))
    released = await create(slot(d(2030, 4, 9), (14, 0), (15, 0), [second.name]))
    await create(slot(d(2030, 4, 10), (9, 0), (10, 0), [photographer.name], published=False))
    to_cancel = await create(slot(d(2030, 4, 10), (11, 0), (12, 0), [second.name]))
    generated = await o.GenerateTimeSlots(
        opb.GenerateTimeSlotsRequest(
            template=slot(d(2030, 4, 15), (0, 0), (0, 0), [assistant.name], minimum_notice_minutes=120),
            rows=[
                opb.TimeSlotPatternRow(
                    start_date=d(2030, 4, 15),
                    end_date=d(2030, 4, 16),
                    start_time=t(9, 0),
                    end_time=t(12, 0),
                    slot_minutes=45,
                    gap_minutes=15,
                    breaks=[opb.TimeSlotBreak(start=t(10, 0), end=t(10, 30))],
                )
            ],
            request_id=rid(),
        ),
        metadata=META,
    )
    appointment_slot = slot(d(2030, 4, 11), (10, 0), (10, 30), [photographer.name])
    appointment_slot.session_type = ""
    appointment_slot.appointment_type = consult.name
    consult_slot = await create(appointment_slot)
    appointment_slot2 = slot(d(2030, 4, 11), (11, 0), (11, 30), [photographer.name])
    appointment_slot2.session_type = ""
    appointment_slot2.appointment_type = consult.name
    await create(appointment_slot2)

    hold = await o.HoldSlot(
        opb.HoldSlotRequest(time_slot=to_book.name, client=ann.client, request_id=rid()), metadata=META
    )
    booked = await o.BookOnline(
        opb.BookOnlineRequest(
            hold=hold.name,
            client=ann.client,
            participants=[ann.family_members[1].name],
            description="Booked online",
            request_id=rid(),
            session_id=str(uuid.uuid4()),
        ),
        metadata=META,
    )
    live = await o.HoldSlot(
        opb.HoldSlotRequest(time_slot=to_hold.name, client=bob.client, request_id=rid()), metadata=META
    )
    expiring = await o.HoldSlot(
        opb.HoldSlotRequest(time_slot=to_expire.name, client=cid.client, request_id=rid()), metadata=META
    )
    gone = await o.HoldSlot(
        opb.HoldSlotRequest(time_slot=released.name, client=dee.client, request_id=rid()), metadata=META
    )
    await o.ReleaseHold(opb.ReleaseHoldRequest(name=gone.name, request_id=rid()), metadata=META)
    cancel_hold = await o.HoldSlot(
        opb.HoldSlotRequest(time_slot=to_cancel.name, client=dee.client, request_id=rid()), metadata=META
    )
    to_be_cancelled = await o.BookOnline(
        opb.BookOnlineRequest(hold=cancel_hold.name, client=dee.client, request_id=rid()), metadata=META
    )
    await o.CancelOnlineBooking(
        opb.CancelOnlineBookingRequest(session=to_be_cancelled.name, request_id=rid()), metadata=META
    )
    online_appointment = await o.BookAppointmentOnline(
        opb.BookAppointmentOnlineRequest(
            time_slot=consult_slot.name, client=bob.client, description="Online consult", request_id=rid()
        ),
        metadata=META,
    )
    names["sessions"] = [x.name for x in sessions] + [booked.name, to_be_cancelled.name]
    names["appointments"] = [x.name for x in appointments] + [online_appointment.name]
    names["slots"] = [to_book.name, overlapping.name, to_hold.name, to_expire.name, released.name, to_cancel.name]
    names["slots"] += [x.name for x in generated.time_slots] + [consult_slot.name]
    names["live_hold"] = live.name
    names["expired_hold"] = expiring.name
    names["advanced"] = advanced.name

    job = await b.CreateBulkJob(
        bpb.CreateBulkJobRequest(
            bulk_job=bpb.BulkJob(
                template=bpb.BulkSessionTemplate(
                    location=downtown.name,
                    description="School day",
                    session_type=school.name,
                    status=proofs.name,
                    photographer=second.name,
                    assistant=assistant.name,
                    camera_room=room.name,
                ),
                time_slot_rows=[
                    bpb.TimeSlotRow(
                        start_date=d(2030, 5, 6),
                        end_date=d(2030, 5, 7),
                        start_time=t(9, 0),
                        end_time=t(10, 0),
                        session_duration_minutes=10,
                        exclude_saturdays=True,
                        exclude_sundays=True,
                        break_start=t(9, 20),
                        break_end=t(9, 30),
                        minutes_between_sessions=2,
                    )
                ],
                allow_conflicts=True,
            ),
            clients=[ann.client, bob.client, dee.client],
            request_id=rid(),
        ),
        metadata=META,
    )
    for _ in range(300):
        job = await b.GetBulkJob(bpb.GetBulkJobRequest(name=job.name), metadata=META)
        if job.state == bpb.BULK_JOB_STATE_SUCCEEDED:
            break
        await asyncio.sleep(0.1)
    else:
        raise SystemExit("the bulk job did not finish")
    names["bulk_job"] = job.name
    return names


# --- reads -----------------------------------------------------------------------------------


def read_plan(names: dict[str, Any]) -> list[tuple[str, str, Message, tuple[tuple[str, str], ...]]]:
    """(service, method, request, metadata) of every read the golden answers record."""
    plan: list[tuple[str, str, Message, tuple[tuple[str, str], ...]]] = []
    add = plan.append
    for name in names["known"]:
        add(("s", "GetKnownClient", pb.GetKnownClientRequest(name=name), META))
    add(("s", "ListKnownClients", pb.ListKnownClientsRequest(page_size=1000), META))
    for collection, get, get_req, lister, list_req in (
        ("locations", "GetLocation", pb.GetLocationRequest, "ListLocations", pb.ListLocationsRequest),
        ("staff", "GetStaffMember", pb.GetStaffMemberRequest, "ListStaffMembers", pb.ListStaffMembersRequest),
        ("schedules", "GetSchedule", pb.GetScheduleRequest, "ListSchedules", pb.ListSchedulesRequest),
        ("session_types", "GetSessionType", pb.GetSessionTypeRequest, "ListSessionTypes", pb.ListSessionTypesRequest),
        (
            "appointment_types",
            "GetAppointmentType",
            pb.GetAppointmentTypeRequest,
            "ListAppointmentTypes",
            pb.ListAppointmentTypesRequest,
        ),
        (
            "statuses",
            "GetSessionStatus",
            pb.GetSessionStatusRequest,
            "ListSessionStatuses",
            pb.ListSessionStatusesRequest,
        ),
    ):
        for name in names[collection]:
            add(("s", get, get_req(name=name), META))
        add(("s", lister, list_req(page_size=1000), META))
        add(("s", lister, list_req(page_size=2), META))
    add(("s", "ListLocations", pb.ListLocationsRequest(), OTHER))
    for location in names["locations"]:
        add(("s", "ListSchedules", pb.ListSchedulesRequest(location=location), META))
    add(("s", "GetSchedulingPreferences", pb.GetSchedulingPreferencesRequest(name="schedulingPreferences"), META))
    add(("s", "GetSchedulingPreferences", pb.GetSchedulingPreferencesRequest(name="schedulingPreferences"), OTHER))
    for name in names["sessions"]:
        add(("s", "GetSession", pb.GetSessionRequest(name=name), META))
    add(("s", "ListSessions", pb.ListSessionsRequest(page_size=1000), META))
    add(("s", "ListSessions", pb.ListSessionsRequest(page_size=3), META))
    add(("s", "ListSessions", pb.ListSessionsRequest(), OTHER))
    for client_name in names["clients"]:
        add(("s", "ListSessions", pb.ListSessionsRequest(client=client_name), META))
        add(("s", "ListAppointments", pb.ListAppointmentsRequest(client=client_name), META))
    for location in names["locations"]:
        add(("s", "ListSessions", pb.ListSessionsRequest(location=location), META))
        add(("s", "ListAppointments", pb.ListAppointmentsRequest(location=location), META))
    ranged = pb.ListSessionsRequest()
    ranged.start_time.FromDatetime(datetime(2030, 3, 4, 15, tzinfo=UTC))
    ranged.end_time.FromDatetime(datetime(2030, 3, 10, tzinfo=UTC))
    add(("s", "ListSessions", ranged, META))
    for name in names["appointments"]:
        add(("s", "GetAppointment", pb.GetAppointmentRequest(name=name), META))
    add(("s", "ListAppointments", pb.ListAppointmentsRequest(page_size=1000), META))
    add(("s", "ListAppointments", pb.ListAppointmentsRequest(page_size=2), META))
    for name in names["sessions"]:
        add(("s", "ListAppointments", pb.ListAppointmentsRequest(session=name), META))
    downtown, uptown = names["locations"]
    for first, last in ((d(2030, 3, 1), d(2030, 3, 31)), (d(2030, 4, 1), d(2030, 5, 31))):
        add(("s", "QueryCalendar", pb.QueryCalendarRequest(location=downtown, start_date=first, end_date=last), META))
    add(
        (
            "s",
            "QueryCalendar",
            pb.QueryCalendarRequest(
                location=downtown, schedules=names["schedules"][:1], start_date=d(2030, 3, 1), end_date=d(2030, 3, 31)
            ),
            META,
        )
    )
    add(
        (
            "s",
            "QueryCalendar",
            pb.QueryCalendarRequest(location=uptown, start_date=d(2030, 3, 1), end_date=d(2030, 3, 31)),
            META,
        )
    )
    r = names["reminded_day"]
    reminded = d(r["year"], r["month"], r["day"])
    add(
        ("s", "QueryCalendar", pb.QueryCalendarRequest(location=downtown, start_date=reminded, end_date=reminded), META)
    )
    for schedule in names["schedules"]:
        export = pb.ExportScheduleCalendarRequest(name=schedule)
        export.start_time.FromDatetime(datetime(2026, 1, 1, tzinfo=UTC))
        export.end_time.FromDatetime(datetime(2031, 1, 1, tzinfo=UTC))
        add(("s", "ExportScheduleCalendar", export, META))
    # conflicts, as a booking over busy time reports them (nothing is written)
    probe = pb.Session(
        client=names["clients"][1],
        session_type=names["session_types"][2],
        location=downtown,
        session_date=d(2030, 3, 4),
        start=t(10, 0),
        photographer=names["schedules"][0],
        assistant=names["schedules"][1],
        camera_room=names["schedules"][3],
    )
    add(("s", "CreateSession", pb.CreateSessionRequest(session=probe), META))
    for name in names["slots"]:
        add(("o", "GetTimeSlot", opb.GetTimeSlotRequest(name=name), META))
    add(("o", "ListTimeSlots", opb.ListTimeSlotsRequest(page_size=1000), META))
    add(("o", "ListTimeSlots", opb.ListTimeSlotsRequest(page_size=4), META))
    add(
        (
            "o",
            "ListTimeSlots",
            opb.ListTimeSlotsRequest(location=downtown, session_type=names["session_types"][0]),
            META,
        )
    )
    add(("o", "ListTimeSlots", opb.ListTimeSlotsRequest(appointment_type=names["appointment_types"][0]), META))
    for first, last in ((d(2030, 4, 1), d(2030, 4, 30)), (d(2030, 4, 8), d(2030, 4, 9))):
        add(
            (
                "o",
                "ListOpenSlots",
                opb.ListOpenSlotsRequest(
                    session_type=names["session_types"][0], location=downtown, start_date=first, end_date=last
                ),
                META,
            )
        )
        add(
            (
                "o",
                "ListOpenSlots",
                opb.ListOpenSlotsRequest(
                    appointment_type=names["appointment_types"][0], location=downtown, start_date=first, end_date=last
                ),
                META,
            )
        )
    add(
        (
            "o",
            "ListOpenSlots",
            opb.ListOpenSlotsRequest(
                session_type=names["session_types"][0],
                location=downtown,
                start_date=d(2030, 4, 1),
                end_date=d(2030, 4, 30),
                page_size=2,
            ),
            META,
        )
    )
    add(("b", "GetBulkJob", bpb.GetBulkJobRequest(name=names["bulk_job"]), META))
    add(("b", "ListBulkJobItems", bpb.ListBulkJobItemsRequest(parent=names["bulk_job"], page_size=1000), META))
    add(("b", "ListBulkJobItems", bpb.ListBulkJobItemsRequest(parent=names["bulk_job"], page_size=2), META))
    verify = bpb.VerifyBulkScheduleRequest(
        template=bpb.BulkSessionTemplate(
            location=downtown,
            session_type=names["session_types"][2],
            photographer=names["schedules"][0],
            camera_room=names["schedules"][3],
        ),
        time_slot_rows=[
            bpb.TimeSlotRow(
                start_date=d(2030, 3, 4),
                end_date=d(2030, 3, 5),
                start_time=t(8, 0),
                end_time=t(12, 0),
                session_duration_minutes=30,
            )
        ],
        clients=names["clients"],
    )
    add(("b", "VerifyBulkSchedule", verify, META))
    return plan


def normalize(method: str, answer: dict[str, Any]) -> dict[str, Any]:
    """ICS documents carry their creation time (DTSTAMP): compare them without it."""
    if method == "ExportScheduleCalendar" and "data" in answer:
        text = base64.b64decode(answer["data"]).decode()
        answer["data"] = [line for line in text.splitlines() if not line.startswith("DTSTAMP")]
    return answer


async def answer(stubs: dict[str, Any], service: str, method: str, request: Message, meta: Any) -> dict[str, Any]:
    try:
        reply = await getattr(stubs[service], method)(request, metadata=meta)
    except grpc.aio.AioRpcError as err:
        details = {}
        for key, value in err.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                from google.rpc import status_pb2

                details = MessageToDict(status_pb2.Status.FromString(value), preserving_proto_field_name=True)
        return {"error": err.code().name, "status": details}
    return normalize(method, MessageToDict(reply, preserving_proto_field_name=True))


async def read_all(stubs: dict[str, Any], names: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for service, method, request, meta in read_plan(names):
        out.append(
            {
                "service": service,
                "method": method,
                "request": MessageToDict(request, preserving_proto_field_name=True),
                "company": dict(meta)["x-shutterbook-company"],
                "answer": await answer(stubs, service, method, request, meta),
            }
        )
    return out


def stubs_on(channel: grpc.aio.Channel) -> dict[str, Any]:
    return {
        "s": scheduling_pb2_grpc.SchedulingServiceStub(channel),
        "o": online_pb2_grpc.OnlineBookingServiceStub(channel),
        "b": bulk_pb2_grpc.BulkSchedulingServiceStub(channel),
    }


# --- rows --------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


async def dump_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:

            def tables(sync_conn: Any) -> list[sa.Table]:
                meta = sa.MetaData()
                meta.reflect(sync_conn)
                return [tbl for tbl in meta.sorted_tables if tbl.name != "alembic_version"]

            found = await conn.run_sync(tables)
            out: dict[str, list[dict[str, Any]]] = {}
            for table in found:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = (await conn.execute(sa.select(table).order_by(*order))).mappings().all()
                out[table.name] = [{k: encode(v) for k, v in row.items()} for row in rows]
            return out
    finally:
        await db.dispose()


async def hold_times(url: str, live: str, expired: str) -> None:
    """The live hold lasts until 2099 and the other one ran out in 2020, whenever the test runs."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for hold, until in ((live, datetime(2099, 1, 1)), (expired, datetime(2020, 1, 1))):
                hold_id = hold.removeprefix("slotHolds/")
                for table in ("online_holds", "online_hold_blocks"):
                    column = "id" if table == "online_holds" else "hold_id"
                    await conn.execute(
                        sa.text(f"UPDATE {table} SET expires_at = :until WHERE {column} = :id"),
                        {"until": until, "id": hold_id},
                    )
    finally:
        await db.dispose()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scheduling.db'}"
        await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url, REVISION)
        host = scheduling_main.build(
            service_settings("scheduling", url, NOT_LISTENING), SchedulingSettings(reminder_interval_seconds=0.2)
        )
        async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            stubs = stubs_on(channel)
            names = await fill(stubs["s"], stubs["o"], stubs["b"])
        await hold_times(url, names["live_hold"], names["expired_hold"])
        host = scheduling_main.build(
            service_settings("scheduling", url, NOT_LISTENING), SchedulingSettings(reminder_interval_seconds=3600)
        )
        async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            golden = await read_all(stubs_on(channel), names)
        rows = await dump_rows(url)
    (HERE / "rows.json").write_text(json.dumps({"revision": REVISION, "tables": rows}, indent=1, sort_keys=True) + "\n")
    (HERE / "golden.json").write_text(json.dumps({"names": names, "reads": golden}, indent=1, sort_keys=True) + "\n")
    print(f"{sum(len(r) for r in rows.values())} rows, {len(golden)} reads", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
