"""Reminders and triggers, through real scheduling and notifications services, real NATS and a
real SMTP server: one reminder per session (none for cancelled or on-hold sessions, none for a
client who opted out, none twice with two notifications replicas); a status trigger and a
session-type trigger each send their letter once, and a broken letter stops no other."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import nats
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message
from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import InboxEntry, utcnow
from shutterbook_notifications.storage.models import FormLetterRow, MessageRow
from tests.notifications_support import Notifications, mails, notifications_service, text_of
from tests.scheduling_support import (
    COMPANY_A,
    A,
    SchedulingService,
    Studio,
    at,
    client_message,
    day,
    make_studio,
    publish_client_event,
    scheduling_service,
    session_request,
    zone_with_room,
)

pytestmark = pytest.mark.asyncio


async def _client(svc: SchedulingService, given: str, address: str) -> clients_pb2.Client:
    client = client_message(given)
    client.emails.append(address)
    await publish_client_event(
        svc.nats_url, COMPANY_A, "clients.client.created", client_events.ClientCreatedEvent(client=client)
    )
    return client


async def _publish(nats_url: str, subject: str, event: Message) -> str:
    """A scheduling event published as scheduling's relay would; returns its event id."""
    connection = await nats.connect(nats_url)
    try:
        envelope = common_events.EventEnvelope(
            event_id=str(uuid.uuid4()), subject=subject, company_id=COMPANY_A, source="scheduling"
        )
        envelope.occur_time.FromDatetime(utcnow())
        envelope.payload.Pack(event)
        await connection.jetstream(timeout=5).publish(
            subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.event_id}
        )
        return envelope.event_id
    finally:
        await connection.close()


async def _handled(notifications: Notifications, event_ids: list[str]) -> None:
    """Wait until notifications has applied every one of these events (its inbox has them)."""
    db = Database(notifications.database_url)

    async def check() -> bool:
        async with db.engine.connect() as conn:
            seen = set((await conn.execute(select(InboxEntry.event_id))).scalars().all())
        return set(event_ids) <= seen

    try:
        await eventually(check, what=f"{len(event_ids)} events applied by notifications")
    finally:
        await db.dispose()


async def _book(svc: SchedulingService, studio: Studio, client: clients_pb2.Client, start: datetime) -> pb.Session:
    session = session_request(
        studio,
        client,
        day(start.year, start.month, start.day),
        at(start.hour, start.minute),
        at(start.hour, start.minute + 10) if start.minute < 49 else at(start.hour, 59),
        reminder_minutes=60,
    )
    return await svc.stub.CreateSession(pb.CreateSessionRequest(session=session, allow_conflicts=True), metadata=A)


