"""Rules of organizations, groups and saved filters, pure."""

from __future__ import annotations

from shutterbook_clients.domain.search import normalize
from shutterbook_kit.errors import Violations

MAX_DISPLAY_NAME = 200
MAX_DESCRIPTION = 2000
MAX_ROLE = 200


def validated_display_name(raw: str, v: Violations, path: str) -> tuple[str, str]:
    """The display name and its uniqueness key (case- and accent-insensitive)."""
    name = raw.strip()
    if not name:
        v.add(path, "must not be empty")
    elif len(name) > MAX_DISPLAY_NAME:
        v.add(path, f"must be at most {MAX_DISPLAY_NAME} characters")
    return name, normalize(name)


def validated_text(raw: str, v: Violations, path: str, limit: int) -> str:
    text = raw.strip()
    if len(text) > limit:
        v.add(path, f"must be at most {limit} characters")
    return text
