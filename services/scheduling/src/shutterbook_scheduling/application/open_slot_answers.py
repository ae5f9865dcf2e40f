"""Scheduling's read model of ListOpenSlots answers: each answer kept in this process's memory
as the response's bytes, so a repeated query (the gateway rebuilding its model, staff tools
polling a month) is answered without a statement or an encoding (README, "Open slots: the
read model, caches and staleness").

- **Key**: the company, the caller's location scope and the request's bytes (every field:
  type, location, dates, page size and token). ListOpenSlots does not filter by scope today;
  the scope is in the key anyway, so a scoped listing could never be served another scope's
  answer.
- **Value**: the encoded response, the company's generation when it was computed, and when it
  expires: the earliest of now + `ttl_seconds` and the instant time alone may change it
  (`online_slots.OpenSlotsAnswer.changes_at`: a listed slot reaching its minimum notice or
  start, a hold of the company expiring, a slot coming within its maximum advance).
- **Invalidation**: a company's generation is bumped (its answers are then never served again)
  after every committed writing unit of work of this process that names the company
  (`UnitOfWork` commit listeners: its events, audit entries, call context); that is more than
  the writes that change open slots, and the simplest rule that misses none of them. Other
  replicas' writes arrive as their events: every process subscribes to scheduling's own
  subjects (`events.PUBLISHED`, a kit `CacheFeed`, a plain per-process broadcast listener: no inbox, a bump
  twice is harmless) and bumps the event's company. Until that subscription is made nothing
  is kept; an event missed later (NATS away) leaves an answer stale for at most the TTL.
- **Races**: a reader takes the generation before computing and keeps its answer only if the
  generation is unchanged after, so an answer read before a write is never kept past the
  write's bump (which the writer makes before it answers its own caller). Concurrent misses of
  one key at one generation share one computation.
- **Bounds**: at most `max_entries` answers and `max_bytes` of them; the oldest go first.

`ttl_seconds` 0 keeps nothing: every call computes (what ListOpenSlots did before).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shutterbook_kit.generations import Generations
from shutterbook_scheduling.application.online_slots import OpenSlotsAnswer
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.settings import OpenSlotAnswerSettings


class Envelope(Protocol):
    """What a heard event's envelope tells the read model: its company."""

    @property
    def company_id(self) -> str: ...


Key = tuple[str, tuple[str, ...] | None, bytes]  # company, scope (None: every location), request bytes
Compute = Callable[[], Awaitable[OpenSlotsAnswer]]


@dataclass(frozen=True)
class Entry:
    encoded: bytes
    generation: int
    started: int  # the computation's order of start: an older one never replaces a newer
    expires: float  # monotonic clock: now + the TTL
    changes_at: float  # wall clock, epoch seconds: time alone may change the answer (inf: never)


class OpenSlotAnswers:
    def __init__(
        self,
        settings: OpenSlotAnswerSettings,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_seconds = settings.ttl_seconds
        self.max_entries = settings.max_entries
        self.max_bytes = settings.max_bytes
        self.clock = clock
        self.wall_clock = wall_clock
        self.hearing = False  # set once other replicas' events are heard (its `CacheFeed`); nothing is kept before
        self._entries: dict[Key, Entry] = {}
        self._bytes = 0
        self._generations = Generations()
        self._inflight: dict[tuple[Key, int], asyncio.Task[OpenSlotsAnswer]] = {}
        self._started = 0
        self.hits = 0  # answers served from memory, and computed (for tests and the bench)
        self.computed = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    def generation(self, company_id: str) -> int:
        return self._generations.of(company_id)

    # ------------------------------------------------------------------ invalidation

    def bump(self, company_id: str) -> None:
        """The company's answers kept so far are not served again."""
        self._generations.bump(company_id)

    def committed(self, companies: frozenset[str]) -> None:
        """A commit listener (`Database.commit_listeners`): bump each company the unit of work named."""
        for company_id in companies:
            self.bump(company_id)

    def heard(self, envelope: Envelope, _event: Any) -> None:
        """A broadcast listener: an event of scheduling (this replica's or another's) bumps its company."""
        if envelope.company_id:
            self.bump(envelope.company_id)

    # ------------------------------------------------------------------ answering

    def key(self, company_id: str, request_bytes: bytes) -> Key:
        scope = caller_scope()
        return company_id, None if scope is None else tuple(sorted(scope)), request_bytes

    async def answer(self, company_id: str, request_bytes: bytes, compute: Compute, *, fresh: bool = False) -> bytes:
        """The answer's bytes: kept ones while current, else `compute()`'s (kept when nothing
        bumped the company meanwhile). `request_bytes`: the request, serialized deterministically.
        `fresh`: the caller heard of a change this process may not have heard of yet (the
        gateway refilling a day after an event, when several replicas serve): computed now,
        never a kept answer nor a computation started before this call, and kept for others."""
        if not self.enabled:
            return (await compute()).encoded
        key = self.key(company_id, request_bytes)
        generation = self.generation(company_id)
        entry = self._entries.get(key)
        if fresh:  # and what later callers of this generation join, not an older computation
            return (await asyncio.shield(self._start(key, generation, compute))).encoded
        if entry is not None:
            if entry.generation == generation and self.clock() < entry.expires and self.wall_clock() < entry.changes_at:
                self.hits += 1
                return entry.encoded
            self._drop(key)
        running = self._inflight.get((key, generation)) or self._start(key, generation, compute)
        return (await asyncio.shield(running)).encoded

    def _start(self, key: Key, generation: int, compute: Compute) -> asyncio.Task[OpenSlotsAnswer]:
        self._started += 1
        running = asyncio.ensure_future(self._compute(key, generation, self._started, compute))
        self._inflight[(key, generation)] = running
        running.add_done_callback(lambda task: self._finished(key, generation, task))
        return running

    def _finished(self, key: Key, generation: int, task: asyncio.Task[OpenSlotsAnswer]) -> None:
        if self._inflight.get((key, generation)) is task:
            del self._inflight[(key, generation)]
        if not task.cancelled():
            task.exception()  # retrieved: its awaiting callers (if any are left) raised it

    async def _compute(self, key: Key, generation: int, started: int, compute: Compute) -> OpenSlotsAnswer:
        self.computed += 1
        answer = await compute()
        newer = self._inflight.get((key, generation))
        if newer is not None and newer is not asyncio.current_task():
            return answer  # a computation started later (a `fresh` one) is running: what callers join and keep
        if self.hearing and self.generation(key[0]) == generation:
            changes_at = answer.changes_at.timestamp() if answer.changes_at is not None else float("inf")
            entry = Entry(answer.encoded, generation, started, self.clock() + self.ttl_seconds, changes_at)
            self._store(key, entry)
        return answer

    def _store(self, key: Key, entry: Entry) -> None:
        kept = self._entries.get(key)
        if kept is not None and kept.started > entry.started:
            return  # a computation started later (a `fresh` one, say) was kept first
        size = _size(key, entry)
        if size > self.max_bytes:
            return
        self._drop(key)
        while self._entries and (len(self._entries) >= self.max_entries or self._bytes + size > self.max_bytes):
            self._drop(next(iter(self._entries)))  # the oldest kept
        self._entries[key] = entry
        self._bytes += size

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= _size(key, entry)

    def __len__(self) -> int:
        return len(self._entries)


def _size(key: Key, entry: Entry) -> int:
    """What an entry costs: its answer and its key (a request may be large)."""
    return len(entry.encoded) + len(key[2]) + sum(len(s) for s in key[1] or ())
