"""Another company's clients are never visible nor changeable: get, list, search, filter
evaluation, group membership, memberships, merge, update, delete. SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2

from shutterbook.clients.v1 import clients_pb2
from shutterbook_devstack.testing import DatabaseFactory
from tests.clients_support import A, B, clients_service, new_client, rpc_error, violations

NO_NATS = "nats://127.0.0.1:1"


async def test_other_company_sees_nothing_and_changes_nothing(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        stub = svc.stub
        mine = await new_client(
            stub, A, given_name="Alice", family_name="Secret", emails=["alice@example.com"], tags=["t"]
        )
        theirs = await new_client(stub, B, given_name="Alice", family_name="Other", tags=["t"])
        org = await stub.CreateOrganization(
            clients_pb2.CreateOrganizationRequest(
                organization=clients_pb2.Organization(
                    display_name="Lincoln High", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                )
            ),
            metadata=A,
        )
        await stub.CreateMembership(
            clients_pb2.CreateMembershipRequest(
                membership=clients_pb2.Membership(client=mine.name, organization=org.name, year=2026)
            ),
            metadata=A,
        )
        group = await stub.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Mine")), metadata=A
        )
        await stub.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(client_group=group.name, clients=[mine.name]), metadata=A
        )
        saved = await stub.CreateSavedFilter(
            clients_pb2.CreateSavedFilterRequest(
                saved_filter=clients_pb2.SavedFilter(
                    display_name="All t", criteria=clients_pb2.ClientCriteria(tags=["t"])
                )
            ),
            metadata=A,
        )

        # get
        assert (await rpc_error(stub.GetClient(clients_pb2.GetClientRequest(name=mine.name), metadata=B))).code() == (
            grpc.StatusCode.NOT_FOUND
        )
        for call in (
            stub.GetOrganization(clients_pb2.GetOrganizationRequest(name=org.name), metadata=B),
            stub.GetClientGroup(clients_pb2.GetClientGroupRequest(name=group.name), metadata=B),
            stub.GetSavedFilter(clients_pb2.GetSavedFilterRequest(name=saved.name), metadata=B),
        ):
            assert (await rpc_error(call)).code() == grpc.StatusCode.NOT_FOUND
        # list and search
        listed = await stub.ListClients(clients_pb2.ListClientsRequest(), metadata=B)
        assert [c.name for c in listed.clients] == [theirs.name]
        found = await stub.SearchClients(clients_pb2.SearchClientsRequest(query="alice"), metadata=B)
        assert [r.client.name for r in found.results] == [theirs.name]
        by_email = await stub.SearchClients(clients_pb2.SearchClientsRequest(query="alice@example.com"), metadata=B)
        assert list(by_email.results) == []
        # filter evaluation: the same criteria select each company's own clients only
        inline = await stub.ListClients(
            clients_pb2.ListClientsRequest(criteria=clients_pb2.ClientCriteria(tags=["t"])), metadata=B
        )
        assert [c.name for c in inline.clients] == [theirs.name]
        for selector in ({"saved_filter": saved.name}, {"group": group.name}, {"organization": org.name}):
            err = await rpc_error(stub.ListClients(clients_pb2.ListClientsRequest(**selector), metadata=B))  # type: ignore[arg-type]
            assert set(violations(err)) == set(selector)
        assert list((await stub.ListMemberships(clients_pb2.ListMembershipsRequest(), metadata=B)).memberships) == []
        # group membership: B cannot add A's client to B's group, nor touch A's group
        their_group = await stub.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Mine")), metadata=B
        )
        err = await rpc_error(
            stub.AddClientGroupMembers(
                clients_pb2.AddClientGroupMembersRequest(client_group=their_group.name, clients=[mine.name]), metadata=B
            )
        )
        assert set(violations(err)) == {"clients[0]"}
        err = await rpc_error(
            stub.RemoveClientGroupMembers(
                clients_pb2.RemoveClientGroupMembersRequest(client_group=group.name, clients=[mine.name]), metadata=B
            )
        )
        assert err.code() == grpc.StatusCode.NOT_FOUND
        # memberships: B cannot enroll A's client, nor in A's organization
        err = await rpc_error(
            stub.CreateMembership(
                clients_pb2.CreateMembershipRequest(
                    membership=clients_pb2.Membership(client=mine.name, organization=org.name, year=2026)
                ),
                metadata=B,
            )
        )
        assert set(violations(err)) == {"membership.client", "membership.organization"}
        # merge, in either direction
        for survivor, merged in ((theirs, mine), (mine, theirs)):
            err = await rpc_error(
                stub.MergeClients(
                    clients_pb2.MergeClientsRequest(client=survivor.name, merged_client=merged.name), metadata=B
                )
            )
            assert err.code() == grpc.StatusCode.NOT_FOUND
        # update and delete
        err = await rpc_error(
            stub.UpdateClient(
                clients_pb2.UpdateClientRequest(
                    client=clients_pb2.Client(name=mine.name, notes="hacked"),
                    update_mask=field_mask_pb2.FieldMask(paths=["notes"]),
                ),
                metadata=B,
            )
        )
        assert err.code() == grpc.StatusCode.NOT_FOUND
        err = await rpc_error(stub.DeleteClient(clients_pb2.DeleteClientRequest(name=mine.name), metadata=B))
        assert err.code() == grpc.StatusCode.NOT_FOUND
        # B's find-or-create with A's email makes B's own client, never returns A's
        made = await stub.FindOrCreateClient(
            clients_pb2.FindOrCreateClientRequest(
                client=clients_pb2.Client(given_name="B", emails=["alice@example.com"])
            ),
            metadata=B,
        )
        assert made.created
        assert made.client.name != mine.name

        # A's records are untouched
        assert await stub.GetClient(clients_pb2.GetClientRequest(name=mine.name), metadata=A) == mine
        assert (
            await stub.GetClientGroup(clients_pb2.GetClientGroupRequest(name=group.name), metadata=A)
        ).member_count == 1
        a_members = await stub.ListMemberships(clients_pb2.ListMembershipsRequest(), metadata=A)
        assert [m.client for m in a_members.memberships] == [mine.name]
