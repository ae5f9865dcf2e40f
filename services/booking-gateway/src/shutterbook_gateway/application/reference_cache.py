"""Reference data read from scheduling (session and appointment types, locations), kept in the
process for `ttl_seconds` (SHUTTERBOOK_GATEWAY_REFERENCE_CACHE_SECONDS), so an open-slot query
or a booking does not ask for them on every request.

Entries are per company and per caller scope (kind and locations: what scheduling shows one
key it may not show another). Only answers are kept, never errors. Scheduling announces every
change of a location, schedule or type (`scheduling.location.changed`, ...: shared_events), and
each gateway process drops the company's entries when it hears one (`forget_company`), so a
type switched off online or a renamed location shows within the event's lag; the TTL is what
is left when an event is missed (NATS away). Nothing is decided on it: the hold and the
booking are checked by scheduling against its database.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from shutterbook_kit.generations import Generations

T = TypeVar("T")


class ReferenceCache:
    def __init__(
        self, ttl_seconds: float = 0.0, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[tuple[str, Hashable], tuple[float, Any]] = {}
        self._generations = Generations()  # per company: forgets so far
        self.hits = 0
        self.misses = 0

    async def get(self, company_id: str, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The company's value under `key`, loaded (and kept) when absent or expired. A load
        that a `forget_company` overtook is answered but not kept (it may predate the change)."""
        key = (company_id, key)
        generation = self._generations.of(company_id)
        entry = self._entries.get(key)
        now = self.clock()
        if entry is not None and entry[0] > now:
            self.hits += 1
            value: T = entry[1]
            return value
        self.misses += 1
        loaded = await load()
        if self.ttl_seconds > 0 and self._generations.of(company_id) == generation:
            self._entries.pop(key, None)
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (now + self.ttl_seconds, loaded)
        return loaded

    def forget_company(self, company_id: str) -> None:
        """Drop every entry of the company (a location, schedule or type of it changed)."""
        self._generations.bump(company_id)
        for key in [k for k in self._entries if k[0] == company_id]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
