"""The picture day rules (domain/picture_days.py): member children, the booking window, what
one booking may hold, progress, and the close's assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shutterbook_scheduling.domain import picture_days as rules

NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)


def test_member_children_are_the_child_members_or_the_client_itself() -> None:
    members = [
        rules.FamilyMember("p", "Pat", is_child=False),
        rules.FamilyMember("a", "Ann", is_child=True),
        rules.FamilyMember("b", "Ben", is_child=True),
    ]
    assert [c.member_id for c in rules.member_children("The Andersons", members)] == ["a", "b"]
    assert rules.member_children("Sam Student", members[:1]) == [rules.Child(rules.SELF, "Sam Student")]


def test_the_window_opens_and_closes() -> None:
    opens, closes = NOW, NOW + timedelta(days=1)
    assert rules.window(NOW - timedelta(seconds=1), opens, closes) is rules.Window.NOT_OPEN
    assert rules.window(NOW, opens, closes) is rules.Window.OPEN
    assert rules.window(closes, opens, closes) is rules.Window.CLOSED
    assert rules.window_problem(NOW, opens, closes) is None
    assert rules.settings_problems(0, opens, opens) == {
        "siblings_per_slot": "must be 1 to 20",
        "close_time": "must be after open_time",
    }


def test_a_booking_holds_own_unbooked_children_up_to_the_sibling_limit() -> None:
    members = ["c/a", "c/b", "c/c"]
    assert rules.booking_problems(["c/a", "c/b"], members, [], 2) == []
    assert rules.booking_problems([], members, [], 2)[0][0] is None
    assert rules.booking_problems(members, members, [], 2)[0][0] is None
    problems = rules.booking_problems(["c/a", "x/y", "c/a"], members, [], 3)
    assert [i for i, _ in problems] == [1, 2]
    assert rules.booking_problems(["c/b"], members, ["c/b"], 2)[0][0] == 0


def test_progress_counts_a_family_booked_when_every_child_is() -> None:
    found = rules.progress([(2, 2), (1, 2), (0, 1)])
    assert (found.families_booked, found.families_not_booked, found.families_total) == (1, 2, 3)
    assert (found.children_booked, found.children_total) == (3, 5)


def test_the_close_assigns_whole_families_in_order() -> None:
    out = rules.assign_remaining([("f1", ["a", "b", "c"]), ("f2", ["d"]), ("f3", ["e", "f"])], ["s1", "s2", "s3"], 2)
    assert [(a.client_id, a.slot_id, a.children) for a in out] == [
        ("f1", "s1", ("a", "b")),
        ("f1", "s2", ("c",)),
        ("f2", "s3", ("d",)),
    ]