async def test_one_reminder_none_for_cancelled_on_hold_or_opted_out_none_twice_with_two_replicas(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    zone = zone_with_room()
    start = (datetime.now(UTC) + timedelta(minutes=40)).astimezone(ZoneInfo(zone))
    async with scheduling_service(sqlite_databases, nats_server.url, reminder_interval=3600) as first:
        port = first.host.port
        async with (
            notifications_service(sqlite_databases, nats_server.url, smtp_sink, port) as one,
            notifications_service(sqlite_databases, nats_server.url, smtp_sink, port, database_url=one.database_url),
        ):
            studio = await make_studio(first, time_zone=zone)
            ada = await _client(first, "Ada", "ada@example.com")
            bob = await _client(first, "Bob", "bob@example.com")
            await one.stub.UpdateClientPreferences(
                npb.UpdateClientPreferencesRequest(
                    client_preferences=npb.ClientPreferences(
                        name=bob.name.replace("clients/", "clientPreferences/"), reminder_opt_out=True
                    )
                ),
                metadata=A,
            )

            async def both_known() -> bool:
                return await _known(first, ada) and await _known(first, bob)

            await eventually(both_known, what="clients known to scheduling")
            live = await _book(first, studio, ada, start)
            cancelled = await _book(first, studio, ada, start)
            held = await _book(first, studio, ada, start)
            opted_out = await _book(first, studio, bob, start)
            cancelled = await first.stub.CancelSession(pb.CancelSessionRequest(name=cancelled.name), metadata=A)
            held = await first.stub.HoldSession(pb.HoldSessionRequest(name=held.name, on_hold=True), metadata=A)

            # the reminder worker of a scheduling replica finds them due now (40 minutes ahead, 60-minute lead)
            async with scheduling_service(
                sqlite_databases, nats_server.url, database_url=first.database_url, reminder_interval=0.05
            ):

                async def reminders() -> list[common_events.EventEnvelope] | None:
                    found = await first.outbox("scheduling.session.reminder_due")
                    return found if len(found) >= 2 else None

                emitted = await eventually(reminders, what="reminders emitted by scheduling")
                await eventually(lambda: _async(len(mails(smtp_sink)) >= 1), what="the reminder email")

            # and if a reminder of a cancelled or on-hold session still came (a race), it sends nothing
            snapshots = []
            for envelope in await first.outbox("scheduling.session."):
                for kind in (ev.SessionCancelledEvent, ev.SessionUpdatedEvent):
                    event = kind()
                    if envelope.payload.Unpack(event) and event.session.session in (cancelled.name, held.name):
                        snapshots.append(event.session)
            raced = [
                await _publish(
                    nats_server.url,
                    "scheduling.session.reminder_due",
                    ev.SessionReminderDueEvent(session=s, reminder_minutes=60),
                )
                for s in snapshots
            ]
            assert len(raced) >= 2
            await _handled(one, [e.event_id for e in emitted] + raced)

            [reminder] = mails(smtp_sink)
            assert str(reminder["To"]) == "ada@example.com"
            assert str(reminder["Subject"]).strip().startswith("Reminder: ")
            local = start.astimezone(ZoneInfo(zone))
            assert f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}" in text_of(reminder)
            logged = await one.messages(COMPANY_A)
            emailed = [(m.session, m.purpose) for m in logged if m.channel == npb.CHANNEL_EMAIL]
            assert emailed == [(live.name, npb.FORM_LETTER_PURPOSE_REMINDER)]
            # staff get the on-screen reminder of every live session, the opted-out client's too, once
            screen = await one.stub.ListMessages(npb.ListMessagesRequest(channel=npb.CHANNEL_SCREEN), metadata=A)
            assert sorted(m.session for m in screen.messages) == sorted([live.name, opted_out.name])
            for m in screen.messages:
                assert (m.state, m.recipient, m.client) == (npb.DELIVERY_STATE_SENT, "staff", "")
                who = "Ada Tester" if m.session == live.name else "Bob Tester"
                assert m.subject.startswith("Session "), m.subject
                assert f"with {who} at " in m.subject, m.subject
            assert [m.channel for m in await one.messages(COMPANY_A, session=opted_out.name)] == [npb.CHANNEL_SCREEN]


async def _known(svc: SchedulingService, client: clients_pb2.Client) -> bool:
    from tests.scheduling_support import known

    return await known(svc, COMPANY_A, client) is not None


async def _async(value: bool) -> bool:
    return value


async def _letter(n: Notifications, display: str, subject: str) -> npb.FormLetter:
    return await n.stub.CreateFormLetter(
        npb.CreateFormLetterRequest(
            form_letter=npb.FormLetter(
                purpose=npb.FORM_LETTER_PURPOSE_CUSTOM,
                display_name=display,
                subject=subject,
                body_text="Dear {{ client.given_name }}, your {{ session.type }} is {{ session.status }}.",
            )
        ),
        metadata=A,
    )


