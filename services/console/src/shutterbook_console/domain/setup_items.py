"""The small forms of studio setup: a room (its name and location), a session status (name,
due-in days, default for new sessions) and the numbering preference (next session number and
prefix). Each parse gives the values scheduling takes, what was typed and the problems found
before scheduling is asked, by form field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_DUE_DAYS = 3650
MAX_PREFIX = 20


@dataclass(frozen=True)
class ItemForm:
    values: dict[str, Any]
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def _name(typed: dict[str, str], errors: dict[str, str], what: str) -> None:
    if not typed["display_name"]:
        errors["display_name"] = f"Enter the {what}'s name."
    elif len(typed["display_name"]) > 200:
        errors["display_name"] = "Use at most 200 characters."


def parse_room(fields: dict[str, str], locations: set[str]) -> ItemForm:
    """`locations`: the resource names of the locations the caller may choose."""
    typed = {name: fields.get(name, "").strip() for name in ("display_name", "location")}
    errors: dict[str, str] = {}
    _name(typed, errors, "room")
    if typed["location"] not in locations:
        errors["location"] = "Choose the room's location."
    return ItemForm(dict(typed), typed, errors)


def parse_status(fields: dict[str, str]) -> ItemForm:
    typed = {name: fields.get(name, "").strip() for name in ("display_name", "due_in_days", "is_default")}
    errors: dict[str, str] = {}
    _name(typed, errors, "status")
    due = 0
    text = typed["due_in_days"]
    if text:
        if text.isdigit() and int(text) <= MAX_DUE_DAYS:
            due = int(text)
        else:
            errors["due_in_days"] = f"Enter a whole number of days from 0 to {MAX_DUE_DAYS}."
    values = {"display_name": typed["display_name"], "due_in_days": due, "is_default": bool(typed["is_default"])}
    return ItemForm(values, typed, errors)


def parse_numbering(fields: dict[str, str]) -> ItemForm:
    typed = {name: fields.get(name, "").strip() for name in ("next_session_number", "session_number_prefix")}
    errors: dict[str, str] = {}
    number = 0
    if typed["next_session_number"].isdigit() and 1 <= int(typed["next_session_number"]) < 10**12:
        number = int(typed["next_session_number"])
    else:
        errors["next_session_number"] = "Enter a whole number from 1, for example 1001."
    prefix = typed["session_number_prefix"]
    if len(prefix) > MAX_PREFIX or any(not (c.isalnum() or c in "-_/.#") for c in prefix):
        errors["session_number_prefix"] = f"Use at most {MAX_PREFIX} letters, digits or - _ / . #, for example S-."
    return ItemForm({"next_session_number": number, "session_number_prefix": prefix}, typed, errors)


def item_field(path: str, fields: tuple[str, ...]) -> str:
    """A field path of scheduling's refusal (`session_status.due_in_days`) -> the form's field
    among `fields`; "" when the form has none."""
    name = path.rsplit(".", 1)[-1]
    return name if name in fields else ""
