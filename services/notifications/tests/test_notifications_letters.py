"""Form letters: checked on save with the line of the problem; values printed literally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shutterbook_notifications.domain.context import (
    CLIENT_CATCH_UP,
    ClientFacts,
    LocationFacts,
    SessionFacts,
    client_copy_behind,
    letter_context,
)
from shutterbook_notifications.domain.defaults import DEFAULTS
from shutterbook_notifications.domain.letters import STANDARD_PURPOSES, LetterTemplates, check, render


def _check(body: str) -> list[tuple[str, int, str]]:
    return [(p.field, p.line, p.description) for p in check(LetterTemplates("Hello", body, ""))]


def test_every_default_letter_passes_its_own_check() -> None:
    assert set(DEFAULTS) == set(STANDARD_PURPOSES)
    for _display, templates in DEFAULTS.values():
        assert check(templates) == []


def test_a_syntax_error_is_reported_with_its_line() -> None:
    [(field, line, description)] = _check("Dear {{ client.given_name }},\n\nSee you {% if %}\n")
    assert (field, line) == ("body_text", 3)
    assert description.startswith("line 3:")


def test_an_unknown_field_is_reported_with_its_line() -> None:
    [(field, line, description)] = _check("Dear {{ client.given_name }},\n{{ client.password_hash }}\n")
    assert (field, line) == ("body_text", 2)
    assert "client.password_hash" in description
    [(_f, line, description)] = _check("ok\nok\n{{ secret_key }}")
    assert line == 3
    assert "secret_key" in description


def test_the_sandbox_refuses_reaching_python_internals() -> None:
    problems = _check("{{ client.__class__.__mro__ }}")
    assert problems, "attribute access outside the documented fields must be refused"
    problems = _check("{{ ''.__class__ }}")
    assert problems


def test_loop_variables_are_not_unknown_fields() -> None:
    assert _check("{% for w in ['a', 'b'] %}{{ w }}{% endfor %}{% set x = 1 %}{{ x }}") == []


def test_client_values_with_template_syntax_are_printed_literally() -> None:
    context = letter_context(
        ClientFacts(given_name="{{ 7*7 }}", family_name="{% raw %}<b>"),
        SessionFacts(
            start=datetime(2026, 12, 8, 14, 0, tzinfo=UTC),
            end=datetime(2026, 12, 8, 15, 0, tzinfo=UTC),
            time_zone="America/New_York",
        ),
        LocationFacts(name="Downtown", address="1 Main St"),
    )
    rendered = render(
        LetterTemplates(
            "Hi {{ client.given_name }}", "Dear {{ client.display_name }}", "<p>{{ client.family_name }}</p>"
        ),
        context,
    )
    assert rendered.subject == "Hi {{ 7*7 }}"
    assert rendered.body_text == "Dear {{ 7*7 }} {% raw %}<b>"
    assert "49" not in rendered.body_text
    assert rendered.body_html == "<p>{% raw %}&lt;b&gt;</p>"


def test_times_are_shown_in_the_locations_zone() -> None:
    context = letter_context(
        ClientFacts(given_name="Ada"),
        SessionFacts(
            start=datetime(2026, 12, 8, 14, 0, tzinfo=UTC),
            end=datetime(2026, 12, 8, 15, 30, tzinfo=UTC),
            time_zone="America/New_York",
        ),
        LocationFacts(),
    )
    session = context["session"]
    assert (session["start_date"], session["start_time"], session["end_time"]) == (
        "Tuesday, December 8, 2026",
        "9:00 AM",
        "10:30 AM",
    )
    assert session["time_zone_abbreviation"] == "EST"


def test_a_location_name_is_printed_once_before_its_address() -> None:
    # the booking page's address text starts with the location's name; the letter prints the name
    assert LocationFacts.of("Bayside Studio", "Bayside Studio, 8 Harbor Way") == LocationFacts(
        "Bayside Studio", "8 Harbor Way"
    )
    assert LocationFacts.of("Bayside Studio", "bayside studio - 8 Harbor Way").address == "8 Harbor Way"
    # a name that only begins another word, or an address without the name, is left whole
    assert LocationFacts.of("Bay", "Bayside Road 3").address == "Bayside Road 3"
    assert LocationFacts.of("Bayside Studio", "8 Harbor Way").address == "8 Harbor Way"
    assert LocationFacts.of("", "8 Harbor Way").address == "8 Harbor Way"


def test_a_letter_waits_for_a_recent_client_change_only() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    copy = now - timedelta(minutes=10)
    assert client_copy_behind(copy, now - timedelta(seconds=5), now)  # the change is on its way
    assert not client_copy_behind(copy, copy, now)  # the copy is that change
    assert not client_copy_behind(copy, copy - timedelta(seconds=1), now)  # the copy is newer
    assert not client_copy_behind(copy, None, now)  # the caller saw nothing
    # a change the copy still lacks after the catch-up window is stuck: the letter goes
    assert not client_copy_behind(copy, now - CLIENT_CATCH_UP, now)
    assert client_copy_behind(copy, now - CLIENT_CATCH_UP + timedelta(seconds=1), now)
