"""The form letters that ship with the product, one per standard purpose."""

from __future__ import annotations

from shutterbook_notifications.domain.letters import LetterTemplates, Purpose

_WHEN = (
    "{{ session.start_date }}, {{ session.start_time }} to {{ session.end_time }}"
    " ({{ session.time_zone_abbreviation }})"
)
_FOR = "{% if session.participants %} for {{ session.participants }}{% endif %}"
_WHERE = "{{ location.name }}{% if location.address %}, {{ location.address }}{% endif %}"
_MANAGE = "{% if manage_url %}\nView, reschedule or cancel: {{ manage_url }}\n{% endif %}"
_HTML_WHEN = (
    f"<p><strong>{{{{ session.type }}}}{_FOR}</strong><br>"
    "{{ session.start_date }}, {{ session.start_time }} to "
    "{{ session.end_time }} ({{ session.time_zone_abbreviation }})<br>{{ location.name }}"
    "{% if location.address %}, {{ location.address }}{% endif %}</p>"
)
_HTML_MANAGE = '{% if manage_url %}<p><a href="{{ manage_url }}">View, reschedule or cancel</a></p>{% endif %}'
_GREETING = "Dear {{ client.given_name or client.display_name }},"


def _letter(
    display: str, subject: str, intro: str, extra: str = "", html_extra: str = ""
) -> tuple[str, LetterTemplates]:
    text = f"{_GREETING}\n\n{intro}\n\n{{{{ session.type }}}}{_FOR}\n{_WHEN}\n{_WHERE}\n{extra}\n"
    html = f"<p>{_GREETING}</p><p>{intro}</p>{_HTML_WHEN}{html_extra}"
    return display, LetterTemplates(subject=subject, body_text=text, body_html=html)


DEFAULTS: dict[Purpose, tuple[str, LetterTemplates]] = {
    Purpose.SESSION_CONFIRMATION: _letter(
        "Session confirmation",
        "Your session on {{ session.start_date }} is confirmed",
        "This confirms your session with us.",
        "{% if balance %}Balance due: {{ balance }}\n{% endif %}",
        "{% if balance %}<p>Balance due: {{ balance }}</p>{% endif %}",
    ),
    Purpose.APPOINTMENT_CONFIRMATION: _letter(
        "Appointment confirmation",
        "Your appointment on {{ session.start_date }} is confirmed",
        "This confirms your appointment with us.",
    ),
    Purpose.REMINDER: _letter(
        "Reminder",
        "Reminder: {{ session.type }} on {{ session.start_date }} at {{ session.start_time }}",
        "A reminder of your upcoming session.",
        _MANAGE,
        _HTML_MANAGE,
    ),
    Purpose.PHOTOGRAPHER_CONFIRMATION: _letter(
        "Photographer confirmation",
        "Session {{ session.number }}: {{ session.type }} on {{ session.start_date }}",
        "You are booked for this session with {{ client.display_name }}.",
    ),
    Purpose.RESCHEDULE: _letter(
        "Reschedule",
        "Your booking has moved to {{ session.start_date }} at {{ session.start_time }}",
        "Your booking has been moved. The new time:",
        _MANAGE,
        _HTML_MANAGE,
    ),
    Purpose.CANCELLATION: _letter(
        "Cancellation",
        "Your booking on {{ session.start_date }} is cancelled",
        "Your booking has been cancelled. We hope to see you another time.",
    ),
    Purpose.ONLINE_BOOKING_CONFIRMATION: _letter(
        "Online booking confirmation",
        "Booked: {{ session.type }} on {{ session.start_date }} at {{ session.start_time }}",
        "Thank you for booking with us. Your booking is confirmed; the calendar file is attached.",
        _MANAGE,
        _HTML_MANAGE,
    ),
    Purpose.PASSWORD_RESET: (
        "Password reset",
        LetterTemplates(
            subject="Reset your password",
            body_text="Hello {{ client.given_name }},\n\nReset your password here: {{ manage_url }}\n"
            "If you did not ask for this, ignore this email.\n",
            body_html='<p>Hello {{ client.given_name }},</p><p><a href="{{ manage_url }}">Reset your password</a></p>'
            "<p>If you did not ask for this, ignore this email.</p>",
        ),
    ),
}

# The on-screen reminder staff see in the console (not a form letter: staff do not edit it).
STAFF_REMINDER = LetterTemplates(
    subject="Session {{ session.number }}: {{ session.type }} with {{ client.display_name }} at "
    "{{ session.start_time }} ({{ session.time_zone_abbreviation }})",
    body_text=f"{_WHEN}\n{_WHERE}\n",
    body_html="",
)
