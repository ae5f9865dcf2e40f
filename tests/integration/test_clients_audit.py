"""The clients service's audit trail through gRPC: each change of a client is an entry (who,
when, which fields), written with the change or not at all; read per record, newest first,
paged; another company's record is NOT_FOUND. SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.common.v1 import audit_pb2
from shutterbook_devstack.caller_keys import caller_metadata
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.identity import Caller, CallerKind, Role
from shutterbook_kit.uow import UnitOfWork
from tests.audit_support import CALLER, changes, history
from tests.clients_support import COMPANY_A, A, B, clients_service, new_client, rpc_error, violations

NO_NATS = "nats://127.0.0.1:1"
FRONT_DESK = Caller(
    COMPANY_A, CallerKind.STAFF, "u-frontdesk", display_name="Dana Front", roles=frozenset({Role.FRONT_DESK})
)


async def client_history(
    stub: clients_pb2_grpc.ClientsServiceAsyncStub, parent: str, page_size: int = 0
) -> list[audit_pb2.AuditEntry]:
    async def page(parent: str, page_size: int, page_token: str) -> audit_pb2.ListAuditEntriesResponse:
        request = audit_pb2.ListAuditEntriesRequest(parent=parent, page_size=page_size, page_token=page_token)
        return await stub.ListAuditEntries(request, metadata=A)

    return await history(page, parent, page_size)


async def test_created_updated_merged_deleted_client_has_its_history(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        ann = await new_client(svc.stub, given_name="Ann", family_name="Lee", emails=["ann@example.com"], tags=["vip"])
        other = await new_client(svc.stub, given_name="Annie", emails=["annie@example.com"], notes="twin")
        await svc.stub.UpdateClient(
            clients_pb2.UpdateClientRequest(
                client=clients_pb2.Client(name=ann.name, given_name="Anna", tags=["vip", "school"]),
                update_mask=field_mask_pb2.FieldMask(paths=["given_name", "tags"]),
            ),
            metadata=caller_metadata(FRONT_DESK),
        )
        await svc.stub.MergeClients(
            clients_pb2.MergeClientsRequest(client=ann.name, merged_client=other.name), metadata=A
        )
        await svc.stub.DeleteClient(clients_pb2.DeleteClientRequest(name=ann.name), metadata=A)

        entries = await client_history(svc.stub, ann.name)
        assert [e.action for e in entries] == ["deleted", "merged", "updated", "created"]
        assert [(e.caller, e.caller_display_name) for e in entries] == [
            (CALLER, "test"),
            (CALLER, "test"),
            ("staff:u-frontdesk", "Dana Front"),  # the verified staff member, by id and name
            (CALLER, "test"),
        ]
        assert all(e.record == ann.name for e in entries)
        times = [e.create_time.ToDatetime() for e in entries]
        assert times == sorted(times, reverse=True)
        deleted, merged, updated, created = entries
        assert changes(updated) == {
            "given_name": {"before": "Ann", "after": "Anna"},
            "tags": {"before": ["vip"], "after": ["vip", "school"]},
        }
        assert changes(created)["emails"] == {"after": ["ann@example.com"]}
        assert changes(created)["given_name"] == {"after": "Ann"}
        assert changes(merged) == {
            "emails": {"before": ["ann@example.com"], "after": ["ann@example.com", "annie@example.com"]},
            "merged_client": {"after": other.name},
            "notes": {"after": "twin"},
        }
        assert set(changes(deleted)) == {"delete_time"}
        # the merged client's own history says where it went
        gone = await client_history(svc.stub, other.name)
        assert [e.action for e in gone] == ["merged_into", "created"]
        assert changes(gone[0])["merged_into"] == {"after": ann.name}

        # pages of two: the same entries, in the same order
        assert await client_history(svc.stub, ann.name, page_size=2) == entries


async def test_a_failed_change_writes_no_entry(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        await new_client(svc.stub, given_name="Ann", emails=["ann@example.com"])
        bob = await new_client(svc.stub, given_name="Bob", emails=["bob@example.com"])
        taken = await rpc_error(
            svc.stub.UpdateClient(
                clients_pb2.UpdateClientRequest(
                    client=clients_pb2.Client(name=bob.name, given_name="Robert", emails=["ann@example.com"]),
                    update_mask=field_mask_pb2.FieldMask(paths=["given_name", "emails"]),
                ),
                metadata=A,
            )
        )
        assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
        assert [e.action for e in await client_history(svc.stub, bob.name)] == ["created"]
        got = await svc.stub.GetClient(clients_pb2.GetClientRequest(name=bob.name), metadata=A)
        assert got.given_name == "Bob"


async def test_another_companys_record_is_not_found(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        ann = await new_client(svc.stub, given_name="Ann")
        theirs = await rpc_error(
            svc.stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(parent=ann.name), metadata=B)
        )
        assert theirs.code() == grpc.StatusCode.NOT_FOUND
        unknown = await rpc_error(
            svc.stub.ListAuditEntries(
                audit_pb2.ListAuditEntriesRequest(parent="clients/0b7e6f3a-1111-4a4a-8a8a-0000000000ff"), metadata=A
            )
        )
        assert unknown.code() == grpc.StatusCode.NOT_FOUND
        bad = await rpc_error(
            svc.stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(parent="invoices/x", page_size=-1), metadata=A)
        )
        assert set(violations(bad)) == {"parent", "page_size"}


async def test_memberships_and_groups_are_in_the_clients_history(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        ann = await new_client(svc.stub, given_name="Ann")
        org = await svc.stub.CreateOrganization(
            clients_pb2.CreateOrganizationRequest(
                organization=clients_pb2.Organization(
                    display_name="Lincoln High", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                )
            ),
            metadata=A,
        )
        membership = await svc.stub.CreateMembership(
            clients_pb2.CreateMembershipRequest(
                membership=clients_pb2.Membership(organization=org.name, client=ann.name, year=2026)
            ),
            metadata=A,
        )
        group = await svc.stub.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Seniors")),
            metadata=A,
        )
        await svc.stub.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(client_group=group.name, clients=[ann.name]), metadata=A
        )
        await svc.stub.DeleteMembership(clients_pb2.DeleteMembershipRequest(name=membership.name), metadata=A)

        client_entries = await client_history(svc.stub, ann.name)
        assert [e.action for e in client_entries] == [
            "membership_removed",
            "group_joined",
            "membership_added",
            "created",
        ]
        assert changes(client_entries[2])["year"] == {"after": 2026}
        assert changes(client_entries[1]) == {"client_group": {"after": group.name}}
        org_entries = await client_history(svc.stub, org.name)
        assert [e.action for e in org_entries] == ["membership_removed", "membership_added", "created"]
        group_entries = await client_history(svc.stub, group.name)
        assert [e.action for e in group_entries] == ["members_added", "created"]
        assert changes(group_entries[0]) == {"clients": {"after": [ann.name]}}


async def failing_change(db: Database, record: str) -> None:
    async with UnitOfWork(db, source="clients") as uow:
        uow.audit(COMPANY_A, record, "updated", changes={"notes": {"after": "lost"}})
        await uow.session.flush()
        raise RuntimeError("the change failed")


async def test_an_entry_is_written_with_its_transaction_or_not_at_all(databases: DatabaseFactory) -> None:
    """A change that fails after its entry was recorded (here: an error before commit, as a
    failed flush or a lost race would raise) leaves no entry: both roll back together."""
    async with clients_service(databases, NO_NATS) as svc:
        ann = await new_client(svc.stub, given_name="Ann")
        db = Database(svc.database_url)
        try:
            with pytest.raises(RuntimeError):
                await failing_change(db, ann.name)
            async with UnitOfWork(db, source="clients") as uow:  # and one committed, to see it counts
                uow.audit(COMPANY_A, ann.name, "updated", changes={"notes": {"after": "kept"}})
                await uow.commit()
        finally:
            await db.dispose()
        entries = await client_history(svc.stub, ann.name)
        assert [(e.action, changes(e).get("notes")) for e in entries] == [
            ("updated", {"after": "kept"}),
            ("created", None),
        ]
        assert entries[0].caller == "service:clients"  # outside a call: the service itself


async def test_a_saved_filter_has_its_history(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        criteria = clients_pb2.ClientCriteria(tags=["vip"])
        request = clients_pb2.CreateSavedFilterRequest(
            saved_filter=clients_pb2.SavedFilter(display_name="VIPs", criteria=criteria)
        )
        saved = await svc.stub.CreateSavedFilter(request, metadata=A)
        renamed = clients_pb2.SavedFilter(name=saved.name, display_name="Our VIPs")
        await svc.stub.UpdateSavedFilter(
            clients_pb2.UpdateSavedFilterRequest(
                saved_filter=renamed, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
            ),
            metadata=A,
        )
        entries = await client_history(svc.stub, saved.name)
        assert [e.action for e in entries] == ["updated", "created"]
        assert changes(entries[0]) == {"display_name": {"before": "VIPs", "after": "Our VIPs"}}
        assert changes(entries[1])["criteria.tags"] == {"after": ["vip"]}
