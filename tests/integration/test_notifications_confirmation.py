"""Staff "email session confirmation" (reference page 03), through real scheduling, billing and
notifications services, real NATS and a real SMTP server: the email carries the confirmation
PDF, read back from the message the SMTP server received (studio, location and address,
session number, client, times in the location's zone, lines and balance; no internal id), and
the letter's `balance` field is billing's balance of the session."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2
from pypdf import PdfReader
from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2 as cpb
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit.db import Database
from shutterbook_kit.schema import InboxEntry
from tests.billing_support import billing_service, create_invoice, free_line, known_client, pay
from tests.notifications_support import Notifications, attachment, mails, notifications_service, text_of
from tests.scheduling_support import (
    COMPANY_A,
    A,
    SchedulingService,
    announce_client,
    at,
    day,
    make_studio,
    publish_client_event,
    scheduling_service,
    session_request,
)

pytestmark = pytest.mark.asyncio


async def _applied(n: Notifications, svc: SchedulingService) -> bool:
    wanted = {e.event_id for e in await svc.outbox("scheduling.session.")}
    db = Database(n.database_url)
    try:
        async with db.engine.connect() as conn:
            seen = set((await conn.execute(select(InboxEntry.event_id))).scalars().all())
    finally:
        await db.dispose()
    return bool(wanted) and wanted <= seen


async def test_the_session_confirmation_carries_the_pdf_and_the_balance(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        scheduling_service(sqlite_databases, nats_server.url, reminder_interval=3600) as svc,
        billing_service(sqlite_databases, nats_server.url) as billing,
        notifications_service(
            sqlite_databases,
            nats_server.url,
            smtp_sink,
            svc.host.port,
            billing_port=billing.port,
            company_name="Lumen Portrait Co.",
        ) as n,
    ):
        studio = await make_studio(svc, time_zone="America/Chicago")
        address = pb.PostalAddress(
            address_lines=["410 Harbor Road"], locality="Springfield", administrative_area="IL", postal_code="62701"
        )
        await svc.stub.UpdateLocation(
            pb.UpdateLocationRequest(
                location=pb.Location(name=studio.location.name, address=address),
                update_mask=field_mask_pb2.FieldMask(paths=["address"]),
            ),
            metadata=A,
        )
        ada = await announce_client(svc, "Ada", "Quill", "ada@example.com")
        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, ada, day(2031, 3, 4), at(10), at(11)), allow_conflicts=True
            ),
            metadata=A,
        )
        await eventually(lambda: _applied(n, svc), what="the session known to notifications")

        # what billing says the session owes: 125.00 + 2 x 20.00, 50.00 paid -> 115.00 due
        await known_client(billing.stub, name=ada.name, given_name="Ada")
        invoice = await create_invoice(
            billing.stub,
            ada.name,
            [free_line("Portrait session fee", 12500), free_line("8x10 print", 2000, quantity=2)],
            session=session.name,
        )
        await pay(billing.stub, invoice.name, 5000)

        request = npb.SendSessionLetterRequest(session=session.name, request_id=str(uuid.uuid4()))
        sent = await n.stub.SendSessionLetter(request, metadata=A)
        assert (sent.recipient, sent.purpose) == ("ada@example.com", npb.FORM_LETTER_PURPOSE_SESSION_CONFIRMATION)
        assert (await n.stub.SendSessionLetter(request, metadata=A)).name == sent.name  # a retry: the same one

        listed = (await n.stub.ListFormLetters(npb.ListFormLettersRequest(), metadata=A)).form_letters
        [letter] = [x for x in listed if x.purpose == npb.FORM_LETTER_PURPOSE_SESSION_CONFIRMATION]
        preview = await n.stub.PreviewFormLetter(
            npb.PreviewFormLetterRequest(name=letter.name, session=session.name), metadata=A
        )
        assert "Balance due: 115.00 USD" in preview.body_text

        async def delivered() -> bool | None:
            # the sender's own loop may hold the message (or retry it after a slow first try
            # on a loaded machine): a batch each poll, until the sink has it
            await n.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
            return True if mails(smtp_sink, "ada@example.com") else None

        await eventually(delivered, what="the confirmation at the SMTP sink")
        [email] = mails(smtp_sink, "ada@example.com")
        assert "Balance due: 115.00 USD" in text_of(email)

        pdf = attachment(email, f"session-confirmation-{session.session_number}.pdf")
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        flat = " ".join(text.split())
        for expected in (
            "Lumen Portrait Co.",
            "Session Confirmation",
            session.session_number,
            "Ada Quill",
            "Tuesday, March 4, 2031",
            "10:00 AM to 11:00 AM (CST, America/Chicago)",
            "Downtown Studio",
            "410 Harbor Road, Springfield, IL 62701",
            "Portrait session fee",
            "8x10 print",
            "165.00 USD",  # total
            "50.00 USD",  # paid
            "115.00 USD",  # balance due
        ):
            assert expected in flat, f"{expected!r} not in the PDF: {flat}"
        for internal in ("sessions/", "clients/", "locations/", session.name.removeprefix("sessions/")):
            assert internal not in flat

        logged = await n.messages(COMPANY_A, client=ada.name)
        assert [m.name for m in logged] == [sent.name]
        assert list(logged[0].attachment_names) == [f"session-confirmation-{session.session_number}.pdf"]


async def test_the_letter_waits_for_the_client_as_the_caller_saw_it(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    """A name corrected a moment before "email session confirmation" is the name the letter
    carries: with the client's `update_time` as the caller saw it, notifications refuses
    (FAILED_PRECONDITION, nothing queued) while its copy is older, and sends once the change's
    event has arrived (the wizard saves its client screen after booking; the update's event
    may reach notifications after the session's)."""
    async with (
        scheduling_service(sqlite_databases, nats_server.url, reminder_interval=3600) as svc,
        billing_service(sqlite_databases, nats_server.url) as billing,
        notifications_service(
            sqlite_databases, nats_server.url, smtp_sink, svc.host.port, billing_port=billing.port
        ) as n,
    ):
        studio = await make_studio(svc)
        ada = await announce_client(svc, "Ada", "Quill", "ada@example.com")
        session = await svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, ada, day(2031, 3, 4), at(10), at(11)), allow_conflicts=True
            ),
            metadata=A,
        )
        await eventually(lambda: _applied(n, svc), what="the session known to notifications")

        corrected = cpb.Client()
        corrected.CopyFrom(ada)
        corrected.given_name = "Adaline"
        corrected.update_time.FromDatetime(ada.update_time.ToDatetime() + timedelta(seconds=1))
        request = npb.SendSessionLetterRequest(
            session=session.name, request_id=str(uuid.uuid4()), client_update_time=corrected.update_time
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await n.stub.SendSessionLetter(request, metadata=A)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert await n.messages(COMPANY_A, client=ada.name) == []  # nothing queued

        await publish_client_event(
            svc.nats_url, COMPANY_A, "clients.client.updated", client_events.ClientUpdatedEvent(client=corrected)
        )

        async def sent() -> npb.Message | None:
            try:
                return await n.stub.SendSessionLetter(request, metadata=A)  # the desk's click again
            except grpc.aio.AioRpcError as err:
                if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                    raise
                return None

        await eventually(sent, what="the letter sent once the correction is known")

        async def delivered() -> bool | None:
            await n.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
            return True if mails(smtp_sink, "ada@example.com") else None

        await eventually(delivered, what="the confirmation at the SMTP sink")
        [email] = mails(smtp_sink, "ada@example.com")
        assert "Adaline" in text_of(email)
