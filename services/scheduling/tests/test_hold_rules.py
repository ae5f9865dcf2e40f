"""Pure rules of holding and booking online slots: how far a busy check reaches, when a hold
still holds, the per-client limit. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shutterbook_scheduling.domain import online_slots as rules
from shutterbook_scheduling.domain.rules import Interval

T = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def test_reach_spans_every_slot_widened_by_the_widest_buffers() -> None:
    spans = [(at(60), at(120)), (at(0), at(30)), (at(90), at(180))]
    assert rules.reach(spans, 0) == Interval(at(0), at(180))
    assert rules.reach(iter(spans), 25) == Interval(at(-25), at(205))


def test_reach_of_one_slot() -> None:
    assert rules.reach([(at(0), at(60))], 10) == Interval(at(-10), at(70))


def test_a_hold_holds_until_it_expires() -> None:
    assert rules.hold_is_live(True, at(1), at(0))
    assert not rules.hold_is_live(True, at(0), at(0))  # expires_at <= now: expired
    assert not rules.hold_is_live(True, at(-1), at(0))
    assert not rules.hold_is_live(False, at(60), at(0))  # released or booked


def test_hold_limit() -> None:
    assert not rules.too_many_holds(0, 1)
    assert not rules.too_many_holds(2, 3)
    assert rules.too_many_holds(3, 3)
    assert rules.too_many_holds(4, 3)
