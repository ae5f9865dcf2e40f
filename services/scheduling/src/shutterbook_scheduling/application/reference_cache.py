"""The reference data an online booking reads, kept in this process's memory: the locations,
schedules, session and appointment types and session statuses of `setup.load_resource`, on the online booking
paths only (HoldSlot, BookOnline and the rest that memoize, `holds.memoized`), so a booking
reads its slot's type, location and schedules without a statement (issue 19: "caches for
reference data"; README, "Open slots: the read model, caches and staleness").

- **What**: the domain object (frozen) of a resource found, keyed by company, collection and
  id, with the location it is at (a location's own id, a schedule's location) so the caller's
  location scope is applied on every hit as the statement would. A resource not found (or
  outside the caller's scope) is not kept. Staff are not kept (no event tells other replicas
  of their changes).
- **Invalidation**: a company's generation is bumped (what was kept for it is never served
  again) after this process commits a change of one of them (`setup_convert.edge`: the
  change's unit of work, `UnitOfWork.after_commit`), and when any replica's change event is
  heard (`scheduling.location.changed`, `.schedule.changed`, `.session_type.changed`,
  `.appointment_type.changed`, `.session_status.changed`: `events.REFERENCE_EVENTS`, a kit
  `CacheFeed`, a per-process broadcast listener). A reader
  takes the generation before its statement and keeps what it read only if the generation is
  unchanged after, so a read from before a change never outlives the change's bump.
- **Staleness**: in this process none (the bump follows the commit); another replica's change
  is seen once its event arrives (the event lag, tens of milliseconds), and at most
  `reference_ttl_seconds` (30 s) after when the event is missed (NATS away). Nothing is kept
  until the feed hears events. A booking a moment behind a type's edit on another replica is
  booked as the type was (as one committed a moment earlier would have been); its slot's
  openness is still decided against the database.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shutterbook_kit.db import Database
from shutterbook_kit.generations import Generations

# the collections kept: those whose changes every replica hears (`events.REFERENCE_EVENTS`)
CACHED = frozenset({"locations", "schedules", "sessionTypes", "appointmentTypes", "sessionStatuses"})


class Envelope(Protocol):
    @property
    def company_id(self) -> str: ...


@dataclass(frozen=True)
class Kept:
    """A resource kept: its domain object and the location it is at (None: company-wide)."""

    resource: Any
    location_id: str | None
    generation: int
    expires: float  # monotonic clock


class ReferenceCache:
    def __init__(
        self, ttl_seconds: float, max_entries: int = 20_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self.hearing = False  # set once change events are heard (its `CacheFeed`); nothing is kept before
        self._kept: dict[tuple[str, str, str], Kept] = {}
        self._generations = Generations()
        self.hits = 0  # for tests and the bench
        self.reads = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    def generation(self, company_id: str) -> int:
        return self._generations.of(company_id)

    def bump(self, company_id: str) -> None:
        """What was kept for the company is not served again."""
        self._generations.bump(company_id)

    def heard(self, envelope: Envelope, _event: Any) -> None:
        """A broadcast listener: a replica's change of a location, schedule, type or status."""
        if envelope.company_id:
            self.bump(envelope.company_id)

    def get(self, company_id: str, collection: str, doc_id: str) -> Kept | None:
        """What is kept for the resource, while current; None: read it (`generation` first)."""
        key = (company_id, collection, doc_id)
        kept = self._kept.get(key)
        if kept is None or not self.hearing:
            return None
        if kept.generation != self.generation(company_id) or self.clock() >= kept.expires:
            del self._kept[key]
            return None
        self.hits += 1
        return kept

    def keep(
        self, company_id: str, collection: str, doc_id: str, resource: Any, location_id: str | None, generation: int
    ) -> None:
        """Keep what was read at `generation` (taken before the statement), unless the company
        changed since (then the read may be older than the change) or nothing is heard yet."""
        self.reads += 1
        if not self.enabled or not self.hearing or generation != self.generation(company_id):
            return
        key = (company_id, collection, doc_id)
        self._kept.pop(key, None)
        while len(self._kept) >= self.max_entries:
            del self._kept[next(iter(self._kept))]  # the oldest kept
        self._kept[key] = Kept(resource, location_id, generation, self.clock() + self.ttl_seconds)

    def __len__(self) -> int:
        return len(self._kept)


# One cache per database of this process (a test may run two replicas in one process), made
# when the online booking service is registered; the setup changes of the same database bump it.
_CACHES: weakref.WeakKeyDictionary[Database, ReferenceCache] = weakref.WeakKeyDictionary()


def install(db: Database, ttl_seconds: float) -> ReferenceCache:
    """The process's cache over `db` (made once)."""
    cache = _CACHES.get(db)
    if cache is None:
        cache = _CACHES[db] = ReferenceCache(ttl_seconds)
    return cache


def cache_of(db: Database) -> ReferenceCache | None:
    """The cache over `db`, when one is installed and keeps anything."""
    cache = _CACHES.get(db)
    return cache if cache is not None and cache.enabled else None
