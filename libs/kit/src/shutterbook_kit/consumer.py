"""Durable JetStream pull consumers with an inbox: delivery at least once, effect once.

One durable consumer per consuming service (its name is the service name), shared by all
replicas of that service, so each event is handled by one replica at a time. For each
message the handler's effect and the inbox entry (consumer, event id) commit in one
transaction; only then is the message acked. A redelivery of an event already in the
inbox is acked without running the handler again. (A handler with a `OneStatement` effect is
the exception it chose: on PostgreSQL its one statement runs before the inbox is consulted, so
a redelivery runs it again, and it is written to change nothing then; unless the statement
writes the inbox entry first, `OneStatement.ready`.)

Failures: a handler error naks with a growing delay; on the last allowed delivery, or for
a message that cannot be decoded, or a `PoisonEvent`, the message is written to the
`dead_letters` table and terminated: kept, never silently dropped. A message the server
stops delivering on its own (the process died on every attempt) is caught from the
max-deliveries advisory and dead-lettered too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError, Message
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite

from shutterbook.common.v1 import events_pb2
from shutterbook_kit.db import Database
from shutterbook_kit.events import EventType
from shutterbook_kit.failpoints import failpoint
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.schema import DeadLetter, InboxEntry, UtcDateTime, utcnow
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.telemetry import extract_context
from shutterbook_kit.uow import UnitOfWork

log = logging.getLogger(__name__)

# The inbox entry, or nothing when the event is recorded already. Text, so that SQLAlchemy
# caches it (its dialects' `INSERT ... ON CONFLICT` constructs are compiled anew each time).
INBOX_INSERT = text(
    f"INSERT INTO {InboxEntry.__tablename__} (consumer, event_id, subject, received_at)"
    " VALUES (:consumer, :event_id, :subject, :received_at) ON CONFLICT DO NOTHING"
).bindparams(bindparam("received_at", type_=UtcDateTime))
_INBOX_DELETE = text(f"DELETE FROM {InboxEntry.__tablename__} WHERE consumer = :consumer AND event_id = :event_id")
_tracer = trace.get_tracer(__name__)


class PoisonEvent(Exception):
    """Raised by a handler for an event that can never succeed: dead-letter it now."""


@dataclass(frozen=True)
class Delivery:
    """What a handler gets: the envelope, its typed payload, and the unit of work to write in."""

    envelope: events_pb2.EventEnvelope
    payload: Message
    uow: UnitOfWork


Handler = Callable[[Delivery], Awaitable[None]]


@dataclass(frozen=True)
class OneStatement:
    """A handler's effect as one statement on PostgreSQL, run with the event's inbox entry as one
    autocommit statement (no BEGIN, no COMMIT, no INSERT of its own for the inbox entry):

        WITH <ctes>, inbox_new AS (INSERT INTO inbox_entries ... SELECT ...
            WHERE EXISTS (SELECT 1 FROM effect) ON CONFLICT DO NOTHING RETURNING 1)
        SELECT count(*) FROM inbox_new

    `ctes`: the effect as common table expressions, one of them `effect AS (...)`, a
    data-modifying statement with RETURNING or a SELECT over such, a row returned when the
    effect is done (the others may use it: `later AS (UPDATE ... FROM effect ...)`; what the
    other CTEs wrote stays written when `effect` returns nothing, and the handler's unit of
    work must then find it and finish the effect). It runs before the inbox is consulted,
    so a redelivery runs it again, possibly after later events were applied: it must change
    nothing then (an INSERT ... ON CONFLICT DO NOTHING; an upsert guarded by a version the
    event carries, never one made up at delivery). `params(envelope, payload)`: its parameters,
    named as in `ctes`, none starting with `inbox_` (None: this event goes to the handler);
    `types`: their SQLAlchemy types where they need one.

    The event counts as applied when the inbox entry was written with it. Otherwise (the effect
    returned no row, or the inbox entry was there already) the handler runs as usual, in a unit
    of work with the inbox entry; so does every delivery on SQLite.

    `ready`, for an effect that must not run twice (it counts, say): the inbox entry first.
    `ready` holds common table expressions, one of them `ready AS (...)`, returning a row when
    the effect is sure to be made by this statement: it locks what the effect writes (`FOR
    UPDATE`) and checks, on the locked rows, everything the effect's conditions read. Then

        WITH <ready>, inbox_new AS (INSERT INTO inbox_entries ... SELECT ...
            WHERE EXISTS (SELECT 1 FROM ready) ON CONFLICT DO NOTHING RETURNING 1), <ctes>
        SELECT (SELECT count(*) FROM inbox_new), (SELECT count(*) FROM effect)

    where `ctes`' effect runs only `WHERE EXISTS (SELECT 1 FROM inbox_new)`: a redelivery (or a
    concurrent duplicate, which waits on the inbox's key) finds the entry and changes nothing.
    An entry written without its effect (`ready` broke its promise) is deleted again, logged,
    and the handler runs. `attempts`: how often the statement runs while `ready` returns
    nothing and a CTE `again` (then required among `ready`'s) returns a row: a statement that
    waited for a concurrent writer read its snapshot before that writer committed, and the
    next one sees what it wrote; `again` says when that can help."""

    ctes: str
    params: Callable[[events_pb2.EventEnvelope, Any], dict[str, Any] | None]
    types: Mapping[str, Any] = field(default_factory=dict, compare=False)
    ready: str = ""
    # with `ready`: how many times the statement runs while `ready` returns nothing and
    # `again` (a CTE of `ready`'s, needed when attempts > 1) returns a row, before the handler
    # (a statement that waited for a concurrent writer's row read a snapshot from before that
    # row: the next one, a new snapshot, may find it ready)
    attempts: int = 1

    @functools.cached_property
    def statement(self) -> TextClause:
        """The effect with the inbox entry, built once."""
        inbox = (
            f"inbox_new AS (INSERT INTO {InboxEntry.__tablename__} (consumer, event_id, subject, received_at)"
            " SELECT CAST(:inbox_consumer AS VARCHAR), CAST(:inbox_event_id AS VARCHAR),"
            " CAST(:inbox_subject AS VARCHAR), CAST(:inbox_received_at AS TIMESTAMP WITH TIME ZONE)"
            " WHERE EXISTS (SELECT 1 FROM {0}) ON CONFLICT DO NOTHING RETURNING 1)"
        )
        counts = " SELECT (SELECT count(*) FROM inbox_new), (SELECT count(*) FROM effect)"
        if self.ready:
            again = "(SELECT count(*) FROM again)" if self.attempts > 1 else "0"
            counts += f", (SELECT count(*) FROM ready), {again}"
            sql = f"WITH {self.ready}, {inbox.format('ready')}, {self.ctes}{counts}"
        else:
            sql = f"WITH {self.ctes}, {inbox.format('effect')}{counts}, 1, 0"
        return text(sql).bindparams(
            bindparam("inbox_received_at", type_=UtcDateTime),
            *(bindparam(name, type_=type_) for name, type_ in self.types.items()),
        )


@dataclass(frozen=True)
class Subscription:
    subject: str
    payload_type: type[Message]
    handler: Handler
    wanted: Callable[[Any], bool] | None = None
    one_statement: OneStatement | None = None


def subscribe(
    event_type: EventType[Any],
    handler: Handler,
    *,
    wanted: Callable[[Any], bool] | None = None,
    one_statement: OneStatement | None = None,
) -> Subscription:
    """Handle `event_type` (from the producer's events, or `shared_events`) with `handler`.

    `wanted(payload)`: whether the handler has anything to do for this event, decided from the
    payload alone (so every delivery of it decides alike). An event not wanted is acked and
    counted as applied without a transaction or an inbox entry (its effect, none, cannot
    happen twice). `one_statement`: the handler's effect as one statement on PostgreSQL (see
    `OneStatement`); the handler still serves SQLite and what that statement leaves to it."""
    if one_statement is not None:
        _ = one_statement.statement  # built now: a mistake in it shows at start, not at an event
    return Subscription(event_type.subject, event_type.payload_type, handler, wanted, one_statement)


@dataclass(frozen=True)
class ConsumerPolicy:
    """Explicit delivery settings; the server defaults are not what a booking system wants.

    `ack_wait_seconds` must exceed the slowest handler. An unacked delivery (the process
    died) is redelivered after AckWait, then after growing backoffs; a handler error is
    nak'ed with its own shorter delay (`nak_delay`).
    """

    ack_wait_seconds: float = 30.0
    max_deliver: int = 8
    # the most messages one pull asks for, when the consumer is behind (`EventConsumer.next_batch`)
    fetch_batch: int = 32
    fetch_timeout_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ConsumerPolicy:
        return cls(ack_wait_seconds=settings.consumer_ack_wait_seconds, max_deliver=settings.consumer_max_deliver)

    @property
    def backoff_seconds(self) -> list[float]:
        """Redelivery delays after unacked deliveries; the first is the AckWait. Fewer than MaxDeliver."""
        wait = self.ack_wait_seconds
        return [wait, wait, 2 * wait, 4 * wait, 10 * wait][: max(self.max_deliver - 1, 1)]

    def nak_delay(self, delivered: int) -> float:
        """Delay before retrying a handler error: 0.5 s, 1 s, 2 s, ... at most 30 s."""
        return float(min(0.5 * 2 ** max(delivered - 1, 0), 30.0))


class EventConsumer:
    def __init__(
        self,
        db: Database,
        nats: NatsConnection,
        *,
        consumer: str,
        stream: StreamSpec,
        subscriptions: list[Subscription],
        policy: ConsumerPolicy | None = None,
    ) -> None:
        self.db = db
        self.nats = nats
        self.consumer = consumer
        self.stream = stream
        self.subscriptions = {s.subject: s for s in subscriptions}
        self.policy = policy or ConsumerPolicy()
        self.applied = 0
        self.skipped_duplicates = 0
        self.dead_lettered = 0
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # the tasks handling messages now (the others only wait: for NATS, a fetch, an advisory)
        self._busy: set[asyncio.Task[Any]] = set()

    def _config(self) -> ConsumerConfig:
        backoff = self.policy.backoff_seconds
        return ConsumerConfig(
            durable_name=self.consumer,
            name=self.consumer,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.policy.ack_wait_seconds,
            max_deliver=self.policy.max_deliver,
            backoff=backoff,
            filter_subjects=sorted(self.subscriptions),
            max_ack_pending=1000,
        )

    async def ensure_consumer(self) -> None:
        js = await self.nats.jetstream()
        await self.nats.ensure_stream(self.stream)
        # Without an action the server creates the durable, or updates it in place when it
        # exists (every replica of the service runs this at start).
        await js.add_consumer(self.stream.name, self._config())

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(), name=f"consumer-{self.consumer}-{self.stream.name}"),
            asyncio.create_task(self._watch_max_deliveries(), name=f"advisory-{self.consumer}"),
        ]

    async def stop(self) -> None:
        """Finish (and ack) the messages in hand, then stop fetching. A task that is only
        waiting (for NATS to answer or connect, for a fetch) is cancelled at once: what it has
        not handled stays unacked in the durable, redelivered to whoever runs next. (Waiting
        for it cost a service with NATS unreachable 12 s at every stop.)"""
        self._stopping.set()
        for task in self._tasks:
            if task not in self._busy:
                task.cancel()
            try:
                await asyncio.wait_for(task, timeout=self.policy.fetch_timeout_seconds + 5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()

    @contextlib.contextmanager
    def _handling(self) -> Iterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(task)
        try:
            yield
        finally:
            self._busy.discard(task)

    def next_batch(self, msgs: list[Msg]) -> int:
        """How many messages the next pull asks for: one while the consumer keeps up (the pull
        waits on the server and answers with the next event the moment it is published), as
        many as are pending (at most `fetch_batch`) while it is behind.

        nats-py's `fetch(n)` for n > 1 is made for a backlog: a no-wait probe first, answered
        with a status message when nothing is pending, then a waiting pull. At the pace events
        come one at a time that is a request and a status message more a message than
        `fetch(1)`'s one waiting pull. The count pending after the last message handled comes
        with it (JetStream's metadata; the durable's, shared by the replicas: an overestimate
        only asks for more than comes, and a pull answers with what there is)."""
        if not msgs:
            return 1
        pending = msgs[-1].metadata.num_pending or 0
        return max(1, min(self.policy.fetch_batch, pending))

    async def _run(self) -> None:
        sub = None
        batch = 1
        try:
            while not self._stopping.is_set():
                try:
                    if sub is None:
                        await self.ensure_consumer()
                        js = await self.nats.jetstream()
                        sub = await js.pull_subscribe_bind(durable=self.consumer, stream=self.stream.name)
                    try:
                        msgs = await sub.fetch(batch, timeout=self.policy.fetch_timeout_seconds)
                    except TimeoutError:
                        batch = 1
                        continue
                    with self._handling():
                        for msg in msgs:
                            await self.handle(msg)
                    batch = self.next_batch(msgs)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # NATS down, stream missing: keep trying, events wait in the stream
                    log.warning("consumer loop error, retrying", extra={"consumer": self.consumer, "error": repr(exc)})
                    sub = None
                    await asyncio.sleep(0.5)
        finally:
            if sub is not None:
                # Without this the connection's drain at shutdown waits out its timeout on the
                # idle pull subscription. Unacked messages are not lost: the durable keeps them.
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def handle(self, msg: Msg) -> None:
        headers = dict(msg.headers or {})
        delivered = msg.metadata.num_delivered
        try:
            envelope = events_pb2.EventEnvelope.FromString(msg.data)
            subscription = self.subscriptions.get(msg.subject)
            if subscription is None:
                raise PoisonEvent(f"no handler for subject {msg.subject}")
            payload = subscription.payload_type()
            if not envelope.payload.Unpack(payload):
                raise PoisonEvent(f"payload is {envelope.payload.TypeName()}, not {payload.DESCRIPTOR.full_name}")
        except (DecodeError, PoisonEvent) as exc:
            await self._dead_letter(msg, headers.get("Nats-Msg-Id", ""), repr(exc), delivered)
            await msg.term()
            return
        with _tracer.start_as_current_span(
            f"{msg.subject} process",
            context=extract_context(headers),  # type: ignore[arg-type]
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self.consumer,
                "messaging.message.id": envelope.event_id,
            },
        ):
            try:
                if subscription.wanted is not None and not subscription.wanted(payload):
                    applied = True  # nothing to do: no unit of work, no inbox entry
                else:
                    applied = await self._apply(envelope, payload, subscription)
            except PoisonEvent as exc:
                await self._dead_letter(msg, envelope.event_id, repr(exc), delivered)
                await msg.term()
                return
            except Exception as exc:
                if delivered >= self.policy.max_deliver:
                    await self._dead_letter(msg, envelope.event_id, repr(exc), delivered)
                    await msg.term()
                else:
                    log.warning(
                        "handler failed, will retry",
                        extra={"subject": msg.subject, "event_id": envelope.event_id, "error": repr(exc)},
                    )
                    await msg.nak(delay=self.policy.nak_delay(delivered))
                return
            failpoint("consumer.after_commit")
            await msg.ack()
            if applied:
                self.applied += 1
            else:
                self.skipped_duplicates += 1

    async def _apply_in_one(self, envelope: events_pb2.EventEnvelope, payload: Message, one: OneStatement) -> bool:
        """The effect and the inbox entry in one autocommit statement (PostgreSQL): True when
        both were written."""
        effect = one.params(envelope, payload)
        if effect is None:
            return False
        params = effect | {
            "inbox_consumer": self.consumer,
            "inbox_event_id": envelope.event_id,
            "inbox_subject": envelope.subject,
            "inbox_received_at": utcnow(),
        }
        async with self.db.autocommit() as conn:
            for _ in range(max(one.attempts, 1)):
                recorded, made, ready, again = (await conn.execute(one.statement, params)).one()
                if recorded == 1 and made == 0:  # `ready` promised an effect not made: the handler makes it
                    log.error(
                        "one-statement effect not made after its inbox entry; the handler runs",
                        extra={"consumer": self.consumer, "subject": envelope.subject, "event_id": envelope.event_id},
                    )
                    await conn.execute(_INBOX_DELETE, {"consumer": self.consumer, "event_id": envelope.event_id})
                    return False
                if recorded == 1 or ready or not again:  # applied; a duplicate; or no use trying again
                    break
        if recorded != 1:
            return False
        self.db.committed(frozenset())  # as the handler's unit of work names no company either
        return True

    async def _apply(self, envelope: events_pb2.EventEnvelope, payload: Message, subscription: Subscription) -> bool:
        """Record the event in the inbox and run its effect in one transaction. False if already applied."""
        one = subscription.one_statement
        if one is not None and not self.db.is_sqlite and await self._apply_in_one(envelope, payload, one):
            return True
        handler = subscription.handler
        async with UnitOfWork(self.db, source=self.consumer) as uow:
            # one statement records the event or finds it recorded (a concurrent duplicate
            # waits here on PostgreSQL until the first commits, then finds it), before the effect
            recorded = await uow.session.execute(
                INBOX_INSERT,
                {
                    "consumer": self.consumer,
                    "event_id": envelope.event_id,
                    "subject": envelope.subject,
                    "received_at": utcnow(),
                },
            )
            if recorded.rowcount != 1:  # type: ignore[attr-defined]
                return False
            await handler(Delivery(envelope=envelope, payload=payload, uow=uow))
            # A duplicate was found above, so a constraint failing here is the effect's own:
            # it propagates (nak'ed and retried, dead-lettered at the last delivery), never
            # acked as if applied.
            await uow.commit()
            return True

    async def _dead_letter(
        self,
        msg: Msg | None,
        event_id: str,
        error: str,
        delivered: int,
        *,
        subject: str = "",
        data: bytes = b"",
        headers: dict[str, str] | None = None,
        stream_seq: int = 0,
    ) -> None:
        if msg is not None:
            subject, data, headers, stream_seq = (
                msg.subject,
                msg.data,
                dict(msg.headers or {}),
                msg.metadata.sequence.stream,
            )
        values: dict[str, Any] = {
            "consumer": self.consumer,
            "event_id": event_id or f"seq-{stream_seq}",
            "subject": subject,
            "stream_seq": stream_seq,
            "payload": data,
            "headers": headers or {},
            "error": error,
            "deliveries": delivered,
            "created_at": utcnow(),
        }
        dialect = postgresql if not self.db.is_sqlite else sqlite
        stmt = dialect.insert(DeadLetter).values(**values).on_conflict_do_nothing()
        async with UnitOfWork(self.db, source=self.consumer) as uow:
            await uow.session.execute(stmt)
            await uow.commit()
        self.dead_lettered += 1
        log.error(
            "event dead-lettered",
            extra={"consumer": self.consumer, "subject": subject, "event_id": event_id, "error": error},
        )

    async def _watch_max_deliveries(self) -> None:
        """Dead-letter what the server stopped delivering because every attempt died unacked."""
        subject = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{self.stream.name}.{self.consumer}"
        while not self._stopping.is_set():
            try:
                client = await self.nats.client()
                sub = await client.subscribe(subject)
                while not self._stopping.is_set():
                    try:
                        advisory = await sub.next_msg(timeout=1.0)
                    except TimeoutError:
                        continue
                    with self._handling():
                        await self._record_advisory(json.loads(advisory.data))
                await sub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("max-deliveries advisory watch failed, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(1.0)

    async def _record_advisory(self, advisory: dict[str, Any]) -> None:
        seq = int(advisory.get("stream_seq", 0))
        js = await self.nats.jetstream()
        raw = await js.get_msg(self.stream.name, seq)
        headers = {k: str(v) for k, v in (raw.headers or {}).items()}
        await self._dead_letter(
            None,
            headers.get("Nats-Msg-Id", ""),
            "max deliveries reached without an ack",
            int(advisory.get("deliveries", 0)),
            subject=raw.subject or "",
            data=raw.data or b"",
            headers=headers,
            stream_seq=seq,
        )


__all__ = ["ConsumerPolicy", "Delivery", "EventConsumer", "OneStatement", "PoisonEvent", "Subscription"]
