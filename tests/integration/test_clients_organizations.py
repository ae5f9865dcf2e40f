"""Organizations and memberships by year, client groups, saved filters, and the
selectors bulk scheduling pages through (ListClients by group, filter, organization and
year). Merge re-points all of it. SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc, events_pb2
from shutterbook_devstack.testing import DatabaseFactory
from tests.clients_support import A, clients_service, error_info, new_client, rpc_error, violations

NO_NATS = "nats://127.0.0.1:1"


async def names(stub: clients_pb2_grpc.ClientsServiceAsyncStub, **selector: object) -> list[str]:
    """Every client name ListClients gives for a selector, page by page (pages of 2)."""
    out: list[str] = []
    token = ""
    for _ in range(50):
        page = await stub.ListClients(
            clients_pb2.ListClientsRequest(page_size=2, page_token=token, **selector),  # type: ignore[arg-type]
            metadata=A,
        )
        out += [c.name for c in page.clients]
        token = page.next_page_token
        if not token:
            return out
    raise AssertionError("too many pages")


async def test_organizations_years_groups_and_filters_select_clients(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        stub = svc.stub
        lincoln = await stub.CreateOrganization(
            clients_pb2.CreateOrganizationRequest(
                organization=clients_pb2.Organization(
                    display_name="Lincoln High", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                )
            ),
            metadata=A,
        )
        dup = await rpc_error(
            stub.CreateOrganization(
                clients_pb2.CreateOrganizationRequest(
                    organization=clients_pb2.Organization(
                        display_name="LINCOLN high", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                    )
                ),
                metadata=A,
            )
        )
        assert dup.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(dup)["field"] == "organization.display_name"
        kids = [await new_client(stub, given_name=f"Kid{i}", family_name="Smith", tags=["student"]) for i in range(5)]
        parent = await new_client(stub, given_name="Pat", family_name="Smith", referral_source="Referral")
        # the orders ListClients offers, paged by twos: oldest first (default), newest first, by name
        everyone = [k.name for k in kids] + [parent.name]
        assert await names(stub) == everyone
        assert await names(stub, order_by="create_time desc") == everyone[::-1]
        zed = await new_client(stub, given_name="Ann", family_name="Adams")
        assert await names(stub, order_by="family_name") == [zed.name, *everyone]
        students = clients_pb2.ClientCriteria(tags=["student"])
        assert await names(stub, order_by="create_time desc", criteria=students) == everyone[:5][::-1]
        first = await stub.ListClients(clients_pb2.ListClientsRequest(page_size=2, order_by="family_name"), metadata=A)
        other_order = clients_pb2.ListClientsRequest(page_size=2, page_token=first.next_page_token)
        assert "page_token" in violations(await rpc_error(stub.ListClients(other_order, metadata=A)))
        unknown_order = clients_pb2.ListClientsRequest(order_by="balance desc")
        assert "order_by" in violations(await rpc_error(stub.ListClients(unknown_order, metadata=A)))
        await stub.DeleteClient(clients_pb2.DeleteClientRequest(name=zed.name), metadata=A)
        for i, kid in enumerate(kids):
            for year in (2025, 2026) if i < 3 else (2026,):
                await stub.CreateMembership(
                    clients_pb2.CreateMembershipRequest(
                        membership=clients_pb2.Membership(client=kid.name, organization=lincoln.name, year=year)
                    ),
                    metadata=A,
                )
        again = await rpc_error(
            stub.CreateMembership(
                clients_pb2.CreateMembershipRequest(
                    membership=clients_pb2.Membership(client=kids[0].name, organization=lincoln.name, year=2025)
                ),
                metadata=A,
            )
        )
        assert again.code() == grpc.StatusCode.ALREADY_EXISTS
        unknown = await rpc_error(
            stub.CreateMembership(
                clients_pb2.CreateMembershipRequest(
                    membership=clients_pb2.Membership(
                        client=kids[0].name,
                        organization="organizations/0b7e6f3a-1111-4a4a-8a8a-0000000000ff",
                        year=1800,
                    )
                ),
                metadata=A,
            )
        )
        assert set(violations(unknown)) == {"membership.organization", "membership.year"}

        assert await names(stub, organization=lincoln.name, year=2025) == [k.name for k in kids[:3]]
        assert await names(stub, organization=lincoln.name, year=2026) == [k.name for k in kids]
        assert await names(stub, organization=lincoln.name) == [k.name for k in kids]
        by_year = await stub.ListMemberships(
            clients_pb2.ListMembershipsRequest(organization=lincoln.name, year=2025), metadata=A
        )
        assert [m.client for m in by_year.memberships] == [k.name for k in kids[:3]]

        group = await stub.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Yearbook retakes")),
            metadata=A,
        )
        grown = await stub.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(
                client_group=group.name, clients=[kids[4].name, parent.name, kids[4].name]
            ),
            metadata=A,
        )
        assert grown.member_count == 2
        assert set(await names(stub, group=group.name)) == {kids[4].name, parent.name}
        shrunk = await stub.RemoveClientGroupMembers(
            clients_pb2.RemoveClientGroupMembersRequest(client_group=group.name, clients=[parent.name]), metadata=A
        )
        assert shrunk.member_count == 1
        assert await names(stub, group=group.name) == [kids[4].name]
        # the groups a client is in (the console's client record), and a bad client named
        other = await stub.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Alumni")),
            metadata=A,
        )
        await stub.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(client_group=other.name, clients=[kids[4].name]), metadata=A
        )
        of_kid = await stub.ListClientGroups(clients_pb2.ListClientGroupsRequest(client=kids[4].name), metadata=A)
        assert [g.display_name for g in of_kid.client_groups] == ["Alumni", "Yearbook retakes"]
        of_parent = await stub.ListClientGroups(clients_pb2.ListClientGroupsRequest(client=parent.name), metadata=A)
        assert list(of_parent.client_groups) == []
        bad = await rpc_error(stub.ListClientGroups(clients_pb2.ListClientGroupsRequest(client="kids/4"), metadata=A))
        assert "client" in violations(bad)

        # a saved filter: tag + organization + year + created range + name fragment
        start = timestamp_pb2.Timestamp()
        start.CopyFrom(kids[1].create_time)
        saved = await stub.CreateSavedFilter(
            clients_pb2.CreateSavedFilterRequest(
                saved_filter=clients_pb2.SavedFilter(
                    display_name="Lincoln 2025 students",
                    criteria=clients_pb2.ClientCriteria(
                        query="smith", tags=["STUDENT"], organization=lincoln.name, year=2025, create_time_start=start
                    ),
                )
            ),
            metadata=A,
        )
        assert await names(stub, saved_filter=saved.name) == [k.name for k in kids[1:3]]
        referral = clients_pb2.ClientCriteria(referral_source="referral")
        assert await names(stub, criteria=referral) == [parent.name]
        # editing the filter changes what it selects
        await stub.UpdateSavedFilter(
            clients_pb2.UpdateSavedFilterRequest(
                saved_filter=clients_pb2.SavedFilter(
                    name=saved.name, criteria=clients_pb2.ClientCriteria(tags=["student"])
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["criteria"]),
            ),
            metadata=A,
        )
        assert await names(stub, saved_filter=saved.name) == [k.name for k in kids]

        bad = await rpc_error(
            stub.ListClients(
                clients_pb2.ListClientsRequest(
                    organization="organizations/0b7e6f3a-1111-4a4a-8a8a-0000000000ff", group=group.name, page_size=-1
                ),
                metadata=A,
            )
        )
        assert set(violations(bad)) == {"organization", "page_size"}
        bad_filter = await rpc_error(
            stub.CreateSavedFilter(
                clients_pb2.CreateSavedFilterRequest(
                    saved_filter=clients_pb2.SavedFilter(
                        display_name="x",
                        criteria=clients_pb2.ClientCriteria(organization="organizations/nope", year=2026),
                    )
                ),
                metadata=A,
            )
        )
        assert set(violations(bad_filter)) == {"saved_filter.criteria.organization"}

        # deleting the organization removes its memberships
        await stub.DeleteOrganization(clients_pb2.DeleteOrganizationRequest(name=lincoln.name), metadata=A)
        left = await stub.ListMemberships(clients_pb2.ListMembershipsRequest(), metadata=A)
        assert list(left.memberships) == []

        subjects = [e.subject for e in await svc.outbox()]
        assert subjects.count("clients.membership.changed") == 8 + 8  # 8 added, 8 removed with the organization
        assert "clients.group.created" in subjects
        assert subjects.count("clients.group_membership.changed") == 3  # added, removed, added to Alumni
        assert "clients.saved_filter.updated" in subjects
        assert "clients.organization.deleted" in subjects


async def test_merge_folds_one_client_into_another(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        stub = svc.stub
        school = await stub.CreateOrganization(
            clients_pb2.CreateOrganizationRequest(
                organization=clients_pb2.Organization(
                    display_name="Riverside", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                )
            ),
            metadata=A,
        )
        keep = await new_client(stub, given_name="Kim", family_name="Park", emails=["kim@example.com"], tags=["vip"])
        dupe = await new_client(
            stub,
            given_name="Kimberly",
            family_name="Park",
            emails=["kim.park@example.com", "KIM@example.com"],
            phones=["212 555 0100"],
            tags=["VIP", "school"],
            notes="old record",
            family_members=[
                clients_pb2.FamilyMember(given_name="Jo", relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD)
            ],
        )
        for client, year in ((keep, 2026), (dupe, 2026), (dupe, 2025)):
            await stub.CreateMembership(
                clients_pb2.CreateMembershipRequest(
                    membership=clients_pb2.Membership(client=client.name, organization=school.name, year=year)
                ),
                metadata=A,
            )
        group = await stub.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="G")), metadata=A
        )
        await stub.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(client_group=group.name, clients=[dupe.name]), metadata=A
        )

        itself = await rpc_error(
            stub.MergeClients(clients_pb2.MergeClientsRequest(client=keep.name, merged_client=keep.name), metadata=A)
        )
        assert set(violations(itself)) == {"merged_client"}

        request = clients_pb2.MergeClientsRequest(
            client=keep.name, merged_client=dupe.name, request_id="merge-kim-0001"
        )
        survivor = await stub.MergeClients(request, metadata=A)
        assert survivor.given_name == "Kim"
        assert list(survivor.emails) == ["kim@example.com", "kim.park@example.com"]
        assert list(survivor.phones) == ["+12125550100"]
        assert list(survivor.tags) == ["vip", "school"]
        assert survivor.notes == "old record"
        assert [m.given_name for m in survivor.family_members] == ["Jo"]
        assert survivor.family_members[0].name.startswith(f"{keep.name}/familyMembers/")
        assert await stub.MergeClients(request, metadata=A) == survivor  # a retry changes nothing

        merged = await stub.GetClient(clients_pb2.GetClientRequest(name=dupe.name), metadata=A)
        assert merged.merged_into == keep.name
        assert merged.HasField("delete_time")
        listed = await stub.ListClients(clients_pb2.ListClientsRequest(), metadata=A)
        assert [c.name for c in listed.clients] == [keep.name]
        memberships = await stub.ListMemberships(clients_pb2.ListMembershipsRequest(client=keep.name), metadata=A)
        assert sorted(m.year for m in memberships.memberships) == [2025, 2026]
        assert [
            c.name
            for c in (await stub.ListClients(clients_pb2.ListClientsRequest(group=group.name), metadata=A)).clients
        ] == [keep.name]
        found = await stub.SearchClients(clients_pb2.SearchClientsRequest(query="kim.park"), metadata=A)
        assert [r.client.name for r in found.results] == [keep.name]

        events = await svc.outbox("clients.client.merged")
        assert len(events) == 1
        payload = events_pb2.ClientMergedEvent()
        events[0].payload.Unpack(payload)
        assert payload.merged_client == dupe.name
        assert payload.surviving_client == survivor

        gone = await rpc_error(
            stub.MergeClients(clients_pb2.MergeClientsRequest(client=keep.name, merged_client=dupe.name), metadata=A)
        )
        assert gone.code() == grpc.StatusCode.NOT_FOUND
