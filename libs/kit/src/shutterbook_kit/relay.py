"""The outbox relay: publishes committed outbox rows to JetStream, marking each row only
after JetStream acknowledged it.

Several relays may run at once (replicas of a service). Each claims a batch with a lease:
on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so relays never wait on each other; on
SQLite the claim runs in a `BEGIN IMMEDIATE` transaction, so claims are serialized. A row
is published by one relay within its lease; if that relay dies, the lease runs out and
another relay republishes it with the same `Nats-Msg-Id`, which JetStream drops as a
duplicate (its duplicate window is longer than the lease).

One commit per batch (issue 19): the rows a batch published are marked by the next round's
transaction, the one that claims the next batch (or, when nothing comes, at the next idle
poll, and at stop). A relay that dies before that leaves them claimed and unmarked, and they
are republished after the lease like rows it died publishing: at least once, as before (a
relay killed in that moment and back only after JetStream's duplicate window, 300 s, publishes
them a second time: consumers drop such a duplicate by their inbox). No
transaction is open across the publish, so SQLite's write lock is never held over the network
and on PostgreSQL a claim stays visible (a lease that ran out lets another relay take the rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Update, bindparam, or_, select, update

from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.schema import OutboxMessage, UtcDateTime, utcnow
from shutterbook_kit.telemetry import extract_context, inject_headers
from shutterbook_kit.uow import UnitOfWork

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)


# The relay's statements, built once (a statement built per round cost as much CPU as its run).
# No session holds these rows: nothing to synchronize.
_AS_IS = {"synchronize_session": False}
_NOW = bindparam("now", type_=UtcDateTime)
# published: every row this relay had JetStream acknowledge, even one another relay took
# since (its lease ran out): the row is in the stream, the other relay's copy is dropped as a
# duplicate and its own mark finds the row marked. (Marking only rows still held let two
# relays whose rounds outlast the lease take the same rows from each other for ever.)
_MARK = (
    update(OutboxMessage)
    .where(OutboxMessage.seq.in_(bindparam("seqs", expanding=True)), OutboxMessage.published_at.is_(None))
    .values(published_at=_NOW, claimed_by=None, claimed_until=None)
)


def _claim_statement(batch_size: int) -> Update:
    """Claim up to `batch_size` rows nobody holds, returning them: one statement."""
    claimable = (
        select(OutboxMessage.seq)
        .where(
            OutboxMessage.published_at.is_(None),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < _NOW),
        )
        .order_by(OutboxMessage.seq)
        .limit(batch_size)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serializes via BEGIN IMMEDIATE
        .cte("claimable")
        # evaluated once (a locking subquery the planner rescanned could lock other rows)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(OutboxMessage)
        .where(OutboxMessage.seq == claimable.c.seq)
        .values(
            claimed_by=bindparam("relay_id"),
            claimed_until=bindparam("lease_until", type_=UtcDateTime),
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)  # the claimed rows, in the same statement
    )


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0  # claims that found rows to publish
    duplicates: int = 0
    failures: int = 0
    by_event: dict[str, int] = field(default_factory=dict)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        nats: NatsConnection,
        stream: StreamSpec,
        *,
        batch_size: int = 100,
        lease_seconds: float = 30.0,
        idle_poll_seconds: float = 0.5,
        linger_seconds: float = 0.0,
    ) -> None:
        self.db = db
        self.nats = nats
        self.stream = stream
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.idle_poll = idle_poll_seconds
        # after a commit wakes it, the relay waits this long before it claims, so that the
        # commits of that moment leave in one batch (one transaction and claim instead of one
        # each) at the price of this much more lag
        self.linger = linger_seconds
        self.relay_id = f"relay-{uuid.uuid4().hex[:12]}"
        self.stats = RelayStats()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # seqs published and acknowledged, not marked yet: the next claim's transaction marks them
        self._published: list[int] = []
        self._claim_rows = _claim_statement(batch_size)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.relay_id)

    async def stop(self) -> None:
        """Finish the batch in hand, mark what was published, then stop."""
        self._stopping.set()
        self.db.outbox_written.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        stream_ready = False
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                if not stream_ready:
                    await self._wait_for_nats()
                    if self._stopping.is_set():
                        return
                    await self.nats.ensure_stream(self.stream)
                    stream_ready = True
                # cleared before the claim: a commit from now on (even one during the publish)
                # wakes the next round at once
                self.db.outbox_written.clear()
                published = await self.publish_batch()
                backoff = 0.2
                if published < self.batch_size:  # all there was: no empty claim to find that out
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS down or DB busy: the rows stay, try again later
                self.stats.failures += 1
                log.warning("outbox relay: publish failed, will retry", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        try:  # a failure here only means a republish after the lease, dropped as a duplicate
            await self._mark_published()
        except Exception as exc:
            log.warning("outbox relay: marking at stop failed", extra={"error": repr(exc)})

    async def _wait_for_nats(self) -> None:
        waiter = asyncio.ensure_future(self.nats.client())
        stopper = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiter, stopper):
            task.cancel()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.db.outbox_written.wait(), timeout=self.idle_poll)
            if self.linger > 0:  # cut short by stop()
                await asyncio.wait_for(self._stopping.wait(), timeout=self.linger)

    async def _anything_to_claim(self, now: datetime) -> bool:
        """A read-only look first, so an idle relay never takes SQLite's write lock."""
        async with UnitOfWork(self.db, readonly=True) as uow:
            found = await uow.session.scalar(
                select(OutboxMessage.seq)
                .where(
                    OutboxMessage.published_at.is_(None),
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .limit(1)
            )
        return found is not None

    async def _claim(self) -> list[OutboxMessage]:
        """Mark what the last rounds published and claim the next batch, in one transaction.

        PostgreSQL: the claim itself is the look (SKIP LOCKED never waits, and a round that
        marks and finds nothing commits nothing); SQLite: a read first, so an idle relay with
        nothing to mark never takes the write lock. Either way the transaction ends before
        anything is published: no lock is held across the network."""
        now = utcnow()
        marks = list(self._published)
        if not marks and self.db.is_sqlite and not await self._anything_to_claim(now):
            return []
        async with UnitOfWork(self.db) as uow:
            if marks:  # first, so that none of them is claimed again below
                await uow.session.execute(_MARK, {"seqs": marks, "now": now}, execution_options=_AS_IS)
            claimed = await uow.session.scalars(
                self._claim_rows,
                {"now": now, "relay_id": self.relay_id, "lease_until": now + self.lease},
                execution_options=_AS_IS,
            )
            rows = sorted(claimed.all(), key=lambda row: row.seq)
            if rows or marks:
                await uow.commit()
            del self._published[: len(marks)]
            return rows

    async def publish_batch(self) -> int:
        """Mark what was published before, claim one batch and publish it. Returns how many
        rows were published; they are marked by the next round's transaction (or at stop)."""
        rows = await self._claim()
        if not rows:
            return 0
        self.stats.batches += 1
        js = await self.nats.jetstream()
        published = 0
        for row in rows:
            headers = {"Nats-Msg-Id": row.event_id, "Shutterbook-Company": row.company_id}
            with _tracer.start_as_current_span(
                f"{row.subject} publish",
                context=extract_context(row.headers),  # type: ignore[arg-type]
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": row.subject,
                    "messaging.message.id": row.event_id,
                },
            ):
                inject_headers(headers)
                ack = await js.publish(row.subject, row.payload, headers=headers, stream=self.stream.name)
            if ack.duplicate:
                self.stats.duplicates += 1
            else:
                self.stats.published += 1
            self.stats.by_event[row.event_id] = self.stats.by_event.get(row.event_id, 0) + 1
            self._published.append(row.seq)  # kept even if a later row fails: marked next round
            published += 1
        return published

    async def _mark_published(self) -> None:
        """Mark what was published and not marked yet, on its own (at stop)."""
        marks = list(self._published)
        if not marks:
            return
        async with UnitOfWork(self.db) as uow:
            await uow.session.execute(_MARK, {"seqs": marks, "now": utcnow()}, execution_options=_AS_IS)
            await uow.commit()
        del self._published[: len(marks)]
