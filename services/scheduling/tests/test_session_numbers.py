"""The numbers a booking tries: from the company's next one, prefixed, a bounded search."""

from __future__ import annotations

from itertools import islice

from shutterbook_scheduling.domain import rules


def test_candidates_start_at_the_next_number_with_the_prefix() -> None:
    assert list(islice(rules.session_number_candidates(500, "S-"), 3)) == [
        (500, "S-500"),
        (501, "S-501"),
        (502, "S-502"),
    ]


def test_candidates_without_a_prefix_are_the_bare_numbers() -> None:
    assert next(rules.session_number_candidates(1000, "")) == (1000, "1000")


def test_the_search_is_bounded() -> None:
    candidates = list(rules.session_number_candidates(7, "X"))
    assert len(candidates) == rules.SESSION_NUMBER_SEARCH
    assert candidates[-1] == (7 + rules.SESSION_NUMBER_SEARCH - 1, f"X{7 + rules.SESSION_NUMBER_SEARCH - 1}")
