"""Form letters: purposes, the documented fields, and sandboxed rendering (pure, no I/O).

Templates are Jinja2 in a `SandboxedEnvironment` with `StrictUndefined`: a letter can reach
only the fields below, never Python internals, and a missing field is an error rather than
an empty string. Values are never re-rendered, so a client named `{{ 7*7 }}` is printed as
typed. The HTML body is autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment


class Purpose(StrEnum):
    SESSION_CONFIRMATION = "session_confirmation"
    APPOINTMENT_CONFIRMATION = "appointment_confirmation"
    REMINDER = "reminder"
    PHOTOGRAPHER_CONFIRMATION = "photographer_confirmation"
    RESCHEDULE = "reschedule"
    CANCELLATION = "cancellation"
    ONLINE_BOOKING_CONFIRMATION = "online_booking_confirmation"
    PASSWORD_RESET = "password_reset"
    CUSTOM = "custom"


STANDARD_PURPOSES = [p for p in Purpose if p is not Purpose.CUSTOM]

# The fields a letter may use, documented for staff (README and the console's editor).
FIELDS: dict[str, dict[str, str]] = {
    "client": {
        "given_name": "first name",
        "family_name": "last name",
        "display_name": "full name (or household name)",
        "email": "primary email",
    },
    "session": {
        "number": "session number",
        "type": "session or appointment type",
        "description": "description",
        "status": "status name",
        "participants": "who is photographed, when not the client: a picture day's children, e.g. Mia and Leo",
        "start_date": "local start date, e.g. Tuesday, December 8, 2026",
        "start_time": "local start time, e.g. 9:00 AM",
        "end_time": "local end time",
        "time_zone": "the location's IANA zone",
        "time_zone_abbreviation": "e.g. EST",
    },
    "location": {"name": "location name", "address": "address shown to clients"},
    "company": {"name": "studio name"},
}
SCALAR_FIELDS = {"balance": "balance due, e.g. 50.00 USD (empty when none)", "manage_url": "the booking's manage link"}


@dataclass(frozen=True)
class LetterTemplates:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class TemplateProblem:
    field: str  # subject | body_text | body_html
    line: int
    description: str


class RenderError(Exception):
    """A letter that cannot be rendered (kept as the failure reason of its message)."""


_TEXT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)


def _environment(field: str) -> SandboxedEnvironment:
    return _HTML if field == "body_html" else _TEXT


def _unknown_fields(field: str, source: str) -> list[TemplateProblem]:
    tree = _environment(field).parse(source)
    problems: list[TemplateProblem] = []
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in assigned and name.name not in FIELDS | SCALAR_FIELDS:
            problems.append(TemplateProblem(field, name.lineno, f"line {name.lineno}: unknown field {name.name!r}"))
    for attr in tree.find_all(nodes.Getattr):
        target = attr.node
        known = isinstance(target, nodes.Name) and target.name in FIELDS and target.name not in assigned
        if known and isinstance(target, nodes.Name) and attr.attr not in FIELDS[target.name]:
            description = f"line {attr.lineno}: unknown field '{target.name}.{attr.attr}'"
            problems.append(TemplateProblem(field, attr.lineno, description))
    return problems


def uses_field(templates: LetterTemplates, name: str) -> bool:
    """Whether any of the letter's templates reads the top-level field `name` (for example
    `balance`, which costs a call to billing); a template that does not parse reads nothing."""
    for field, source in (
        ("subject", templates.subject),
        ("body_text", templates.body_text),
        ("body_html", templates.body_html),
    ):
        try:
            tree = _environment(field).parse(source)
        except TemplateSyntaxError:
            continue
        if any(n.name == name and n.ctx == "load" for n in tree.find_all(nodes.Name)):
            return True
    return False


def check(templates: LetterTemplates) -> list[TemplateProblem]:
    """Every problem of a letter's templates (syntax, unknown fields, a failing sample render)."""
    problems: list[TemplateProblem] = []
    for field, source in (
        ("subject", templates.subject),
        ("body_text", templates.body_text),
        ("body_html", templates.body_html),
    ):
        try:
            found = _unknown_fields(field, source)
            if found:
                problems.extend(found)
                continue
            _environment(field).from_string(source).render(sample_context())
        except TemplateSyntaxError as exc:
            line = exc.lineno or 1
            problems.append(TemplateProblem(field, line, f"line {line}: {exc.message}"))
        except TemplateError as exc:
            problems.append(TemplateProblem(field, 1, f"the template cannot be rendered: {exc.message}"))
        except Exception as exc:  # a sandboxed operation on the wrong kind of value
            problems.append(TemplateProblem(field, 1, f"the template cannot be rendered: {type(exc).__name__}"))
    return problems


def render(templates: LetterTemplates, context: dict[str, Any]) -> Rendered:
    """Render a letter; any problem (even one a later release introduced) is a RenderError."""
    try:
        return Rendered(
            subject=" ".join(_TEXT.from_string(templates.subject).render(context).split())[:300],
            body_text=_TEXT.from_string(templates.body_text).render(context),
            body_html=_HTML.from_string(templates.body_html).render(context) if templates.body_html else "",
        )
    except TemplateSyntaxError as exc:
        raise RenderError(f"line {exc.lineno}: {exc.message}") from exc
    except TemplateError as exc:
        raise RenderError(exc.message or type(exc).__name__) from exc
    except Exception as exc:
        raise RenderError(type(exc).__name__) from exc


def sample_context() -> dict[str, Any]:
    """Values of every field, for checking a letter on save and for a preview."""
    return {
        "client": {
            "given_name": "Ada",
            "family_name": "Lovelace",
            "display_name": "Ada Lovelace",
            "email": "ada@example.com",
        },
        "session": {
            "number": "1000",
            "type": "Family Portrait",
            "description": "Family portrait, four people",
            "status": "Booked",
            "participants": "",  # a picture day's children; none for a family portrait
            "start_date": "Tuesday, December 8, 2026",
            "start_time": "9:00 AM",
            "end_time": "10:00 AM",
            "time_zone": "America/New_York",
            "time_zone_abbreviation": "EST",
        },
        "location": {"name": "Downtown Studio", "address": "1 Main St, Springfield"},
        "company": {"name": "Your studio"},
        "balance": "50.00 USD",
        "manage_url": "https://book.example.com/book/manage/0000#token=sample",
    }
