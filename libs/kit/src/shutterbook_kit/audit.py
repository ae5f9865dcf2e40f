"""The audit trail: who changed which record how and when, kept by the service that owns it.

- Write: `uow.audit(company_id, record, action, before=..., after=...)` inside the unit of
  work that makes the change (like `uow.emit`), so an entry exists exactly when the change
  was committed. `record` is the record's resource name (`clients/{id}`, `invoices/{id}`);
  `before` / `after` are the record as plain dicts or protobuf messages (`plain()`), and the
  entry keeps only the fields that differ (`diff()`), secrets left out.
- Who: `current_actor()`, the one place that reads the caller of the call being served.
- Read: `list_audit_entries(db, company_id, request, records)` answers a service's
  `ListAuditEntries` (`list_entries` on a session of your own): one record's entries newest
  first, a `keyset_page`; the record must exist in the caller's company (else NOT_FOUND, the
  same answer as a record of another company). A service keeping protobuf at its API edge
  reads plain `Entry`s (`read_entries`) and answers with `entries_response` there.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from google.protobuf import json_format, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook.common.v1 import audit_pb2
from shutterbook_kit import tenancy
from shutterbook_kit.db import READONLY, Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.pagination import Key, Page, check_page, keyset_page
from shutterbook_kit.resource_names import is_canonical_uuid
from shutterbook_kit.schema import AuditEntryRow, utcnow

# Fields never recorded, by the last part of their path (payment tokens, passwords, keys).
SECRET_MARKERS = ("token", "password", "secret", "api_key")
# Fields that change with every change and say nothing of their own.
UNAUDITED = frozenset({"update_time", "updated_at", "etag"})

Snapshot = Mapping[str, Any] | Message | None


@dataclass(frozen=True)
class Actor:
    """Who made a change: `label` as records name callers (`staff:<id>`), and a display name."""

    label: str
    display_name: str = ""


def current_actor(service: str = "") -> Actor:
    """Who is making a change: the verified caller of the call being served (`staff:<id>` and
    the staff member's name, `partner:<key id>`, ...); outside a call (a consumer, a worker)
    the service itself, `service:<name>`. Every audit entry takes its "who" from here."""
    try:
        caller = tenancy.current().identity
    except RuntimeError:
        return Actor(label=f"service:{service or 'unknown'}")
    return Actor(label=caller.label, display_name=caller.display_name)


# --- snapshots and their difference -----------------------------------------------------------


def _plain_value(value: Any) -> Any:
    if isinstance(value, Message):
        return plain(value)
    if isinstance(value, Mapping):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain_value(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _field_value(field: Any, value: Any) -> Any:
    """A field's value made plain; `field` is its (upb or Python) FieldDescriptor."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        names = [enum.values_by_number[v].name if v in enum.values_by_number else v for v in _many(field, value)]
        return names if _repeated(field) else names[0]
    return _plain_value(list(value) if _repeated(field) else value)


def _repeated(field: Any) -> bool:
    return bool(field.is_repeated)


def _many(field: Any, value: Any) -> list[Any]:
    return list(value) if _repeated(field) else [value]


def plain(message: Message | Mapping[str, Any] | None) -> dict[str, Any]:
    """A record as a plain JSON-able dict: a protobuf message by its field names (every
    scalar and list, messages when set, enums by name, instants as ISO 8601, int64 money as
    integers), a mapping with its values made plain."""
    if message is None:
        return {}
    if not isinstance(message, Message):
        return {str(k): _plain_value(v) for k, v in message.items()}
    if isinstance(message, timestamp_pb2.Timestamp):
        return {"time": message.ToJsonString()}
    out: dict[str, Any] = {}
    field: Any
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.type == FieldDescriptor.TYPE_MESSAGE and not _repeated(field):
            if not message.HasField(field.name):
                continue
            if isinstance(value, timestamp_pb2.Timestamp):
                out[field.name] = value.ToJsonString()
                continue
        elif field.containing_oneof is not None and not message.HasField(field.name):
            continue
        out[field.name] = _field_value(field, value)
    return out


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _is_secret(path: str) -> bool:
    last = path.rsplit(".", 1)[-1].lower()
    return any(marker in last for marker in SECRET_MARKERS)


_EMPTY: tuple[Any, ...] = (None, "", [], {})


def diff(before: Snapshot, after: Snapshot, *, ignore: frozenset[str] = UNAUDITED) -> dict[str, dict[str, Any]]:
    """The fields that differ between two snapshots of a record, as
    `{"path": {"before": old, "after": new}}`, sorted by path. Nested mappings are followed
    (`total.amount_minor`); a side where the field is absent or empty has no key. Secret
    fields and the `ignore`d ones (`update_time`, ...) are left out."""
    old = _flatten(plain(before))
    new = _flatten(plain(after))
    changes: dict[str, dict[str, Any]] = {}
    for path in sorted(old.keys() | new.keys()):
        if path.rsplit(".", 1)[-1] in ignore or path in ignore or _is_secret(path):
            continue
        was, now = old.get(path), new.get(path)
        if was == now or (was in _EMPTY and now in _EMPTY):
            continue
        change: dict[str, Any] = {}
        if was not in _EMPTY:
            change["before"] = was
        if now not in _EMPTY:
            change["after"] = now
        changes[path] = change
    return changes


def added(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Fields a change set that its record's snapshots do not show (the refund's amount, the
    payment that paid an invoice), as `changes` of `UnitOfWork.audit`; empty values left out."""
    return {path: {"after": _plain_value(value)} for path, value in values.items() if value not in _EMPTY}


def entry_values(
    company_id: str, record: str, action: str, changes: Mapping[str, Mapping[str, Any]], *, service: str = ""
) -> dict[str, Any]:
    """The columns of one audit entry by the current caller (`UnitOfWork.audit` inserts them
    at its commit)."""
    actor = current_actor(service)
    return {
        "id": str(uuid.uuid4()),
        "company_id": company_id,
        "record": record,
        "action": action,
        "caller": actor.label[:200],
        "caller_name": actor.display_name[:200],
        "occurred_at": utcnow(),
        "changes": {path: dict(change) for path, change in changes.items()},
    }


def new_entry(
    company_id: str, record: str, action: str, changes: Mapping[str, Mapping[str, Any]], *, service: str = ""
) -> AuditEntryRow:
    """The row of one audit entry by the current caller (`entry_values` as a row)."""
    return AuditEntryRow(**entry_values(company_id, record, action, changes, service=service))


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One audit entry as read: who (`caller`, `caller_display_name`) changed `record` how
    (`action`) and when, and the fields that changed (path -> `before` and/or `after`)."""

    id: str
    record: str
    action: str
    caller: str
    caller_display_name: str
    create_time: datetime
    changes: Mapping[str, Mapping[str, Any]]


def entry_of(row: AuditEntryRow) -> Entry:
    return Entry(
        id=row.id,
        record=row.record,
        action=row.action,
        caller=row.caller,
        caller_display_name=row.caller_name,
        create_time=row.occurred_at,
        changes=row.changes,
    )


async def entries_page(
    session: AsyncSession,
    company_id: str,
    parent: str,
    page_size: int,
    page_token: str,
    records: Mapping[str, Any],
) -> Page[Entry]:
    """One page of the audit entries of `parent` (`collection/{id}`), newest first, as `Entry`s
    (`list_entries` answers them as messages; the same checks)."""
    v = Violations()
    check_page(page_size, page_token, v)
    parts = parent.split("/")
    if len(parts) != 2 or parts[0] not in records or not parts[1]:
        shapes = ", ".join(f"{c}/{{id}}" for c in records)
        v.add("parent", f"must name a record: {shapes}")
    v.raise_if_any()
    collection, record_id = parts
    model = records[collection]
    if not is_canonical_uuid(record_id):
        raise NotFound(f"{parent} not found")
    found = await session.scalar(sa.select(model.id).where(model.id == record_id, model.company_id == company_id))
    if found is None:
        raise NotFound(f"{parent} not found")
    stmt = sa.select(AuditEntryRow).where(AuditEntryRow.company_id == company_id, AuditEntryRow.record == parent)
    newest_first: list[Key] = [AuditEntryRow.occurred_at.desc(), AuditEntryRow.seq.desc()]
    page = await keyset_page(session, stmt, newest_first, page_size, page_token)
    return Page(items=[entry_of(row) for row in page.items], next_page_token=page.next_page_token)


async def read_entries(
    db: Database, company_id: str, parent: str, page_size: int, page_token: str, records: Mapping[str, Any]
) -> Page[Entry]:
    """`entries_page` in a read-only transaction of its own."""
    session = db.sessions()
    try:
        await session.connection(execution_options={READONLY: True})
        return await entries_page(session, company_id, parent, page_size, page_token, records)
    finally:
        await session.close()


async def list_entries(
    session: AsyncSession,
    company_id: str,
    parent: str,
    page_size: int,
    page_token: str,
    records: Mapping[str, Any],
) -> Page[audit_pb2.AuditEntry]:
    """One page of the audit entries of `parent` (`collection/{id}`), newest first.

    `records` maps each collection whose history this service keeps to its ORM model (with
    `id` and `company_id` columns): a parent of another collection is INVALID_ARGUMENT on
    `parent`; one that does not exist in `company_id` (deleted records still exist) is
    NOT_FOUND."""
    page = await entries_page(session, company_id, parent, page_size, page_token, records)
    return Page(items=[entry_message(e) for e in page.items], next_page_token=page.next_page_token)


async def list_audit_entries(
    db: Database, company_id: str, request: audit_pb2.ListAuditEntriesRequest, records: Mapping[str, Any]
) -> audit_pb2.ListAuditEntriesResponse:
    """A service's `ListAuditEntries`: `list_entries` in a read-only transaction of its own."""
    page = await read_entries(db, company_id, request.parent, request.page_size, request.page_token, records)
    return entries_response(page)


def entries_response(page: Page[Entry]) -> audit_pb2.ListAuditEntriesResponse:
    return audit_pb2.ListAuditEntriesResponse(
        audit_entries=[entry_message(e) for e in page.items], next_page_token=page.next_page_token
    )


def _value(raw: Any) -> struct_pb2.Value:
    return json_format.ParseDict(raw, struct_pb2.Value())


def entry_message(found: Entry) -> audit_pb2.AuditEntry:
    entry = audit_pb2.AuditEntry(
        id=found.id,
        record=found.record,
        action=found.action,
        caller=found.caller,
        caller_display_name=found.caller_display_name,
    )
    entry.create_time.FromDatetime(found.create_time)
    for path in sorted(found.changes):
        change = found.changes[path]
        field = entry.changes.add(field=path)
        if "before" in change:
            field.before.CopyFrom(_value(change["before"]))
        if "after" in change:
            field.after.CopyFrom(_value(change["after"]))
    return entry
