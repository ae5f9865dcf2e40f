"""Client records through the clients service's gRPC API: details, family members, update
masks, soft delete, and the events each change writes to the outbox. SQLite and PostgreSQL."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.pagination import next_token
from tests.clients_support import A, clients_service, error_info, new_client, rpc_error, violations

NO_NATS = "nats://127.0.0.1:1"  # events stay in the outbox, which is what these tests read


def family() -> list[clients_pb2.FamilyMember]:
    return [
        clients_pb2.FamilyMember(
            given_name="Mia",
            relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD,
            birth_date=date_pb2.Date(year=2015, month=6, day=1),
        ),
        clients_pb2.FamilyMember(
            given_name="Sam", family_name="Ortiz", relationship=clients_pb2.FAMILY_RELATIONSHIP_SPOUSE
        ),
    ]


async def test_client_details_family_update_and_soft_delete(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        created = await new_client(
            svc.stub,
            given_name="Zoë",
            family_name="Núñez",
            household_name="The Núñez Family",
            emails=["Zoe@Example.com"],
            phones=["(212) 555-0123"],
            postal_address=clients_pb2.PostalAddress(
                address_lines=["1 Main St"], locality="New York", postal_code="10001"
            ),
            notes="prefers mornings",
            tags=["VIP", "vip", "school"],
            referral_source="Google",
            family_members=family(),
        )
        assert list(created.phones) == ["+12125550123"]  # national number read as US, kept in E.164
        assert list(created.tags) == ["VIP", "school"]  # case-insensitive, first spelling kept
        assert created.postal_address.locality == "New York"
        assert [m.given_name for m in created.family_members] == ["Mia", "Sam"]
        mia, _sam = created.family_members
        assert mia.name.startswith(f"{created.name}/familyMembers/")
        assert mia.birth_date == date_pb2.Date(year=2015, month=6, day=1)
        got = await svc.stub.GetClient(clients_pb2.GetClientRequest(name=created.name), metadata=A)
        assert got == created

        # update: only the masked fields change; a member given by name keeps its id
        teen = clients_pb2.FamilyMember(
            name=mia.name, given_name="Mia", relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD
        )
        updated = await svc.stub.UpdateClient(
            clients_pb2.UpdateClientRequest(
                client=clients_pb2.Client(
                    name=created.name, notes="afternoons now", given_name="ignored", family_members=[teen]
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["notes", "family_members"]),
            ),
            metadata=A,
        )
        assert updated.notes == "afternoons now"
        assert updated.given_name == "Zoë"
        assert [m.name for m in updated.family_members] == [mia.name]  # Sam removed, Mia kept her id
        assert not updated.family_members[0].HasField("birth_date")
        assert updated.update_time.ToDatetime() >= created.update_time.ToDatetime()

        # soft delete: gone from lists and search, still readable with delete_time
        deleted = await svc.stub.DeleteClient(clients_pb2.DeleteClientRequest(name=created.name), metadata=A)
        assert deleted.HasField("delete_time")
        listed = await svc.stub.ListClients(clients_pb2.ListClientsRequest(), metadata=A)
        assert list(listed.clients) == []
        found = await svc.stub.SearchClients(clients_pb2.SearchClientsRequest(query="nunez"), metadata=A)
        assert list(found.results) == []
        again = await svc.stub.GetClient(clients_pb2.GetClientRequest(name=created.name), metadata=A)
        assert again.HasField("delete_time")
        gone = await rpc_error(svc.stub.DeleteClient(clients_pb2.DeleteClientRequest(name=created.name), metadata=A))
        assert gone.code() == grpc.StatusCode.NOT_FOUND
        stale = await rpc_error(
            svc.stub.UpdateClient(
                clients_pb2.UpdateClientRequest(client=clients_pb2.Client(name=created.name, notes="x")), metadata=A
            )
        )
        assert stale.code() == grpc.StatusCode.FAILED_PRECONDITION
        # the email is free again for a new live client
        await new_client(svc.stub, given_name="Zoe", emails=["zoe@example.com"])

        # one event per change, each with the full client and its family
        events = await svc.outbox("clients.client.")
        assert [e.subject for e in events] == [
            "clients.client.created",
            "clients.client.updated",
            "clients.client.deleted",
            "clients.client.created",
        ]
        created_event = events_pb2.ClientCreatedEvent()
        events[0].payload.Unpack(created_event)
        assert created_event.client == created
        update_event = events_pb2.ClientUpdatedEvent()
        events[1].payload.Unpack(update_event)
        assert sorted(update_event.changed_paths) == ["family_members", "notes"]
        assert update_event.client == updated
        delete_event = events_pb2.ClientDeletedEvent()
        events[2].payload.Unpack(delete_event)
        assert delete_event.client.HasField("delete_time")
        assert len(delete_event.client.family_members) == 1


async def test_bad_client_input_names_each_field(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        err = await rpc_error(
            new_client(
                svc.stub,
                given_name="Al",
                emails=["al@example.com", "al@@example"],
                phones=["555", "+1 212 555 0123"],
                family_members=[
                    clients_pb2.FamilyMember(given_name="", relationship=clients_pb2.FamilyRelationship.ValueType(99))
                ],
                postal_address=clients_pb2.PostalAddress(region_code="USA"),
            )
        )
        assert set(violations(err)) == {
            "client.emails[1]",
            "client.phones[0]",
            "client.family_members[0].given_name",
            "client.family_members[0].relationship",
            "client.postal_address.region_code",
        }
        client = await new_client(svc.stub, given_name="Al", emails=["al@example.com"])
        # a duplicate live primary email is ALREADY_EXISTS naming the field
        dup = await rpc_error(new_client(svc.stub, given_name="Other Al", emails=["AL@example.com"]))
        assert dup.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(dup) == {"reason": "CLIENT_EMAIL_EXISTS", "field": "client.emails[0]"}
        mask = await rpc_error(
            svc.stub.UpdateClient(
                clients_pb2.UpdateClientRequest(
                    client=clients_pb2.Client(name=client.name, notes="n"),
                    update_mask=field_mask_pb2.FieldMask(paths=["notes", "create_time", "shoe_size"]),
                ),
                metadata=A,
            )
        )
        assert set(violations(mask)) == {"update_mask.paths[1]", "update_mask.paths[2]"}
        bad_phone = await rpc_error(
            svc.stub.UpdateClient(
                clients_pb2.UpdateClientRequest(
                    client=clients_pb2.Client(name=client.name, phones=["12"]),
                    update_mask=field_mask_pb2.FieldMask(paths=["phones"]),
                ),
                metadata=A,
            )
        )
        assert set(violations(bad_phone)) == {"client.phones[0]"}
        foreign_member = await rpc_error(
            svc.stub.UpdateClient(
                clients_pb2.UpdateClientRequest(
                    client=clients_pb2.Client(
                        name=client.name,
                        family_members=[
                            clients_pb2.FamilyMember(
                                name=f"{client.name}/familyMembers/0b7e6f3a-1111-4a4a-8a8a-0000000000ff",
                                given_name="X",
                                relationship=clients_pb2.FAMILY_RELATIONSHIP_OTHER,
                            )
                        ],
                    ),
                    update_mask=field_mask_pb2.FieldMask(paths=["family_members"]),
                ),
                metadata=A,
            )
        )
        assert set(violations(foreign_member)) == {"client.family_members[0].name"}
        negative = await rpc_error(svc.stub.ListClients(clients_pb2.ListClientsRequest(page_size=-1), metadata=A))
        assert set(violations(negative)) == {"page_size"}
        # nothing half-written: still exactly one client, unchanged
        listed = await svc.stub.ListClients(clients_pb2.ListClientsRequest(), metadata=A)
        assert list(listed.clients) == [client]


async def test_list_pages_through_every_live_client_once(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        made = [await new_client(svc.stub, given_name=f"P{i}") for i in range(7)]
        seen: list[str] = []
        token = ""
        for _ in range(10):
            page = await svc.stub.ListClients(clients_pb2.ListClientsRequest(page_size=3, page_token=token), metadata=A)
            seen += [c.name for c in page.clients]
            token = page.next_page_token
            if not token:
                break
        assert seen == [c.name for c in made]
        wrong = await rpc_error(
            svc.stub.SearchClients(
                clients_pb2.SearchClientsRequest(query="p", page_token=token or "bm9wZQ=="), metadata=A
            )
        )
        assert "page_token" in violations(wrong)
        # a well-formed token of this query holding a position we never wrote
        forged = next_token({"t": "not a time", "i": 1}, {"m": "list", "g": "", "f": "", "o": "", "y": 0, "c": ""})
        bad = await rpc_error(svc.stub.ListClients(clients_pb2.ListClientsRequest(page_token=forged), metadata=A))
        assert set(violations(bad)) == {"page_token"}
        naive = next_token(
            {"t": "2026-01-01T00:00:00", "i": "x"}, {"m": "list", "g": "", "f": "", "o": "", "y": 0, "c": ""}
        )
        bad = await rpc_error(svc.stub.ListClients(clients_pb2.ListClientsRequest(page_token=naive), metadata=A))
        assert set(violations(bad)) == {"page_token"}
