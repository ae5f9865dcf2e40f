"""AIP-158 pagination: `page_size` (0 = default, negative = INVALID_ARGUMENT, above the
maximum = the maximum) and opaque page tokens bound to the query that issued them."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from shutterbook_kit.errors import Violations

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    size: int
    cursor: dict[str, Any] | None


def _query_key(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def parse_page(page_size: int, page_token: str, query: dict[str, Any] | None = None) -> PageRequest:
    """Validate size and token; a token from a different query is INVALID_ARGUMENT."""
    violations = Violations()
    if page_size < 0:
        violations.add("page_size", "must not be negative")
    cursor: dict[str, Any] | None = None
    if page_token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(page_token.encode()))
            if decoded.get("q") != _query_key(query or {}):
                violations.add("page_token", "belongs to a different query")
            cursor = decoded["c"]
        except (ValueError, KeyError, TypeError, AttributeError):
            violations.add("page_token", "is not a token this service issued")
    violations.raise_if_any()
    size = DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)
    return PageRequest(size=size, cursor=cursor)


def next_token(cursor: dict[str, Any] | None, query: dict[str, Any] | None = None) -> str:
    """A token for the page after `cursor`, or "" at the end."""
    if cursor is None:
        return ""
    raw = json.dumps({"c": cursor, "q": _query_key(query or {})}, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode()
