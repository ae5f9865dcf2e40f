"""The NATS connection of a service, and the JetStream streams it owns.

The connection is made in the background and re-made forever: a service starts, serves
and writes its outbox while NATS is down; events wait in the outbox until it is back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

log = logging.getLogger(__name__)

# How long JetStream remembers a Nats-Msg-Id to drop a republished event as a duplicate.
# Longer than the relay's claim lease, so a relay that died mid-batch is covered.
DUPLICATE_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class StreamSpec:
    """A domain's event stream: `CLIENTS` holds `clients.>`, and so on."""

    domain: str

    @property
    def name(self) -> str:
        return self.domain.upper()

    @property
    def subjects(self) -> list[str]:
        return [f"{self.domain}.>"]


class NatsConnection:
    def __init__(self, url: str, *, name: str, jetstream_replicas: int = 1) -> None:
        self.url = url
        self.name = name
        self.replicas = jetstream_replicas
        self._client: NatsClient | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._connect_forever(), name=f"nats-connect-{self.name}")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                self._client = await nats.connect(
                    self.url,
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                )
                self._connected.set()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS not up yet: keep trying, the outbox buffers meanwhile
                log.warning("nats connect failed, retrying", extra={"error": str(exc), "url": self.url})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def client(self) -> NatsClient:
        await self._connected.wait()
        assert self._client is not None
        return self._client

    async def jetstream(self) -> JetStreamContext:
        return (await self.client()).jetstream(timeout=5)

    async def ensure_stream(self, spec: StreamSpec) -> None:
        """Create or update the stream idempotently, with replicas from configuration."""
        js = await self.jetstream()
        config = StreamConfig(
            name=spec.name,
            subjects=spec.subjects,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=30 * 24 * 3600.0,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=self.replicas,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._client is not None and not self._client.is_closed:
            try:
                await asyncio.wait_for(self._client.drain(), timeout=5)
            except Exception:
                await self._client.close()
