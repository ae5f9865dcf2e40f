"""The calendar's rules without a database (issue 13's unit ring): entries on the local day
they start on, a feed's summary line and its stable UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shutterbook_scheduling.domain import times
from shutterbook_scheduling.domain.calendar import CalendarEntry, EntryKind, by_day, feed_uid, summary

NEW_YORK = times.zone("America/New_York")


def _entry(start: datetime, kind: EntryKind | None = EntryKind.SESSION, **shown: object) -> CalendarEntry:
    end = start + timedelta(hours=1)
    return CalendarEntry("s1", "sessions/a", kind, start, end, start, end, **shown)  # type: ignore[arg-type]


def test_an_entry_is_on_the_local_day_it_starts_on() -> None:
    days = times.local_days(date(2030, 3, 9), date(2030, 3, 11), NEW_YORK)  # DST starts on the 10th
    late_on_the_9th = datetime(2030, 3, 10, 4, 30, tzinfo=UTC)  # 23:30 EST on the 9th
    early_on_the_10th = datetime(2030, 3, 10, 5, 30, tzinfo=UTC)  # 00:30 EST on the 10th
    before_the_range = datetime(2030, 3, 8, 12, 0, tzinfo=UTC)
    placed = by_day(days, [_entry(late_on_the_9th), _entry(early_on_the_10th), _entry(before_the_range)])
    assert [d.day for d in placed] == [date(2030, 3, 9), date(2030, 3, 10), date(2030, 3, 11)]
    assert [e.start for e in placed[0].entries] == [late_on_the_9th, before_the_range]
    assert [e.start for e in placed[1].entries] == [early_on_the_10th]
    assert placed[2].entries == []
    assert placed[1].end - placed[1].start == timedelta(hours=23)


def test_a_summary_names_who_and_what_never_the_customers_note() -> None:
    start = datetime(2030, 1, 1, 15, tzinfo=UTC)
    names = {"clients/c": "Ada Lovelace"}
    types = {"sessionTypes/t": "Family Portrait"}
    booked = _entry(start, client="clients/c", type="sessionTypes/t", confirmed=True, description="my note")
    assert summary(booked, names, types) == "Ada Lovelace - Family Portrait (Confirmed)"
    unknown_client = _entry(start, client="clients/x", type="sessionTypes/t", description="Mini session")
    assert summary(unknown_client, names, types) == "Mini session"
    assert summary(_entry(start, client="clients/x"), names, types) == "Session"
    assert summary(_entry(start, EntryKind.APPOINTMENT, client="clients/x"), names, types) == "Appointment"
    assert summary(_entry(start, EntryKind.TIME_OFF, description="Dentist"), names, types) == "Dentist"
    assert summary(_entry(start, EntryKind.TIME_OFF), names, types) == "Time off"


def test_feed_uids_are_stable_per_entry_and_block() -> None:
    start = datetime(2030, 1, 1, 15, tzinfo=UTC)
    seen: dict[str, int] = {}
    first, second = _entry(start), _entry(start + timedelta(hours=2))
    uids = [feed_uid(first, "s1", seen), feed_uid(second, "s1", seen)]
    assert uids == ["sessions-a-s1@shutterbook", "sessions-a-s1-2@shutterbook"]
    assert feed_uid(first, "s1", {}) == uids[0]  # the same entry, the same UID in the next export
