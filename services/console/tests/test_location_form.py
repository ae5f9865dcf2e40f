"""The Locations screen's form read without any service: rows of day + from + to, lunch inside
the day's hours, empty rows skipped, and scheduling's violation paths as the form row they came
from; and the small setup forms (room, status, numbering)."""

from __future__ import annotations

from shutterbook_console.domain.location_form import Period, form_field, parse_location, with_blank_rows
from shutterbook_console.domain.setup_items import item_field, parse_numbering, parse_room, parse_status


def _form(**rows: str) -> dict[str, str]:
    return {"display_name": "North", "time_zone": "Europe/Berlin", **rows}


def test_rows_become_periods_and_empty_rows_are_skipped() -> None:
    parsed = parse_location(
        _form(**{
            "hours-0-day": "1", "hours-0-start": "9:00", "hours-0-end": "12:00",
            "hours-1-day": "", "hours-1-start": "", "hours-1-end": "",
            "hours-2-day": "1", "hours-2-start": "13:00", "hours-2-end": "18:30",
            "lunch-0-day": "1", "lunch-0-start": "12:15", "lunch-0-end": "12:45",
        })
    )  # fmt: skip
    assert parsed.errors == {"lunch-0-start": "Must be inside the studio hours of Monday."}  # between two periods
    assert parsed.values["studio_hours"] == [Period(1, (9, 0), (12, 0)), Period(1, (13, 0), (18, 30))]
    assert parsed.rows["hours"] == [0, 2]  # which form row each period came from
    # scheduling's path of the second period names the form's third row
    assert form_field("location.studio_hours[1].end", parsed.rows) == "hours-2-end"
    assert form_field("location.address.region_code", parsed.rows) == "region_code"
    assert form_field("location.create_time", parsed.rows) == ""


def test_each_problem_is_named_by_its_field() -> None:
    parsed = parse_location(
        {"display_name": " ", "time_zone": "Europe/Atlantis", "region_code": "USA",
         "hours-0-day": "8", "hours-0-start": "25:00", "hours-0-end": "10:00",
         "hours-1-day": "2", "hours-1-start": "10:00", "hours-1-end": "09:00"}
    )  # fmt: skip
    assert set(parsed.errors) == {
        "display_name",
        "time_zone",
        "region_code",
        "hours-0-day",
        "hours-0-start",
        "hours-1-end",
    }
    assert parsed.values["studio_hours"] == []
    assert parsed.typed["hours"][0]["start"] == "25:00"  # what was typed, shown back


def test_the_form_shows_two_empty_rows_after_the_filled_ones() -> None:
    rows = [{"day": "1", "start": "09:00", "end": "17:00"}, {"day": "", "start": "", "end": ""}]
    assert [r["day"] for r in with_blank_rows(rows)] == ["1", "", ""]


def test_rooms_statuses_and_numbering_are_checked_before_scheduling_is_asked() -> None:
    assert parse_room({"display_name": "Studio A", "location": "locations/x"}, {"locations/y"}).errors == {
        "location": "Choose the room's location."
    }
    status = parse_status({"display_name": "Proofs Ready", "due_in_days": "14", "is_default": "1"})
    assert (status.errors, status.values) == (
        {},
        {"display_name": "Proofs Ready", "due_in_days": 14, "is_default": True},
    )
    assert set(parse_status({"display_name": "", "due_in_days": "3651"}).errors) == {"display_name", "due_in_days"}
    numbering = parse_numbering({"next_session_number": "1001", "session_number_prefix": "S-"})
    assert (numbering.errors, numbering.values["next_session_number"]) == ({}, 1001)
    assert set(parse_numbering({"next_session_number": "0", "session_number_prefix": "S <"}).errors) == {
        "next_session_number",
        "session_number_prefix",
    }
    assert item_field("session_status.due_in_days", ("display_name", "due_in_days")) == "due_in_days"
