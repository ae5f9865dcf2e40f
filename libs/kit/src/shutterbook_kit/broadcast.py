"""Events every process of a service hears (cache invalidation, read models kept in memory).

A durable consumer (`consumer.py`) hands each event to ONE replica, exactly once, with an
inbox; a cache lives in every replica, so each must hear every event. `BroadcastListener`
is a plain NATS subscription per process on the events' subjects (JetStream publishes them
on those subjects): no durable state, no inbox, no redelivery. An event published while the
process was disconnected is not heard, so whatever a listener keeps must also expire by
itself (a TTL) or be rebuilt on `on_reconnect`.

    listener = BroadcastListener(nats, name="gateway-caches")
    listener.on(API_KEY_REVOKED, lambda envelope, event: cache.forget(event.key_id))
    listener.start()   # ... await listener.stop()

`CacheFeed` is the common case: one in-memory cache fed some event types, keeping nothing
until its subscription is made (`cache.hearing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from google.protobuf.message import DecodeError, Message
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shutterbook.common.v1 import events_pb2
from shutterbook_kit.events import EventType
from shutterbook_kit.messaging import NatsConnection

log = logging.getLogger(__name__)

Listener = Callable[[events_pb2.EventEnvelope, Any], Awaitable[None] | None]


class BroadcastListener:
    def __init__(self, nats: NatsConnection, *, name: str) -> None:
        self.nats = nats
        self.name = name
        self._handlers: dict[str, tuple[type[Message], list[Listener]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._subs: list[Subscription] = []
        self.heard = 0  # events handled (for tests and metrics)
        self.subscribed = asyncio.Event()  # set once every subject is subscribed

    def on(self, event_type: EventType[Any], handler: Listener) -> None:
        """Call `handler(envelope, payload)` for each `event_type` event this process hears."""
        entry = self._handlers.setdefault(event_type.subject, (event_type.payload_type, []))
        entry[1].append(handler)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._subscribe(), name=f"broadcast-{self.name}")

    async def _subscribe(self) -> None:
        client = await self.nats.client()
        for subject in self._handlers:
            self._subs.append(await client.subscribe(subject, cb=self._deliver))
        await client.flush()
        self.subscribed.set()

    async def _deliver(self, msg: Msg) -> None:
        entry = self._handlers.get(msg.subject)
        if entry is None:
            return
        payload_type, handlers = entry
        try:
            envelope = events_pb2.EventEnvelope.FromString(msg.data)
            payload = payload_type()
            if not envelope.payload.Unpack(payload):
                raise DecodeError(f"payload is {envelope.payload.TypeName()}")
        except DecodeError as exc:
            log.warning("broadcast: undecodable event", extra={"subject": msg.subject, "error": repr(exc)})
            return
        for handler in handlers:
            try:
                result = handler(envelope, payload)
                if result is not None:
                    await result
            except Exception as exc:  # one listener's failure never stops the others
                log.warning("broadcast: listener failed", extra={"subject": msg.subject, "error": repr(exc)})
        self.heard += 1

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs.clear()


class HeardCache(Protocol):
    """A per-process cache kept true by events: it keeps nothing while `hearing` is false."""

    hearing: bool

    def heard(self, envelope: events_pb2.EventEnvelope, event: Any) -> None: ...


class CacheFeed:
    """`event_types` heard by this process, each handed to `cache.heard`; `cache.hearing` set
    once the subscription is made and cleared at stop (a `Worker`: started after the server,
    stopped before the database closes). An event missed while NATS is away is bounded by the
    cache's own TTL."""

    def __init__(
        self, nats: NatsConnection, cache: HeardCache, event_types: Iterable[EventType[Any]], *, name: str
    ) -> None:
        self.cache = cache
        self.listener = BroadcastListener(nats, name=name)
        for event_type in event_types:
            self.listener.on(event_type, cache.heard)
        self._waiting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.listener.start()
        self._waiting = asyncio.create_task(self._hear(), name=f"{self.listener.name}-hearing")

    async def _hear(self) -> None:
        await self.listener.subscribed.wait()
        self.cache.hearing = True

    async def stop(self) -> None:
        self.cache.hearing = False
        if self._waiting is not None:
            self._waiting.cancel()
        await self.listener.stop()