async def test_status_and_session_type_triggers_send_once_and_a_broken_letter_stops_no_other(
    databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        scheduling_service(databases, nats_server.url, reminder_interval=3600) as svc,
        notifications_service(databases, nats_server.url, smtp_sink, svc.host.port) as n,
    ):
        studio = await make_studio(svc)
        ada = await _client(svc, "Ada", "ada@example.com")
        await eventually(lambda: _known(svc, ada), what="client known to scheduling")
        proofs = await svc.stub.CreateSessionStatus(
            pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name="Proofs Ready")),
            metadata=A,
        )
        other = await svc.stub.CreateSessionStatus(
            pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name="Ordering")), metadata=A
        )
        status_letter = await _letter(n, "Proofs are ready", "Your proofs are ready")
        type_letter = await _letter(n, "Welcome", "Welcome to the studio")
        broken = await _letter(n, "Broken", "Broken letter")
        # a letter that went bad (saved by an older release, say): it is refused on save today
        db = Database(n.database_url)
        async with db.sessions() as s:
            row = await s.get(FormLetterRow, broken.name.removeprefix("formLetters/"))
            assert row is not None
            row.body_text = "{{ client.given_name | no_such_filter }}"
            await s.commit()
        await db.dispose()
        for trigger in (
            npb.Trigger(
                kind=npb.TRIGGER_KIND_SESSION_STATUS, session_status=proofs.name, form_letter=status_letter.name
            ),
            npb.Trigger(
                kind=npb.TRIGGER_KIND_SESSION_TYPE, session_type=studio.session_type.name, form_letter=type_letter.name
            ),
            npb.Trigger(
                kind=npb.TRIGGER_KIND_SESSION_TYPE, session_type=studio.session_type.name, form_letter=broken.name
            ),
        ):
            await n.stub.CreateTrigger(npb.CreateTriggerRequest(trigger=trigger), metadata=A)

        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, ada, day(2031, 3, 4), at(10)), allow_conflicts=True
            ),
            metadata=A,
        )
        for status in (proofs, other, proofs):  # enters Proofs Ready twice: its letter goes once
            await svc.stub.UpdateSession(
                pb.UpdateSessionRequest(
                    session=pb.Session(name=session.name, status=status.name),
                    update_mask=field_mask_pb2.FieldMask(paths=["status"]),
                ),
                metadata=A,
            )

        events = [e.event_id for e in await svc.outbox("scheduling.session.")]
        await _handled(n, events)
        await eventually(lambda: _async(len(mails(smtp_sink)) >= 2), what="two trigger emails")
        for _ in range(3):
            await n.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
        subjects = sorted(str(m["Subject"]).strip() for m in mails(smtp_sink))
        assert subjects == ["Welcome to the studio", "Your proofs are ready"]
        assert "Proofs Ready" in text_of(next(m for m in mails(smtp_sink) if "proofs" in str(m["Subject"])))

        logged = await n.messages(COMPANY_A, session=session.name)
        failed = [m for m in logged if m.state == npb.DELIVERY_STATE_FAILED]
        assert [m.form_letter for m in failed] == [broken.name]
        assert "could not be rendered" in failed[0].failure_reason
        assert len([m for m in logged if m.state == npb.DELIVERY_STATE_SENT]) == 2


