"""gRPC API of the clients service: translate, call the use case, return."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.common.v1 import audit_pb2
from shutterbook_clients.application import clients, filters, groups, history, organizations
from shutterbook_kit import audit, tenancy
from shutterbook_kit.db import Database

Context = grpc.aio.ServicerContext[Any, Any]


class ClientsServicer(clients_pb2_grpc.ClientsServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def CreateClient(self, request: clients_pb2.CreateClientRequest, context: Context) -> clients_pb2.Client:
        company = tenancy.current().company_id
        return await clients.create_client(self.db, company, request)

    async def GetClient(self, request: clients_pb2.GetClientRequest, context: Context) -> clients_pb2.Client:
        company = tenancy.current().company_id
        return await clients.get_client(self.db, company, request.name)

    async def ListClients(
        self, request: clients_pb2.ListClientsRequest, context: Context
    ) -> clients_pb2.ListClientsResponse:
        company = tenancy.current().company_id
        return await clients.list_clients(self.db, company, request)

    async def UpdateClient(self, request: clients_pb2.UpdateClientRequest, context: Context) -> clients_pb2.Client:
        company = tenancy.current().company_id
        return await clients.update_client(self.db, company, request)

    async def DeleteClient(self, request: clients_pb2.DeleteClientRequest, context: Context) -> clients_pb2.Client:
        company = tenancy.current().company_id
        return await clients.delete_client(self.db, company, request.name)

    async def SearchClients(
        self, request: clients_pb2.SearchClientsRequest, context: Context
    ) -> clients_pb2.SearchClientsResponse:
        company = tenancy.current().company_id
        return await clients.search_clients(self.db, company, request)

    async def FindOrCreateClient(
        self, request: clients_pb2.FindOrCreateClientRequest, context: Context
    ) -> clients_pb2.FindOrCreateClientResponse:
        company = tenancy.current().company_id
        return await clients.find_or_create_client(self.db, company, request)

    async def MergeClients(self, request: clients_pb2.MergeClientsRequest, context: Context) -> clients_pb2.Client:
        company = tenancy.current().company_id
        return await clients.merge_clients(self.db, company, request)

    async def CreateOrganization(
        self, request: clients_pb2.CreateOrganizationRequest, context: Context
    ) -> clients_pb2.Organization:
        company = tenancy.current().company_id
        return await organizations.create_organization(self.db, company, request)

    async def GetOrganization(
        self, request: clients_pb2.GetOrganizationRequest, context: Context
    ) -> clients_pb2.Organization:
        company = tenancy.current().company_id
        return await organizations.get_organization(self.db, company, request.name)

    async def ListOrganizations(
        self, request: clients_pb2.ListOrganizationsRequest, context: Context
    ) -> clients_pb2.ListOrganizationsResponse:
        company = tenancy.current().company_id
        return await organizations.list_organizations(self.db, company, request)

    async def UpdateOrganization(
        self, request: clients_pb2.UpdateOrganizationRequest, context: Context
    ) -> clients_pb2.Organization:
        company = tenancy.current().company_id
        return await organizations.update_organization(self.db, company, request)

    async def DeleteOrganization(
        self, request: clients_pb2.DeleteOrganizationRequest, context: Context
    ) -> empty_pb2.Empty:
        company = tenancy.current().company_id
        await organizations.delete_organization(self.db, company, request.name)
        return empty_pb2.Empty()

    async def CreateMembership(
        self, request: clients_pb2.CreateMembershipRequest, context: Context
    ) -> clients_pb2.Membership:
        company = tenancy.current().company_id
        return await organizations.create_membership(self.db, company, request)

    async def GetMembership(
        self, request: clients_pb2.GetMembershipRequest, context: Context
    ) -> clients_pb2.Membership:
        company = tenancy.current().company_id
        return await organizations.get_membership(self.db, company, request.name)

    async def ListMemberships(
        self, request: clients_pb2.ListMembershipsRequest, context: Context
    ) -> clients_pb2.ListMembershipsResponse:
        company = tenancy.current().company_id
        return await organizations.list_memberships(self.db, company, request)

    async def DeleteMembership(self, request: clients_pb2.DeleteMembershipRequest, context: Context) -> empty_pb2.Empty:
        company = tenancy.current().company_id
        await organizations.delete_membership(self.db, company, request.name)
        return empty_pb2.Empty()

    async def CreateClientGroup(
        self, request: clients_pb2.CreateClientGroupRequest, context: Context
    ) -> clients_pb2.ClientGroup:
        company = tenancy.current().company_id
        return await groups.create_client_group(self.db, company, request)

    async def GetClientGroup(
        self, request: clients_pb2.GetClientGroupRequest, context: Context
    ) -> clients_pb2.ClientGroup:
        company = tenancy.current().company_id
        return await groups.get_client_group(self.db, company, request.name)

    async def ListClientGroups(
        self, request: clients_pb2.ListClientGroupsRequest, context: Context
    ) -> clients_pb2.ListClientGroupsResponse:
        company = tenancy.current().company_id
        return await groups.list_client_groups(self.db, company, request)

    async def UpdateClientGroup(
        self, request: clients_pb2.UpdateClientGroupRequest, context: Context
    ) -> clients_pb2.ClientGroup:
        company = tenancy.current().company_id
        return await groups.update_client_group(self.db, company, request)

    async def DeleteClientGroup(
        self, request: clients_pb2.DeleteClientGroupRequest, context: Context
    ) -> empty_pb2.Empty:
        company = tenancy.current().company_id
        await groups.delete_client_group(self.db, company, request.name)
        return empty_pb2.Empty()

    async def AddClientGroupMembers(
        self, request: clients_pb2.AddClientGroupMembersRequest, context: Context
    ) -> clients_pb2.ClientGroup:
        company = tenancy.current().company_id
        return await groups.change_group_members(self.db, company, request, add=True)

    async def RemoveClientGroupMembers(
        self, request: clients_pb2.RemoveClientGroupMembersRequest, context: Context
    ) -> clients_pb2.ClientGroup:
        company = tenancy.current().company_id
        return await groups.change_group_members(self.db, company, request, add=False)

    async def CreateSavedFilter(
        self, request: clients_pb2.CreateSavedFilterRequest, context: Context
    ) -> clients_pb2.SavedFilter:
        company = tenancy.current().company_id
        return await filters.create_saved_filter(self.db, company, request)

    async def GetSavedFilter(
        self, request: clients_pb2.GetSavedFilterRequest, context: Context
    ) -> clients_pb2.SavedFilter:
        company = tenancy.current().company_id
        return await filters.get_saved_filter(self.db, company, request.name)

    async def ListSavedFilters(
        self, request: clients_pb2.ListSavedFiltersRequest, context: Context
    ) -> clients_pb2.ListSavedFiltersResponse:
        company = tenancy.current().company_id
        return await filters.list_saved_filters(self.db, company, request)

    async def UpdateSavedFilter(
        self, request: clients_pb2.UpdateSavedFilterRequest, context: Context
    ) -> clients_pb2.SavedFilter:
        company = tenancy.current().company_id
        return await filters.update_saved_filter(self.db, company, request)

    async def DeleteSavedFilter(
        self, request: clients_pb2.DeleteSavedFilterRequest, context: Context
    ) -> empty_pb2.Empty:
        company = tenancy.current().company_id
        await filters.delete_saved_filter(self.db, company, request.name)
        return empty_pb2.Empty()

    async def ListAuditEntries(
        self, request: audit_pb2.ListAuditEntriesRequest, context: Context
    ) -> audit_pb2.ListAuditEntriesResponse:
        company = tenancy.current().company_id
        return await audit.list_audit_entries(self.db, company, request, history.RECORDS)
