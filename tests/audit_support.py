"""Helpers of the audit trail tests: read a record's whole history through a service's
`ListAuditEntries`, page by page, and an entry's field changes as plain values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from google.protobuf import json_format

from shutterbook.common.v1 import audit_pb2

CALLER = "service:test"  # the caller `company_metadata` signs for every test call (named "test")


class AuditPage(Protocol):
    @property
    def audit_entries(self) -> Sequence[audit_pb2.AuditEntry]: ...

    @property
    def next_page_token(self) -> str: ...


async def history(
    list_page: Callable[[str, int, str], Awaitable[AuditPage]], parent: str, page_size: int = 0
) -> list[audit_pb2.AuditEntry]:
    """Every entry of `parent`, newest first; `list_page(parent, page_size, page_token)` calls
    the service's ListAuditEntries. Bounded in pages."""
    entries: list[audit_pb2.AuditEntry] = []
    token = ""
    for _ in range(50):
        page = await list_page(parent, page_size, token)
        entries.extend(page.audit_entries)
        token = page.next_page_token
        if not token:
            return entries
    raise AssertionError("too many pages")


def changes(entry: audit_pb2.AuditEntry) -> dict[str, dict[str, Any]]:
    """`{field: {"before": value, "after": value}}` of an entry (a side unset: no key)."""
    out: dict[str, dict[str, Any]] = {}
    for change in entry.changes:
        sides: dict[str, Any] = {}
        if change.HasField("before"):
            sides["before"] = json_format.MessageToDict(change.before)
        if change.HasField("after"):
            sides["after"] = json_format.MessageToDict(change.after)
        out[change.field] = sides
    return out
