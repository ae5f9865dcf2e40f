"""The permission each RPC of the clients service needs (checked by the kit's interceptor)."""

from __future__ import annotations

from collections.abc import Mapping

from shutterbook.clients.v1 import clients_pb2
from shutterbook_kit.permissions import Permission

_SERVICE = clients_pb2.DESCRIPTOR.services_by_name["ClientsService"].full_name
_READ = Permission.CLIENTS_READ
_WRITE = Permission.CLIENTS_WRITE
_METHODS: dict[str, Permission] = {
    "CreateClient": _WRITE,
    "GetClient": _READ,
    "ListClients": _READ,
    "UpdateClient": _WRITE,
    "DeleteClient": Permission.CLIENTS_DELETE,
    "SearchClients": _READ,
    "FindOrCreateClient": _WRITE,
    "MergeClients": Permission.CLIENTS_DELETE,
    "CreateOrganization": _WRITE,
    "GetOrganization": _READ,
    "ListOrganizations": _READ,
    "UpdateOrganization": _WRITE,
    "DeleteOrganization": _WRITE,
    "CreateMembership": _WRITE,
    "GetMembership": _READ,
    "ListMemberships": _READ,
    "DeleteMembership": _WRITE,
    "CreateClientGroup": _WRITE,
    "GetClientGroup": _READ,
    "ListClientGroups": _READ,
    "UpdateClientGroup": _WRITE,
    "DeleteClientGroup": _WRITE,
    "AddClientGroupMembers": _WRITE,
    "RemoveClientGroupMembers": _WRITE,
    "CreateSavedFilter": _WRITE,
    "GetSavedFilter": _READ,
    "ListSavedFilters": _READ,
    "UpdateSavedFilter": _WRITE,
    "DeleteSavedFilter": _WRITE,
    "ListAuditEntries": _READ,
}
PERMISSIONS: Mapping[str, Permission] = {f"{_SERVICE}.{name}": p for name, p in _METHODS.items()}