async def test_a_triggers_delay_channel_and_disabled_flag_are_honoured_and_checked(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        scheduling_service(sqlite_databases, nats_server.url, reminder_interval=3600) as svc,
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, svc.host.port) as n,
    ):
        studio = await make_studio(svc)
        ada = await _client(svc, "Ada", "ada@example.com")  # an email, no phone
        await eventually(lambda: _known(svc, ada), what="client known to scheduling")
        later, texted, off = [await _letter(n, name, name) for name in ("Later", "Texted", "Off")]
        made = {}
        for letter, extra in ((later, {"delay_minutes": 90}), (texted, {"channel": npb.CHANNEL_SMS}), (off, {})):
            trigger = npb.Trigger(
                kind=npb.TRIGGER_KIND_SESSION_TYPE,
                session_type=studio.session_type.name,
                form_letter=letter.name,
                **extra,
            )
            made[letter.name] = await n.stub.CreateTrigger(npb.CreateTriggerRequest(trigger=trigger), metadata=A)
        disabled = await n.stub.UpdateTrigger(
            npb.UpdateTriggerRequest(
                trigger=npb.Trigger(name=made[off.name].name, disabled=True),
                update_mask=field_mask_pb2.FieldMask(paths=["disabled"]),
            ),
            metadata=A,
        )
        assert (disabled.disabled, disabled.form_letter, disabled.session_type) == (
            True,
            off.name,
            studio.session_type.name,
        )
        for bad, field in (
            (npb.Trigger(name=made[off.name].name, delay_minutes=-1), "trigger.delay_minutes"),
            (npb.Trigger(name=made[off.name].name, form_letter="formLetters/nope"), "trigger.form_letter"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await n.stub.UpdateTrigger(
                    npb.UpdateTriggerRequest(
                        trigger=bad,
                        update_mask=field_mask_pb2.FieldMask(paths=[field.removeprefix("trigger.")]),
                    ),
                    metadata=A,
                )
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert list(rpc_violations(refused.value)) == [field]
        listed = (await n.stub.ListTriggers(npb.ListTriggersRequest(), metadata=A)).triggers
        assert sorted((t.delay_minutes, t.channel, t.disabled) for t in listed) == [
            (0, npb.CHANNEL_UNSPECIFIED, True),
            (0, npb.CHANNEL_SMS, False),
            (90, npb.CHANNEL_UNSPECIFIED, False),
        ]

        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, ada, day(2031, 3, 4), at(10)), allow_conflicts=True
            ),
            metadata=A,
        )
        await _handled(n, [e.event_id for e in await svc.outbox("scheduling.session.")])
        for _ in range(3):
            await n.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
        logged = {m.form_letter: m for m in await n.messages(COMPANY_A, session=session.name)}
        assert set(logged) == {later.name, texted.name}  # the disabled trigger sent nothing
        assert (logged[texted.name].channel, logged[texted.name].state) == (npb.CHANNEL_SMS, npb.DELIVERY_STATE_FAILED)
        assert logged[texted.name].failure_reason == "the client has no phone number"
        assert logged[later.name].state == npb.DELIVERY_STATE_QUEUED  # not yet: 90 minutes after the booking
        db = Database(n.database_url)
        try:
            async with db.sessions() as s:
                row = await s.get(MessageRow, logged[later.name].name.removeprefix("messages/"))
                assert row is not None
                assert row.next_attempt_at - row.created_at == timedelta(minutes=90)
        finally:
            await db.dispose()
        assert mails(smtp_sink) == []


