"""The sender worker: claims due messages under a lease, sends them outside any transaction,
and records the outcome.

Claims work as the kit's outbox relay's: on PostgreSQL `FOR UPDATE SKIP LOCKED`, on SQLite
under `BEGIN IMMEDIATE`; a replica that dies mid-send leaves its lease to run out and another
replica sends the message. A batch may take longer to send than the lease (a slow relay), so
right before each message goes out its lease is renewed by one compare-and-set (`UPDATE ...
WHERE claimed_by = me AND state = 'queued'`): a message another replica claimed after this
one's lease ran out is skipped, never sent by both. One delivery is cut off at half the lease,
so a renewed lease never runs out while its message is being handed to the relay.
A temporary failure (SMTP 4xx, the relay unreachable, the cut-off) is retried with backoff; a
permanent one, or the last try, marks the message FAILED with its reason, and an SMTP 5xx (the
recipient's server refused it for good) BOUNCED with the server's answer, at once. The one window in
which a message may go twice is between the relay accepting it and the commit that marks it
sent (a crash, or a cut-off after the relay took it); its Message-ID stays the same, so a
resend is recognisable.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Protocol

from shutterbook_kit.db import Database
from shutterbook_kit.periodic import PeriodicWorker
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.domain.delivery import ChannelKind, DeliveryFailure, RetryPolicy, State
from shutterbook_notifications.storage.models import MessageRow
from shutterbook_notifications.storage.repository import MessageRepository
from shutterbook_notifications.transports.sms import SmsProvider
from shutterbook_notifications.transports.smtp import Attachment, OutgoingEmail

log = logging.getLogger(__name__)


class EmailTransport(Protocol):
    async def send(self, email: OutgoingEmail) -> None: ...


class Sender(PeriodicWorker):
    def __init__(
        self,
        db: Database,
        email: EmailTransport,
        sms: SmsProvider,
        retry: RetryPolicy,
        *,
        interval_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        batch_size: int = 20,
    ) -> None:
        self.worker_id = f"sender-{uuid.uuid4().hex[:12]}"
        super().__init__(name=self.worker_id, interval=interval_seconds)
        self.db = db
        self.email = email
        self.sms = sms
        self.retry = retry
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.sent = 0

    async def run_once(self) -> bool:
        """One batch; after a batch that handled anything, the next is looked for at once."""
        return await self.send_batch() > 0

    async def _claim(self) -> list[MessageRow]:
        async with UnitOfWork(self.db, readonly=True) as uow:
            if not await MessageRepository(uow.session).any_due(utcnow()):
                return []
        async with UnitOfWork(self.db) as uow:
            messages = MessageRepository(uow.session)
            rows = await messages.claim_due(utcnow(), self.worker_id, utcnow() + self.lease, self.batch_size)
            if not rows:
                return []
            await uow.commit()
            return rows

    async def send_batch(self) -> int:
        """Claim, send and record one batch; returns how many messages were handled."""
        rows = await self._claim()
        for row in rows:
            if not await self._renew(row):
                log.info("sender: lease lost before sending, skipped", extra={"message_id": row.id})
                continue
            failure: DeliveryFailure | None = None
            try:
                async with asyncio.timeout(self.lease.total_seconds() / 2):
                    await self._deliver(row)
            except DeliveryFailure as exc:
                failure = exc
            except TimeoutError:
                failure = DeliveryFailure("delivery took longer than half the send lease", temporary=True)
            except Exception as exc:  # a transport bug must not lose the message: retry it
                failure = DeliveryFailure(f"unexpected error: {type(exc).__name__}", temporary=True)
            await self._record(row, failure)
        return len(rows)

    async def _renew(self, row: MessageRow) -> bool:
        async with UnitOfWork(self.db) as uow:
            mine = await MessageRepository(uow.session).renew(row.id, self.worker_id, utcnow() + self.lease)
            await uow.commit()
        return mine

    async def _deliver(self, row: MessageRow) -> None:
        if row.channel == ChannelKind.SMS.value:
            await self.sms.send(row.recipient, row.body_text, row.id)
            return
        await self.email.send(
            OutgoingEmail(
                message_id=row.id,
                to=row.recipient,
                subject=row.subject,
                body_text=row.body_text,
                body_html=row.body_html,
                attachments=[Attachment.from_json(a) for a in row.attachments],
            )
        )

    async def _record(self, row: MessageRow, failure: DeliveryFailure | None) -> None:
        attempts = row.attempts + 1
        now = utcnow()
        values: dict[str, object] = {"attempts": attempts, "claimed_by": None, "claimed_until": None}
        if failure is None:
            values |= {"state": State.SENT.value, "sent_at": now, "last_error": ""}
            self.sent += 1
        elif self.retry.gives_up(attempts, failure):
            state = State.BOUNCED if failure.bounced else State.FAILED
            values |= {"state": state.value, "last_error": failure.reason[:500]}
            log.error(f"message {state.value}", extra={"message_id": row.id, "error": failure.reason})
        else:
            values |= {"last_error": failure.reason[:500], "next_attempt_at": now + self.retry.delay(attempts)}
        async with UnitOfWork(self.db) as uow:
            recorded = await MessageRepository(uow.session).record_attempt(row.id, self.worker_id, values)
            await uow.commit()
        if not recorded:  # cannot happen while a delivery stays under half the lease
            log.error("sender: lease lost while sending", extra={"message_id": row.id})
