"""Admission control for bookings: at most N sagas run at once per gateway process; the rest
wait their turn (bounded), so a rush on a popular slot queues at the door instead of pushing
every saga's calls past their deadlines at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shutterbook_kit.errors import Unavailable
from shutterbook_kit.settings import env_int


class AdmissionGate:
    def __init__(self, limit: int | None = None, wait_seconds: float | None = None) -> None:
        self.limit = limit or env_int("GATEWAY_MAX_CONCURRENT_BOOKINGS", 16)
        self.wait_seconds = wait_seconds or float(env_int("GATEWAY_BOOKING_QUEUE_SECONDS", 60))
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
