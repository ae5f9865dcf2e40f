"""The picture day rules (domain/picture_days.py): member children, the booking window, what
one booking may hold, progress, and the close's assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.domain.client_selection import ClientSelector

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


# --- the aggregate's objects ---

DAY = rules.PictureDay(
    id="d1",
    company_id="c1",
    location_id="l1",
    time_zone="America/Chicago",
    siblings_per_slot=2,
    open_at=NOW,
    close_at=NOW + timedelta(days=7),
    close_action=rules.CloseAction.ASSIGN_REMAINING,
    created_by="users/u1",
    created_at=NOW - timedelta(days=1),
    record=rules.DayRecord("Fall portraits", ClientSelector(group="clientGroups/g1"), None, (), 0),
)


def _slot(slot_id: str, hour: int, booking_id: str | None = None) -> rules.Slot:
    start = NOW + timedelta(days=10, hours=hour)
    return rules.Slot(slot_id, DAY.id, start, start + timedelta(minutes=15), booking_id)


def test_a_day_state_has_the_window_now_and_the_progress() -> None:
    state = rules.day_state(DAY, NOW - timedelta(seconds=1), [(2, 2), (0, 1), (1, 3)], (3, 10))
    assert state.window is rules.Window.NOT_OPEN
    assert state.progress == rules.Progress(families_booked=1, families_total=3, children_booked=3, children_total=6)
    assert (state.slots_free, state.slots_total) == (7, 10)
    assert rules.day_state(DAY, NOW, [], (0, 0)).window is rules.Window.OPEN
    assert DAY.window_problem(NOW + timedelta(days=7)) == "self-booking has closed; please call the studio"
    assert DAY.window_problem(NOW) is None


def test_a_family_is_booked_when_every_child_is() -> None:
    ann = rules.FamilyChild("c", "a", "Ann", "b1")
    ben = rules.FamilyChild("c", "b", "Ben", None)
    family = rules.Family(DAY.id, "c", "The Andersons", "a@example.com", True, (ann, ben))
    assert not family.booked
    assert rules.Family(DAY.id, "c", "The Andersons", "", False, (ann,)).booked


def test_an_access_shows_the_familys_bookings_and_the_slots_it_may_take() -> None:
    family = rules.Family(DAY.id, "c", "The Andersons", "", True, (rules.FamilyChild("c", "a", "Ann", "b1"),))
    own, free, others = _slot("s1", 1, "b1"), _slot("s2", 2), _slot("s3", 3, "b9")
    booking = rules.Booking("b1", DAY.id, "c", "s1", ("clients/c/familyMembers/a",), "x", False, NOW)
    access = rules.family_access(DAY, NOW, family, [booking], [own, free, others])
    assert access.window is rules.Window.OPEN
    assert access.bookings == ((booking, own),)
    assert access.slots == (own, free)  # another family's slot is not offered
    assert free.free
    assert not own.free
