"""The audit trail of clients, organizations, client groups and saved filters: read per record
(`shutterbook_kit.audit.list_audit_entries`) by the collections named here."""

from __future__ import annotations

from typing import Any

from shutterbook_clients.storage.models import ClientGroupRow, ClientRow, OrganizationRow, SavedFilterRow

# The records whose history this service keeps, by collection (family members, emails,
# notes, tags and memberships are part of their client's history).
RECORDS: dict[str, Any] = {
    "clients": ClientRow,
    "organizations": OrganizationRow,
    "clientGroups": ClientGroupRow,
    "savedFilters": SavedFilterRow,
}
