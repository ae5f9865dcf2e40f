"""The standing time-slot pattern aggregate's rules, pure (no database, no server): what is
wrong with a pattern's fields, named by path; the rules' view the generator expands; and the
edge agreeing byte for byte with what was stored and answered before domain objects (the
message as created, with its name, create time and a template without date or times)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook_scheduling.api import slot_pattern_convert as convert
from shutterbook_scheduling.api.proto_values import ts
from shutterbook_scheduling.domain import standing_patterns
from shutterbook_scheduling.domain.standing_patterns import PatternBreak, PatternFields, SlotTemplate, TimeSlotPattern
from shutterbook_scheduling.domain.time_patterns import Break

AT = datetime(2027, 3, 1, 12, 0, 7, 250_000, tzinfo=UTC)
PATTERN_ID = "0b7e6f3a-3333-4c4c-8c8c-00000000000c"

VALID = PatternFields(
    template=SlotTemplate(
        location="locations/0b7e6f3a-3333-4c4c-8c8c-000000000001",
        session_type="sessionTypes/0b7e6f3a-3333-4c4c-8c8c-000000000002",
        schedules=("schedules/0b7e6f3a-3333-4c4c-8c8c-000000000003",),
        published=True,
        minimum_notice_minutes=60,
    ),
    weekdays=(2, 4),
    start_time=(9, 0),
    end_time=(12, 0),
    slot_minutes=30,
    gap_minutes=5,
    breaks=(PatternBreak((10, 30), (11, 0)),),
    weeks_ahead=3,
    start_date=(2027, 3, 2),
)


def test_a_valid_pattern_has_no_problems() -> None:
    assert standing_patterns.problems(VALID) == {}
    assert standing_patterns.problems(replace(VALID, start_date=(0, 0, 0), breaks=())) == {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"weekdays": (2, 0, 9)}, {"weekdays[1]": "is not a weekday", "weekdays[2]": "is not a weekday"}),
        ({"weekdays": ()}, {"weekdays": "choose at least one weekday"}),
        ({"weekdays": (0,)}, {"weekdays[0]": "is not a weekday", "weekdays": "choose at least one weekday"}),
        ({"start_time": (24, 0)}, {"start_time": "must be hours 0-23 and minutes 0-59"}),
        ({"end_time": (12, 60)}, {"end_time": "must be hours 0-23 and minutes 0-59"}),
        ({"end_time": (9, 0), "breaks": ()}, {"end_time": "must be after the start time"}),
        ({"slot_minutes": 0}, {"slot_minutes": "must be at least 1 minute"}),
        ({"gap_minutes": -1}, {"gap_minutes": "must not be negative"}),
        ({"weeks_ahead": 0}, {"weeks_ahead": "must be 1 to 52"}),
        ({"weeks_ahead": 53}, {"weeks_ahead": "must be 1 to 52"}),
        ({"start_date": (2027, 2, 30)}, {"start_date": "is not a valid date"}),
        ({"breaks": (PatternBreak((10, 0), (9, 0)),)}, {"breaks[0].end": "must be after the break start"}),
        (
            {"breaks": (PatternBreak((8, 0), (9, 30)),)},
            {"breaks[0].start": "the break must lie within the day's start and end times"},
        ),
        (
            {"breaks": (PatternBreak((25, 0), (10, 61)),)},
            {
                "breaks[0].start": "must be hours 0-23 and minutes 0-59",
                "breaks[0].end": "must be hours 0-23 and minutes 0-59",
            },
        ),
    ],
)
def test_each_problem_is_named_by_its_path(change: dict[str, object], expected: dict[str, str]) -> None:
    assert standing_patterns.problems(replace(VALID, **change)) == expected  # type: ignore[arg-type]


def test_an_unreadable_time_skips_the_day_rules_but_not_the_others() -> None:
    bad = replace(VALID, start_time=(9, 99), slot_minutes=0, weekdays=(8,), start_date=(2027, 13, 1))
    assert list(standing_patterns.problems(bad)) == ["weekdays[0]", "start_time", "start_date"]


def test_the_rules_view_of_valid_fields() -> None:
    rules = standing_patterns.standing_pattern(VALID)
    assert rules is not None
    assert rules.weekdays == frozenset({1, 3})  # Tuesday and Thursday as date.weekday()
    assert (rules.start_time, rules.end_time) == (time(9), time(12))
    assert rules.breaks == (Break(time(10, 30), time(11)),)
    assert rules.start_date == date(2027, 3, 2)
    assert standing_patterns.standing_pattern(replace(VALID, end_time=(99, 0))) is None


def request_pattern() -> spb.TimeSlotPattern:
    """A pattern as a client sends it (the template with a date and times it does not use)."""
    return spb.TimeSlotPattern(
        template=opb.TimeSlot(
            location=VALID.template.location,
            session_type=VALID.template.session_type,
            schedules=list(VALID.template.schedules),
            published=True,
            minimum_notice_minutes=60,
            date=date_pb2.Date(year=2027, month=1, day=1),
            start=pb.TimeOfDay(hours=8),
            end=pb.TimeOfDay(hours=9),
        ),
        weekdays=[pb.DAY_OF_WEEK_TUESDAY, pb.DAY_OF_WEEK_THURSDAY],
        start_time=pb.TimeOfDay(hours=9),
        end_time=pb.TimeOfDay(hours=12),
        slot_minutes=30,
        gap_minutes=5,
        breaks=[opb.TimeSlotBreak(start=pb.TimeOfDay(hours=10, minutes=30), end=pb.TimeOfDay(hours=11))],
        weeks_ahead=3,
        start_date=date_pb2.Date(year=2027, month=3, day=2),
    )


def stored_before(msg: spb.TimeSlotPattern) -> spb.TimeSlotPattern:
    """What the create stored (and answered) before there were domain objects."""
    stored = spb.TimeSlotPattern()
    stored.CopyFrom(msg)
    stored.name = f"timeSlotPatterns/{PATTERN_ID}"
    stored.ClearField("generated_through")
    stored.create_time.CopyFrom(ts(AT))
    for key in ("date", "start", "end", "start_time", "end_time", "booked_session", "name"):
        stored.template.ClearField(key)
    return stored


@pytest.mark.parametrize("start_date", [True, False])
def test_the_edge_gives_the_bytes_stored_before(start_date: bool) -> None:
    msg = request_pattern()
    if not start_date:
        msg.ClearField("start_date")
    fields = convert.pattern_fields(msg)
    assert fields == (VALID if start_date else replace(VALID, start_date=(0, 0, 0)))
    before = stored_before(msg).SerializeToString()
    pattern = TimeSlotPattern(PATTERN_ID, fields, "America/New_York", None, AT)
    assert convert.pattern_message(pattern).SerializeToString() == before


def test_a_generated_through_day_is_answered() -> None:
    pattern = TimeSlotPattern(PATTERN_ID, VALID, "America/New_York", date(2027, 3, 21), AT)
    msg = convert.pattern_message(pattern)
    assert (msg.generated_through.year, msg.generated_through.month, msg.generated_through.day) == (2027, 3, 21)
    assert msg.name == f"timeSlotPatterns/{PATTERN_ID}"