async def test_a_letter_with_a_syntax_error_or_an_unknown_field_is_refused_with_its_line(
    databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    import grpc

    from shutterbook_devstack.testing import rpc_violations

    async with (
        scheduling_service(databases, nats_server.url, reminder_interval=3600) as svc,
        notifications_service(databases, nats_server.url, smtp_sink, svc.host.port) as n,
    ):
        letters = (await n.stub.ListFormLetters(npb.ListFormLettersRequest(), metadata=A)).form_letters
        assert len(letters) == 8
        assert all(letter.built_in for letter in letters)
        reminder = next(x for x in letters if x.purpose == npb.FORM_LETTER_PURPOSE_REMINDER)
        for body, line, words in (
            ("Dear {{ client.given_name }},\n\nSee you {% if %} soon\n", 3, "line 3"),
            ("Dear {{ client.given_name }},\nYour code: {{ client.password }}\n", 2, "client.password"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await n.stub.UpdateFormLetter(
                    npb.UpdateFormLetterRequest(
                        form_letter=npb.FormLetter(name=reminder.name, body_text=body),
                        update_mask=field_mask_pb2.FieldMask(paths=["body_text"]),
                    ),
                    metadata=A,
                )
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            violations = rpc_violations(caught.value)
            assert list(violations) == ["form_letter.body_text"]
            assert f"line {line}" in violations["form_letter.body_text"]
            assert words in violations["form_letter.body_text"]
        unchanged = await n.stub.GetFormLetter(npb.GetFormLetterRequest(name=reminder.name), metadata=A)
        assert unchanged.body_text == reminder.body_text
        assert unchanged.built_in

        edited = await n.stub.UpdateFormLetter(
            npb.UpdateFormLetterRequest(
                form_letter=npb.FormLetter(name=reminder.name, subject="See you {{ session.start_date }}"),
                update_mask=field_mask_pb2.FieldMask(paths=["subject"]),
            ),
            metadata=company_metadata(COMPANY_A),
        )
        assert not edited.built_in
        preview = await n.stub.PreviewFormLetter(npb.PreviewFormLetterRequest(name=reminder.name), metadata=A)
        assert preview.subject == "See you Tuesday, December 8, 2026"

        # a create retried with its request_id returns the first letter; another body is refused
        custom = npb.FormLetter(
            purpose=npb.FORM_LETTER_PURPOSE_CUSTOM, display_name="Thanks", subject="Thanks", body_text="Thank you."
        )
        request_id = str(uuid.uuid4())
        first = await n.stub.CreateFormLetter(
            npb.CreateFormLetterRequest(form_letter=custom, request_id=request_id), metadata=A
        )
        again = await n.stub.CreateFormLetter(
            npb.CreateFormLetterRequest(form_letter=custom, request_id=request_id), metadata=A
        )
        assert again.name == first.name
        custom.subject = "Something else"
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await n.stub.CreateFormLetter(
                npb.CreateFormLetterRequest(form_letter=custom, request_id=request_id), metadata=A
            )
        assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        listed = (await n.stub.ListFormLetters(npb.ListFormLettersRequest(), metadata=A)).form_letters
        assert [x.name for x in listed if x.purpose == npb.FORM_LETTER_PURPOSE_CUSTOM] == [first.name]


async def test_the_photographer_and_assistant_with_an_email_get_the_photographer_confirmation(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        scheduling_service(sqlite_databases, nats_server.url, reminder_interval=3600) as svc,
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, svc.host.port) as n,
    ):
        studio = await make_studio(svc)
        ada = await _client(svc, "Ada", "ada@example.com")
        await eventually(lambda: _known(svc, ada), what="client known to scheduling")

        async def staff(name: str, address: str, role: pb.StaffRole.ValueType) -> pb.Schedule:
            member = await svc.stub.CreateStaffMember(
                pb.CreateStaffMemberRequest(
                    staff_member=pb.StaffMember(display_name=name, roles=[role], email=address)
                ),
                metadata=A,
            )
            return await svc.stub.CreateSchedule(
                pb.CreateScheduleRequest(
                    schedule=pb.Schedule(
                        display_name=name,
                        kind=pb.SCHEDULE_KIND_STAFF,
                        staff_member=member.name,
                        location=studio.location.name,
                    )
                ),
                metadata=A,
            )

        photographer = await staff("Pat Lens", "pat@studio.example", pb.STAFF_ROLE_PHOTOGRAPHER)
        assistant = await staff("Sam Light", "sam@studio.example", pb.STAFF_ROLE_ASSISTANT)
        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(
                    studio,
                    ada,
                    day(2031, 3, 4),
                    at(10),
                    photographer=photographer.name,
                    assistant=assistant.name,
                ),
                allow_conflicts=True,
            ),
            metadata=A,
        )
        await _handled(n, [e.event_id for e in await svc.outbox("scheduling.session.")])
        await eventually(lambda: _async(len(mails(smtp_sink)) >= 2), what="the photographer confirmations")
        for _ in range(3):
            await n.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
        received = mails(smtp_sink)
        assert sorted(str(m["To"]) for m in received) == ["pat@studio.example", "sam@studio.example"]
        text = text_of(received[0])
        assert "Ada Tester" in text
        assert "Tuesday, March 4, 2031" in text
        assert "10:00 AM" in text
        logged = await n.messages(COMPANY_A, session=session.name)
        assert {m.purpose for m in logged} == {npb.FORM_LETTER_PURPOSE_PHOTOGRAPHER_CONFIRMATION}
        assert await n.messages(COMPANY_A, client=ada.name) == []  # staff mail is not the client's log
