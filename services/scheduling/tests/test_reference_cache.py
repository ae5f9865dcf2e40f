"""The reference cache's rules (application/reference_cache.py): nothing kept before change
events are heard; a read kept only when its company did not change while it was read; a bump
(a change committed here, or heard from a replica) ends what was kept; time ends it too; the
oldest goes first beyond the bound."""

from __future__ import annotations

from types import SimpleNamespace

from shutterbook_scheduling.application.reference_cache import ReferenceCache


def _cache(clock: list[float], *, max_entries: int = 20_000) -> ReferenceCache:
    cache = ReferenceCache(30.0, max_entries=max_entries, clock=lambda: clock[0])
    cache.hearing = True
    return cache


def test_nothing_is_kept_before_changes_are_heard() -> None:
    cache = ReferenceCache(30.0)
    cache.keep("c", "sessionTypes", "t", "the type", None, cache.generation("c"))
    assert cache.get("c", "sessionTypes", "t") is None
    assert len(cache) == 0


def test_a_read_is_kept_until_its_company_changes() -> None:
    cache = _cache([0.0])
    cache.keep("c", "schedules", "s", "the schedule", "l1", cache.generation("c"))
    kept = cache.get("c", "schedules", "s")
    assert kept is not None
    assert (kept.resource, kept.location_id) == ("the schedule", "l1")
    assert cache.get("other", "schedules", "s") is None  # keyed by company
    assert cache.get("c", "locations", "s") is None  # and by collection
    cache.heard(SimpleNamespace(company_id="other"), None)  # another company's change
    assert cache.get("c", "schedules", "s") is not None
    cache.heard(SimpleNamespace(company_id="c"), None)  # a replica's change of this company
    assert cache.get("c", "schedules", "s") is None


def test_a_read_from_before_a_change_is_not_kept() -> None:
    cache = _cache([0.0])
    before = cache.generation("c")  # taken before the statement
    cache.bump("c")  # a change committed while it ran
    cache.keep("c", "sessionTypes", "t", "the old type", None, before)
    assert cache.get("c", "sessionTypes", "t") is None


def test_time_and_the_bound_end_what_was_kept() -> None:
    clock = [0.0]
    cache = _cache(clock, max_entries=2)
    for name in ("a", "b", "c"):
        cache.keep("co", "locations", name, name, name, cache.generation("co"))
    assert cache.get("co", "locations", "a") is None  # the oldest, beyond the bound
    assert cache.get("co", "locations", "c") is not None
    clock[0] = 30.0
    assert cache.get("co", "locations", "c") is None  # its 30 s ran out
    cache.hearing = False  # the feed stopped: nothing served
    cache.keep("co", "locations", "d", "d", "d", cache.generation("co"))
    assert cache.get("co", "locations", "d") is None
