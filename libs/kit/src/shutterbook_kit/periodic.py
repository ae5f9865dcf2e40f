"""A host Worker (`grpc_server.Worker`) that runs one round of work every `interval` seconds
until it is stopped: the loop the reminder, standing-pattern, picture-day close, bulk-job and
email-sending workers share.

A round that fails is logged and the next one runs: whatever a round holds (a lease, a claim)
expires by itself, so a database hiccup never ends the worker. A round that says more work may
be waiting is followed at once by the next; otherwise the worker sleeps `interval` seconds, or
until it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class PeriodicWorker(ABC):
    def __init__(self, *, name: str, interval: float) -> None:
        self.name = name
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        """True once `stop` was called: a long round checks it between its steps."""
        return self._stop.is_set()

    @abstractmethod
    async def run_once(self) -> bool:
        """One round of work; True when more may be waiting (the next round starts at once)."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while not self._stop.is_set():
            more = False
            try:
                more = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next round retries; what this one held expires by itself
                log.exception("%s: round failed, the next one retries", self.name)
            if not more:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.interval)
