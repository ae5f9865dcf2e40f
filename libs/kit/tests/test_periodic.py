"""The kit's periodic worker loop: rounds repeat, a failing round does not end the worker, a
round with more work is followed at once, and stop() ends it between rounds."""

from __future__ import annotations

import asyncio

from shutterbook_kit.periodic import PeriodicWorker


class Scripted(PeriodicWorker):
    """Each round takes the next outcome: True/False (more work or not) or an exception."""

    def __init__(self, outcomes: list[bool | Exception], interval: float) -> None:
        super().__init__(name="scripted", interval=interval)
        self.outcomes = outcomes
        self.rounds = 0
        self.done = asyncio.Event()

    async def run_once(self) -> bool:
        self.rounds += 1
        if not self.outcomes:
            self.done.set()
            return False
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


async def test_a_failing_round_is_followed_by_the_next() -> None:
    worker = Scripted([RuntimeError("database away"), False], interval=0.01)
    worker.start()
    await asyncio.wait_for(worker.done.wait(), timeout=30)
    await worker.stop()
    assert worker.rounds >= 3  # the failure, the empty round, then the one that set `done`


async def test_more_work_skips_the_wait_and_stop_ends_the_loop() -> None:
    # an interval far longer than the test: only rounds that report more work can follow at once
    worker = Scripted([True, True, True], interval=3600)
    worker.start()
    await asyncio.wait_for(worker.done.wait(), timeout=30)
    assert worker.rounds == 4
    await asyncio.wait_for(worker.stop(), timeout=30)  # wakes the worker from its hour's sleep
    assert worker.stopping
    assert worker.rounds == 4
