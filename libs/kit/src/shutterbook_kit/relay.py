"""The outbox relay: publishes committed outbox rows to JetStream, marking each row only
after JetStream acknowledged it.

Handed rows (PostgreSQL, outbox_handoff.py): a commit whose events go in one statement claims
their rows for this process's running relay in that statement and hands them over once
committed; the relay publishes them without a claim, and claims only once an idle poll has
passed since its last (rows written otherwise, or left by a relay that died, still go out).
At stop the rows in hand and not published are released for the next relay's claim.

Several relays may run at once (replicas of a service). Each claims a batch with a lease:
on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so relays never wait on each other; on
SQLite the claim runs in a `BEGIN IMMEDIATE` transaction, so claims are serialized. A row
is published by one relay within its lease; if that relay dies, the lease runs out and
another relay republishes it with the same `Nats-Msg-Id`, which JetStream drops as a
duplicate (its duplicate window is longer than the lease).

One round per batch (issue 19): the rows a batch published are marked by a later round, the
one that claims the next batch (or, when nothing comes, at the next idle poll, and at stop); on
PostgreSQL only once they are due (`mark_every_seconds`, 1 s, or a batch's worth waiting), so
that under steady traffic a round is one statement, the claim, not two. A
relay that dies before that leaves them claimed and unmarked, and they are republished after
the lease like rows it died publishing: at least once, as before (a relay killed in that moment
and back only after JetStream's duplicate window, 300 s, publishes them a second time:
consumers drop such a duplicate by their inbox). No transaction is open across the publish, so
SQLite's write lock is never held over the network and on PostgreSQL a claim stays visible (a
lease that ran out lets another relay take the rows).

A round's statements. SQLite: the mark and the claim in one `BEGIN IMMEDIATE` transaction
(claims serialized). PostgreSQL: the mark, then the claim, two statements in autocommit on one
connection (`Database.autocommit`): two round trips, no BEGIN and COMMIT around them. Each is
correct as a transaction of its own: the mark sets `published_at` only on rows not marked yet
(run twice, or after another relay's mark, it changes nothing), the claim locks and takes its
rows in one statement. The mark is committed before the claim starts, so a marked row is never
claimed again; a mark that fails leaves its seqs to the next round, and a claim that fails
after its mark leaves nothing held.

Deadlocks (PostgreSQL), the reason for that shape: a claim never waits on a row lock (its
`FOR UPDATE SKIP LOCKED` passes a locked row by, and its UPDATE changes only rows it locked
itself), so a claim is never in a cycle of waits. A mark does wait, for a row another relay
locks (its claim retaking the row after the lease ran out, or its mark of the same row: both
relays published it). Each statement holds its locks only while it runs, and a mark takes its
rows' locks in `seq` order (`_MARK`'s locking CTE), so two marks wait on each other in one
direction only: no cycle. (Session 19 ran the mark as a data-modifying CTE of the claim's
statement: that statement held the rows it had claimed while its mark waited, and two relays
whose leases ran out each waited on rows the other held: a deadlock. Two statements hold no
claimed row while a mark waits.)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Row, Update, bindparam, or_, select, update

from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.outbox_handoff import Handed
from shutterbook_kit.schema import KitBase, OutboxMessage, UtcDateTime, utcnow
from shutterbook_kit.telemetry import extract_context, inject_headers
from shutterbook_kit.uow import UnitOfWork

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)


# The relay's statements, built once (a statement built per round cost as much CPU as its run),
# Core statements on the table: the claimed rows come back as rows (no ORM objects to track).
_OUTBOX = KitBase.metadata.tables[OutboxMessage.__tablename__]
_NOW = bindparam("now", type_=UtcDateTime)
# Marked: every row this relay had JetStream acknowledge, even one another relay took since (its
# lease ran out): the row is in the stream, the other relay's copy is dropped as a duplicate and
# its own mark finds the row marked. (Marking only rows still held let two relays whose rounds
# outlast the lease take the same rows from each other for ever.) The rows are locked in `seq`
# order first (PostgreSQL; a plain UPDATE visits them in whatever order its plan reads them), so
# two marks of the same rows queue in one order and never wait on each other both ways; a row
# marked by the one waited for is passed by (its `published_at` checked again once unlocked).
_MARKING = (
    select(_OUTBOX.c.seq)
    .where(_OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)), _OUTBOX.c.published_at.is_(None))
    .order_by(_OUTBOX.c.seq)
    .with_for_update()  # PostgreSQL; SQLite serializes via BEGIN IMMEDIATE
    .cte("marking")
    .prefix_with("MATERIALIZED", dialect="postgresql")  # locked once, as the claim's below
)
_MARK = (
    update(_OUTBOX)
    .where(_OUTBOX.c.seq == _MARKING.c.seq)
    .values(published_at=_NOW, claimed_by=None, claimed_until=None)
)
# At stop: the rows handed to this relay and not published, claimable at once by the next relay
# (a replica's, or this service's after its restart) instead of when their lease runs out.
_RELEASE = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)),
        _OUTBOX.c.claimed_by == bindparam("relay_id"),
        _OUTBOX.c.published_at.is_(None),
    )
    .values(claimed_by=None, claimed_until=None)
)
# what publish_batch reads of a claimed row (a `Handed` row has the same attributes)
_CLAIMED = (
    _OUTBOX.c.seq,
    _OUTBOX.c.event_id,
    _OUTBOX.c.subject,
    _OUTBOX.c.company_id,
    _OUTBOX.c.payload,
    _OUTBOX.c.headers,
)


def _claim_statement(batch_size: int) -> Update:
    """Claim up to `batch_size` rows nobody holds, returning them: one statement."""
    claimable = (
        select(_OUTBOX.c.seq)
        .where(
            _OUTBOX.c.published_at.is_(None),
            or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < _NOW),
        )
        .order_by(_OUTBOX.c.seq)
        .limit(batch_size)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serializes via BEGIN IMMEDIATE
        .cte("claimable")
        # evaluated once (a locking subquery the planner rescanned could lock other rows)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.seq == claimable.c.seq)
        .values(
            claimed_by=bindparam("relay_id"),
            claimed_until=bindparam("lease_until", type_=UtcDateTime),
            attempts=_OUTBOX.c.attempts + 1,
        )
        .returning(*_CLAIMED)  # the claimed rows, in the same statement
    )


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0  # rounds that found rows to publish (claimed or handed over)
    claims: int = 0  # claim statements made (on SQLite, claims and looks)
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
        mark_every_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.nats = nats
        self.stream = stream
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.idle_poll = idle_poll_seconds
        # after a commit wakes it, the relay waits this long before it claims, so that the
        # commits of that moment leave in one batch (one round, mark and claim, instead of one
        # each) at the price of this much more lag
        self.linger = linger_seconds
        self.relay_id = f"relay-{uuid.uuid4().hex[:12]}"
        self.stats = RelayStats()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # seqs published and acknowledged, not marked yet: a round marks them once they are due
        self._published: list[int] = []
        # PostgreSQL: what was published is marked at most this often (a mark per round was a
        # statement and a commit per booking in every service; a batch's rows stay claimed, by
        # their lease, until marked): when a batch's worth waits, or the oldest waited this
        # long (at most half the lease less an idle poll: a round comes at least that often),
        # or at an idle poll after that, or at stop. Well inside the lease, so another
        # relay never takes rows back that this one published and is about to mark.
        self.mark_every = max(min(mark_every_seconds, lease_seconds / 2 - idle_poll_seconds), 0.0)
        self.clock = clock
        self._unmarked_since = 0.0  # `clock`: when the oldest unmarked seq was published
        self._claim_rows = _claim_statement(batch_size)
        # rows the commits of this process claimed for this relay and handed over (PostgreSQL,
        # outbox_handoff.py), in `seq` order, each removed once acknowledged
        self._handed: deque[Handed] = deque()
        self._handing = False  # the database's handoff, from start to stop
        # the last round published (or found nothing) and NATS answered: rows handed over now
        # go out at once (else they would wait in hand while another replica could take them)
        self._healthy = False
        # commits hand over no more rows while this many wait (theirs wait for a claim)
        self.handoff_limit = 10 * batch_size
        self._claimed_at = float("-inf")  # `clock`: the last claim (one at least every idle poll)

    def start(self) -> None:
        if self._stopping.is_set():
            raise RuntimeError("a stopped relay is not started again: make a new one")
        if not self.db.is_sqlite and self.db.outbox_handoff is None:
            self.db.outbox_handoff = self
            self._handing = True
        self._task = asyncio.create_task(self._run(), name=self.relay_id)

    async def stop(self) -> None:
        """Take no more rows from commits, finish the batch in hand, leave what was handed over
        and not published to the next relay's claim, mark what was published, then stop."""
        self._stop_handing()
        self._stopping.set()
        self.db.outbox_written.set()
        if self._task is not None:
            await self._task

    def accepting(self) -> bool:
        """`OutboxHandoff`: running, its last round through (NATS answering), and fewer than
        `handoff_limit` handed rows waiting."""
        return self._handing and self._healthy and len(self._handed) < self.handoff_limit

    def take(self, rows: list[Handed]) -> None:
        """`OutboxHandoff`: committed rows claimed for this relay; the commit wakes it. Kept in
        `seq` order (two commits' tasks may resume in either order). A relay stopping takes none
        (their claim runs out after the lease, and any relay claims them)."""
        if not self._handing:
            return
        late = bool(self._handed) and rows and rows[0].seq < self._handed[-1].seq
        self._handed.extend(rows)
        if late:
            self._handed = deque(sorted(self._handed, key=lambda row: row.seq))

    def claim_soon(self) -> None:
        """`OutboxHandoff`: a commit of this process wrote outbox rows it did not hand over (too
        many for its one statement, or the relay not accepting): the next round claims, so that
        they go out in `seq` order with what is handed after them."""
        self._claimed_at = float("-inf")

    def _stop_handing(self) -> None:
        if self._handing:
            self._handing = False
            if self.db.outbox_handoff is self:
                self.db.outbox_handoff = None

    async def _run(self) -> None:
        stream_ready = False
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                if not stream_ready:
                    await self._wait_for_nats()
                    if self._stopping.is_set():
                        break
                    await self.nats.ensure_stream(self.stream)
                    stream_ready = True
                # cleared before the claim: a commit from now on (even one during the publish)
                # wakes the next round at once
                self.db.outbox_written.clear()
                published = await self.publish_batch()
                self._healthy = True
                backoff = 0.2
                if published < self.batch_size and not self._handed:  # all there was
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS down or DB busy: the rows stay, try again later
                self._healthy = False  # commits stop handing rows over: any relay may claim theirs
                self.stats.failures += 1
                log.warning("outbox relay: publish failed, will retry", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        self._stop_handing()
        try:  # a failure here only means a wait for the lease
            await self._release_handed()
        except Exception as exc:
            log.warning("outbox relay: releasing handed rows at stop failed", extra={"error": repr(exc)})
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

    async def _claim(self, *, claim: bool = True) -> list[Row[Any]]:
        """Mark what the last rounds published, then claim the next batch (see the module's
        docstring: on PostgreSQL two autocommit statements, on SQLite one transaction);
        without `claim` (PostgreSQL, a round of handed rows) only mark, and only when due.

        PostgreSQL: the claim itself is the look (SKIP LOCKED never waits, and a claim that
        finds nothing writes nothing); SQLite: a read first, so an idle relay with nothing to
        mark never takes the write lock. Either way nothing is held once it returns, before
        anything is published: no lock is held across the network."""
        now = utcnow()
        marks = list(self._published)
        params = {"now": now, "relay_id": self.relay_id, "lease_until": now + self.lease}
        if not self.db.is_sqlite:
            if len(marks) < self.batch_size and self.clock() - self._unmarked_since < self.mark_every:
                marks = []  # not due yet: marked by a later round
            if not marks and not claim:
                return []
            claimed: list[Row[Any]] = []
            async with self.db.autocommit() as conn:
                if marks:  # first, and committed, so that none of them is claimed again below
                    await conn.execute(_MARK, {"seqs": marks, "now": now})
                    del self._published[: len(marks)]
                if claim:
                    claimed = list((await conn.execute(self._claim_rows, params)).all())
                    self._claimed_at = self.clock()
                    self.stats.claims += 1
            return sorted(claimed, key=lambda row: int(row.seq))
        self._claimed_at = self.clock()  # (SQLite claims every round: its look is the claim's)
        self.stats.claims += 1
        if not marks and not await self._anything_to_claim(now):
            return []
        async with UnitOfWork(self.db) as uow:
            if marks:  # first, so that none of them is claimed again below
                await uow.session.execute(_MARK, {"seqs": marks, "now": now})
            claimed = list((await uow.session.execute(self._claim_rows, params)).all())
            if claimed or marks:
                await uow.commit()
            del self._published[: len(marks)]
            return sorted(claimed, key=lambda row: int(row.seq))

    async def publish_batch(self) -> int:
        """Mark what was published before, claim one batch and publish it, with (first in line)
        up to a batch of the rows commits handed over; with handed rows the claim is made only
        once an idle poll passed since the last (rows written otherwise still go out). Returns
        how many rows were published; they are marked by a later round (or at stop)."""
        handed = list(itertools.islice(self._handed, self.batch_size))
        claimed = await self._claim(claim=not handed or self.clock() - self._claimed_at >= self.idle_poll)
        # in `seq` order together (a claimed row may also be in hand, its lease run out: JetStream
        # drops the second copy)
        rows: list[Row[Any] | Handed] = sorted([*claimed, *handed], key=lambda row: int(row.seq))
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
            if not self._published:
                self._unmarked_since = self.clock()
            self._published.append(row.seq)  # kept even if a later row fails: marked next round
            if isinstance(row, Handed):
                with contextlib.suppress(ValueError):  # (released meanwhile at stop)
                    self._handed.remove(row)
            published += 1
        return published

    async def _release_handed(self) -> None:
        """At stop: the rows handed over and not published, left to whichever relay claims next."""
        seqs = [row.seq for row in self._handed]
        self._handed.clear()
        if seqs:
            async with self.db.autocommit() as conn:
                await conn.execute(_RELEASE, {"seqs": seqs, "relay_id": self.relay_id})

    async def _mark_published(self) -> None:
        """Mark what was published and not marked yet, on its own (at stop)."""
        marks = list(self._published)
        if not marks:
            return
        params = {"seqs": marks, "now": utcnow()}
        if self.db.is_sqlite:
            async with UnitOfWork(self.db) as uow:
                await uow.session.execute(_MARK, params)
                await uow.commit()
        else:  # one statement: its own transaction
            async with self.db.autocommit() as conn:
                await conn.execute(_MARK, params)
        del self._published[: len(marks)]
