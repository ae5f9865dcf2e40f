"""The open-slot decision, pure: every reason a slot is not open, buffers included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shutterbook_scheduling.domain import online_slots as rules
from shutterbook_scheduling.domain.rules import Interval

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
START = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
SLOT = rules.SlotFacts(
    start=START,
    end=START + timedelta(hours=1),
    schedule_ids=("p", "room"),
    published=True,
    booked=False,
    removed=False,
    available_online=True,
    buffers=(0, 0),
    minimum_notice_minutes=0,
    maximum_advance_days=0,
)
EMPTY = rules.BusyIndex.of([])


def busy(*items: tuple[str, int, int]) -> rules.BusyIndex:
    """Intervals as (schedule, start minute, end minute) relative to START."""
    return rules.BusyIndex.of((s, START + timedelta(minutes=a), START + timedelta(minutes=b)) for s, a, b in items)


def test_open_slot() -> None:
    assert rules.why_not_open(SLOT, NOW, EMPTY, EMPTY) == ""


def test_flags() -> None:
    assert rules.why_not_open(replace(SLOT, published=False), NOW, EMPTY, EMPTY) == rules.NOT_PUBLISHED
    assert rules.why_not_open(replace(SLOT, booked=True), NOW, EMPTY, EMPTY) == rules.BOOKED
    assert rules.why_not_open(replace(SLOT, removed=True), NOW, EMPTY, EMPTY) == rules.REMOVED
    assert rules.why_not_open(replace(SLOT, available_online=False), NOW, EMPTY, EMPTY) == rules.NOT_ONLINE


def test_notice_and_advance() -> None:
    nine_days = 9 * 24 * 60
    assert (
        rules.why_not_open(replace(SLOT, minimum_notice_minutes=nine_days + 181), NOW, EMPTY, EMPTY) == rules.TOO_SOON
    )
    assert rules.why_not_open(replace(SLOT, minimum_notice_minutes=nine_days + 180), NOW, EMPTY, EMPTY) == ""
    assert rules.why_not_open(replace(SLOT, maximum_advance_days=9), NOW, EMPTY, EMPTY) == rules.TOO_FAR
    assert rules.why_not_open(replace(SLOT, maximum_advance_days=10), NOW, EMPTY, EMPTY) == ""
    assert rules.why_not_open(SLOT, START, EMPTY, EMPTY) == rules.PAST


def test_busy_on_any_schedule_half_open() -> None:
    assert rules.why_not_open(SLOT, NOW, busy(("room", 59, 90)), EMPTY) == rules.BUSY
    assert rules.why_not_open(SLOT, NOW, busy(("room", 60, 90), ("p", -30, 0)), EMPTY) == ""  # back to back
    assert rules.why_not_open(SLOT, NOW, busy(("other", 0, 60)), EMPTY) == ""
    assert rules.why_not_open(SLOT, NOW, EMPTY, busy(("p", 10, 20))) == rules.HELD


def test_buffers_widen_the_slot() -> None:
    buffered = replace(SLOT, buffers=(15, 15))
    assert rules.why_not_open(buffered, NOW, busy(("p", 70, 80)), EMPTY) == rules.BUSY
    assert rules.why_not_open(buffered, NOW, busy(("p", 75, 80)), EMPTY) == ""
    assert buffered.occupied == Interval(START - timedelta(minutes=15), START + timedelta(minutes=75))


def test_index_finds_a_long_interval_behind_short_ones() -> None:
    index = busy(("p", -600, 600), ("p", -500, -400), ("p", -300, -200))
    assert index.overlaps("p", Interval(START, START + timedelta(minutes=1)))
    assert not busy(("p", -500, -400), ("p", -300, -200)).overlaps("p", Interval(START, START + timedelta(minutes=1)))
