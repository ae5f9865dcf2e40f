"""The sender: two workers over one database send every queued message exactly once (SKIP
LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite); a permanent refusal fails at once and a
temporary one is retried until the last attempt, then marked failed with its reason; over SMTP,
a 5xx refusal bounces the message at once with the server's answer, a 4xx is retried."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import free_port
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications import main as notifications_main
from shutterbook_notifications.application.outgoing import Outgoing, Recipient, queue
from shutterbook_notifications.application.sender import Sender
from shutterbook_notifications.domain.delivery import RetryPolicy
from shutterbook_notifications.domain.letters import LetterTemplates, Purpose, sample_context
from shutterbook_notifications.settings import SmtpSettings
from shutterbook_notifications.storage.models import MessageRow
from shutterbook_notifications.transports.sms import SandboxSmsProvider
from shutterbook_notifications.transports.smtp import SmtpTransport
from tests.notifications_support import mails

COMPANY = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
LETTER = LetterTemplates("Hello {{ client.given_name }}", "Body {{ session.start_time }}", "")


async def _queue(db: Database, recipients: list[Recipient]) -> None:
    async with UnitOfWork(db) as uow:
        for i, recipient in enumerate(recipients):
            out = Outgoing(COMPANY, f"test:{i}", recipient, sample_context())
            await queue(uow, out, Purpose.CUSTOM, "", LETTER)
        await uow.commit()


async def _rows(db: Database) -> list[MessageRow]:
    async with UnitOfWork(db, readonly=True) as uow:
        return list((await uow.session.scalars(select(MessageRow).order_by(MessageRow.dedupe_key))).all())


async def test_two_senders_send_each_message_once(databases: DatabaseFactory, smtp_sink: MailSink) -> None:
    db = Database(await databases.new("notifications", migrate_with=notifications_main.MIGRATIONS))
    try:
        await _queue(db, [Recipient(f"c{i}", email=f"person{i}@example.com") for i in range(30)])
        smtp = SmtpTransport(SmtpSettings(host=smtp_sink.host, port=smtp_sink.port))
        senders = [Sender(db, smtp, SandboxSmsProvider(), RetryPolicy(), batch_size=4) for _ in range(2)]

        async def drain(sender: Sender) -> None:
            for _ in range(40):
                await sender.send_batch()

        await asyncio.gather(*(drain(s) for s in senders))
        assert sum(s.sent for s in senders) == 30
        received = sorted(str(m["To"]) for m in mails(smtp_sink))
        assert received == sorted(f"person{i}@example.com" for i in range(30))
        assert {r.state for r in await _rows(db)} == {"sent"}
    finally:
        await db.dispose()


async def test_permanent_failure_fails_at_once_temporary_ones_after_the_last_attempt(
    databases: DatabaseFactory,
) -> None:
    db = Database(await databases.new("notifications", migrate_with=notifications_main.MIGRATIONS))
    try:
        await _queue(
            db,
            [
                Recipient("refused", phone="+15550000000"),
                Recipient("busy", phone="+15559999999"),
                Recipient("fine", phone="+15551234567"),
            ],
        )
        sms = SandboxSmsProvider()
        sender = Sender(db, SmtpTransport(SmtpSettings(port=1)), sms, RetryPolicy(max_attempts=3, base_seconds=0.0))
        for _ in range(10):
            await sender.send_batch()
        refused, busy, fine = await _rows(db)
        assert (refused.state, refused.attempts, refused.last_error) == ("failed", 1, "sandbox: number refused")
        assert (busy.state, busy.attempts, busy.last_error) == ("failed", 3, "sandbox: provider busy")
        assert (fine.state, fine.attempts, fine.channel) == ("sent", 1, "sms")
        assert [to for to, _text in sms.sent.values()] == ["+15551234567"]
    finally:
        await db.dispose()


async def test_a_relay_slower_than_the_lease_still_gets_each_message_once(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    """Replica A claims a batch that takes longer to send than its lease (the relay takes 0.25 s
    a message, the lease is 1.5 s); replica B keeps claiming whatever looks expired. Every
    message reaches the SMTP server exactly once: A renews each message's lease right before
    sending it and skips those B took over."""
    sink = MailSink(tmp_path / "slow-relay", port=free_port(), accept_delay_seconds=0.25)
    sink.start()
    db = Database(await databases.new("notifications", migrate_with=notifications_main.MIGRATIONS))
    try:
        await _queue(db, [Recipient(f"c{i}", email=f"person{i}@example.com") for i in range(14)])
        smtp = SmtpTransport(SmtpSettings(host=sink.host, port=sink.port))
        retry = RetryPolicy(base_seconds=0.0)
        a = Sender(db, smtp, SandboxSmsProvider(), retry, lease_seconds=1.5, batch_size=14)
        b = Sender(db, smtp, SandboxSmsProvider(), retry, lease_seconds=1.5, batch_size=1)

        async def unsent() -> int:
            return sum(r.state != "sent" for r in await _rows(db))

        async def keep_claiming(sender: Sender) -> None:
            for _ in range(600):  # bounded: at most ~30 s of polling
                if await unsent() == 0:
                    return
                if await sender.send_batch() == 0:
                    await asyncio.sleep(0.05)

        await asyncio.gather(a.send_batch(), keep_claiming(b))
        await keep_claiming(a)
        assert await unsent() == 0
        assert b.sent > 0, "B never took over a message whose lease ran out: the test proves nothing"
        received = sorted(str(m["To"]) for m in mails(sink))
        assert received == sorted(f"person{i}@example.com" for i in range(14))
        assert a.sent + b.sent == 14
    finally:
        await db.dispose()
        sink.stop()


async def test_an_smtp_5xx_bounces_at_once_a_4xx_is_retried(sqlite_databases: DatabaseFactory, tmp_path: Path) -> None:
    sink = MailSink(tmp_path / "relay", port=free_port())
    sink.refusals.update(
        {
            "gone@example.com": "550 5.1.1 <gone@example.com>: no such mailbox",
            "full@example.com": "452 4.2.2 mailbox full",
            "later@example.com": "451 4.3.0 try again later",
        }
    )
    sink.start()
    db = Database(await sqlite_databases.new("notifications", migrate_with=notifications_main.MIGRATIONS))
    try:
        await _queue(
            db,
            [
                Recipient("gone", email="gone@example.com"),
                Recipient("full", email="full@example.com"),
                Recipient("later", email="later@example.com"),
                Recipient("fine", email="fine@example.com"),
            ],
        )
        smtp = SmtpTransport(SmtpSettings(host=sink.host, port=sink.port))
        sender = Sender(db, smtp, SandboxSmsProvider(), RetryPolicy(max_attempts=3, base_seconds=0.0))
        await sender.send_batch()
        del sink.refusals["later@example.com"]  # its server takes mail again
        for _ in range(5):
            await sender.send_batch()
        gone, full, later, fine = await _rows(db)
        assert (gone.state, gone.attempts) == ("bounced", 1)  # never retried
        assert gone.last_error == "SMTP 550 5.1.1 <gone@example.com>: no such mailbox"
        assert (full.state, full.attempts, full.last_error) == ("failed", 3, "SMTP 452 4.2.2 mailbox full")
        assert (later.state, later.attempts) == ("sent", 2)
        assert (fine.state, fine.attempts) == ("sent", 1)
        assert sorted(str(m["To"]) for m in mails(sink)) == ["fine@example.com", "later@example.com"]
    finally:
        await db.dispose()
        sink.stop()
