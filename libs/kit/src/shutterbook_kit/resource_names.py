"""AIP-122 resource names: `collection/{id}`."""

from __future__ import annotations

import uuid

from shutterbook_kit.errors import NotFound, Violations


def parse_name(name: str, collection: str, *, field: str = "name") -> str:
    """The id in `collection/{id}`. A malformed name is INVALID_ARGUMENT; an id that is no
    UUID cannot exist, so it is NOT_FOUND (the same answer as another company's record)."""
    prefix = f"{collection}/"
    if not name.startswith(prefix) or "/" in name[len(prefix) :] or len(name) == len(prefix):
        v = Violations()
        v.add(field, f"must look like {collection}/{{id}}")
        v.raise_if_any()
    raw = name[len(prefix) :]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NotFound(f"{name} not found") from None
