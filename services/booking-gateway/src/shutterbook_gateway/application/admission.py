"""Admission control for bookings: at most N sagas run at once per gateway process; the rest
wait their turn (bounded), so a rush on a popular slot queues at the door instead of pushing
every saga's calls past their deadlines at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shutterbook_kit.errors import Unavailable


class AdmissionGate:
    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._slots = asyncio.Semaphore(self.limit)

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
        except TimeoutError as exc:
            raise Unavailable("the booking service is busy; retry shortly", reason="BUSY") from exc
        try:
            yield
        finally:
            self._slots.release()
