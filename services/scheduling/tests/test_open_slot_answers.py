"""The open-slot answers' rules, with clocks in hand: what is served from memory, what is not
kept (a read overtaken by a write), when an entry expires, what the bounds drop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from shutterbook_scheduling.application.online_slots import OpenSlotsAnswer
from shutterbook_scheduling.application.open_slot_answers import OpenSlotAnswers
from shutterbook_scheduling.settings import OpenSlotAnswerSettings

COMPANY = "company-a"
OTHER = "company-b"


class Clocks:
    def __init__(self) -> None:
        self.monotonic = 100.0
        self.wall = 1_800_000_000.0


def model(clocks: Clocks, ttl: float = 5.0, max_entries: int = 100, max_bytes: int = 1 << 20) -> OpenSlotAnswers:
    answers = OpenSlotAnswers(
        OpenSlotAnswerSettings(ttl_seconds=ttl, max_entries=max_entries, max_bytes=max_bytes),
        clock=lambda: clocks.monotonic,
        wall_clock=lambda: clocks.wall,
    )
    answers.hearing = True
    return answers


class Source:
    """A computation that counts its calls and answers `value` (changes_at: `changes_at`)."""

    def __init__(self, value: bytes, changes_at: datetime | None = None) -> None:
        self.value = value
        self.changes_at = changes_at
        self.calls = 0

    async def __call__(self) -> OpenSlotsAnswer:
        self.calls += 1
        return OpenSlotsAnswer(self.value, self.changes_at)


class Gated:
    """A computation that says it started, then waits to be released, answering `value`;
    counts its calls."""

    def __init__(self, value: bytes) -> None:
        self.value = value
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def __call__(self) -> OpenSlotsAnswer:
        self.calls += 1
        self.started.set()
        await self.release.wait()
        return OpenSlotsAnswer(self.value)


async def test_kept_until_the_company_is_bumped() -> None:
    answers = model(Clocks())
    source = Source(b"one")
    assert await answers.answer(COMPANY, b"q", source) == b"one"
    assert await answers.answer(COMPANY, b"q", source) == b"one"
    assert (source.calls, answers.hits) == (1, 1)
    answers.committed(frozenset({OTHER}))  # another company's write keeps it
    assert await answers.answer(COMPANY, b"q", source) == b"one"
    assert source.calls == 1
    answers.committed(frozenset({COMPANY}))
    source.value = b"two"
    assert await answers.answer(COMPANY, b"q", source) == b"two"
    assert source.calls == 2


async def test_every_request_field_and_company_is_its_own_key() -> None:
    answers = model(Clocks())
    source = Source(b"x")
    for company, request in ((COMPANY, b"q1"), (COMPANY, b"q2"), (OTHER, b"q1")):
        await answers.answer(company, request, source)
    assert (source.calls, len(answers)) == (3, 3)


async def test_a_read_overtaken_by_a_write_is_not_kept() -> None:
    answers = model(Clocks())
    slow = Gated(b"before the write")
    reader = asyncio.create_task(answers.answer(COMPANY, b"q", slow))
    await slow.started.wait()
    answers.bump(COMPANY)  # a write commits while the read runs
    slow.release.set()
    assert await reader == b"before the write"  # this caller asked before the write ended
    after = Source(b"after the write")
    assert await answers.answer(COMPANY, b"q", after) == b"after the write"
    assert after.calls == 1
    assert len(answers) == 1


async def test_concurrent_misses_share_one_computation_of_their_generation() -> None:
    answers = model(Clocks())
    slow = Gated(b"shared")
    readers = [asyncio.create_task(answers.answer(COMPANY, b"q", slow)) for _ in range(5)]
    await asyncio.sleep(0)
    answers.bump(COMPANY)
    late = asyncio.create_task(answers.answer(COMPANY, b"q", slow))  # after the write: not joined
    await asyncio.sleep(0)
    slow.release.set()
    assert await asyncio.gather(*readers, late) == [b"shared"] * 6
    assert slow.calls == 2


async def test_expires_after_the_ttl_and_when_time_changes_the_answer() -> None:
    clocks = Clocks()
    answers = model(clocks, ttl=5.0)
    source = Source(b"x")
    await answers.answer(COMPANY, b"q", source)
    clocks.monotonic += 4.9
    await answers.answer(COMPANY, b"q", source)
    assert source.calls == 1
    clocks.monotonic += 0.2
    await answers.answer(COMPANY, b"q", source)
    assert source.calls == 2

    # a slot reaches its minimum notice (or a hold expires) one second from now
    source.changes_at = datetime.fromtimestamp(clocks.wall + 1.0, UTC)
    await answers.answer(COMPANY, b"r", source)
    await answers.answer(COMPANY, b"r", source)
    assert source.calls == 3
    clocks.wall += 1.0
    await answers.answer(COMPANY, b"r", source)
    assert source.calls == 4


async def test_ttl_zero_keeps_nothing() -> None:
    answers = model(Clocks(), ttl=0.0)
    source = Source(b"x")
    for _ in range(3):
        assert await answers.answer(COMPANY, b"q", source) == b"x"
    assert (source.calls, len(answers), answers.enabled) == (3, 0, False)


async def test_nothing_is_kept_before_events_are_heard() -> None:
    answers = model(Clocks())
    answers.hearing = False
    source = Source(b"x")
    await answers.answer(COMPANY, b"q", source)
    await answers.answer(COMPANY, b"q", source)
    assert (source.calls, len(answers)) == (2, 0)


async def test_bounded_by_entries_and_bytes_oldest_first() -> None:
    answers = model(Clocks(), max_entries=3, max_bytes=12)  # an entry: its key's bytes and its answer's
    for n in range(5):
        await answers.answer(COMPANY, f"q{n}".encode(), Source(b"ab"))
    assert len(answers) == 3
    source = Source(b"ab")
    await answers.answer(COMPANY, b"q4", source)
    await answers.answer(COMPANY, b"q0", source)
    assert source.calls == 1  # q4 kept, q0 dropped
    await answers.answer(COMPANY, b"big", Source(b"123456789"))  # 3 + 9 bytes: only it fits
    assert len(answers) == 1
    await answers.answer(COMPANY, b"huge", Source(b"12345678901"))  # larger than the bound: never kept
    assert len(answers) == 1


async def test_a_fresh_call_computes_and_its_answer_serves_the_next() -> None:
    """`fresh` (the gateway after an event this replica may not have heard): never a kept
    answer, but what it computed is kept for the calls after it."""
    answers = model(Clocks())
    source = Source(b"old")
    assert await answers.answer(COMPANY, b"q", source) == b"old"
    source.value = b"new"  # another replica's write, its event not heard here yet
    assert await answers.answer(COMPANY, b"q", source) == b"old"
    assert await answers.answer(COMPANY, b"q", source, fresh=True) == b"new"
    assert await answers.answer(COMPANY, b"q", source) == b"new"
    assert source.calls == 2


async def test_a_large_request_counts_against_the_bound() -> None:
    """A request padded to be large costs its size: it cannot pin memory beyond the bound."""
    answers = model(Clocks(), max_bytes=100)
    await answers.answer(COMPANY, b"q", Source(b"small"))
    await answers.answer(COMPANY, b"x" * 96, Source(b"ab"))  # 98 bytes: the small one makes way
    assert len(answers) == 1
    await answers.answer(COMPANY, b"y" * 200, Source(b"ab"))  # over the bound: never kept
    assert len(answers) == 1


async def test_an_older_computation_never_replaces_a_fresh_answer() -> None:
    """A computation started before a `fresh` call and finishing after it does not overwrite
    the fresh answer, and callers after the fresh call join it, not the older one."""
    answers = model(Clocks())
    slow = Gated(b"before")
    older = asyncio.create_task(answers.answer(COMPANY, b"q", slow))
    await slow.started.wait()
    assert await answers.answer(COMPANY, b"q", Source(b"after"), fresh=True) == b"after"
    slow.release.set()
    assert await older == b"before"  # its own caller gets what it read
    assert await answers.answer(COMPANY, b"q", Source(b"never")) == b"after"


async def test_an_older_computation_finishing_first_is_not_kept_over_a_running_fresh_one() -> None:
    """Older finishes while the `fresh` computation still runs: it is not kept, so no caller in
    between is served what was read before the fresh call; they join the fresh computation."""
    answers = model(Clocks())
    before, after = Gated(b"before"), Gated(b"after")
    older = asyncio.create_task(answers.answer(COMPANY, b"q", before))
    await before.started.wait()
    fresh = asyncio.create_task(answers.answer(COMPANY, b"q", after, fresh=True))
    await after.started.wait()
    before.release.set()
    assert await older == b"before"
    later = asyncio.create_task(answers.answer(COMPANY, b"q", Source(b"never")))
    after.release.set()
    assert (await fresh, await later) == (b"after", b"after")
    assert await answers.answer(COMPANY, b"q", Source(b"never")) == b"after"
