"""FindOrCreateClient (an online booking's first step) on PostgreSQL: a client found is one
statement with no transaction; a new client without family members is made with its
`clients.client.created` event and its audit entry in one autocommit statement (kit
`write_in_one`): the client the unit of work would make (the answer is what GetClient reads
back, every column's default written), its event and its entry; with family members, the unit
of work. On SQLite the unit of work does it all. (Fifty concurrent calls give one client:
test_clients_search.py.)"""

from __future__ import annotations

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import audit_pb2, date_pb2
from shutterbook_devstack.testing import DatabaseFactory, round_trips
from tests.audit_support import changes
from tests.clients_support import COMPANY_A, A, clients_service

NO_NATS = "nats://127.0.0.1:1"


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "WITH"}]


async def test_a_client_found_or_made_in_one_statement(databases: DatabaseFactory) -> None:
    postgres = databases.backend == "postgres"
    async with clients_service(databases, NO_NATS) as svc:
        request = clients_pb2.FindOrCreateClientRequest(
            client=clients_pb2.Client(given_name="Ada", family_name="Lovelace", emails=["Ada@Example.com"])
        )
        async with round_trips(svc.db) as made:
            answer = await svc.stub.FindOrCreateClient(request, metadata=A)
        assert answer.created
        if postgres:  # the look, then the one statement; no BEGIN, no COMMIT
            assert [s.split(" ", 1)[0] for s in made.statements] == ["SELECT", "WITH"], made.statements
            assert made.transaction_control == []
        else:
            assert len(_writes(made.statements)) == 3  # the client's INSERT, its audit entry's, its event's
        # the client as stored is the answer (defaults written as the unit of work writes them)
        stored = await svc.stub.GetClient(clients_pb2.GetClientRequest(name=answer.client.name), metadata=A)
        assert stored == answer.client
        assert (stored.given_name, list(stored.emails)) == ("Ada", ["Ada@example.com"])
        by_last_session = clients_pb2.ListClientsRequest(order_by="last_session_time desc")
        listed = await svc.stub.ListClients(by_last_session, metadata=A)
        assert [c.name for c in listed.clients] == [stored.name]  # its last session: none, as a new one's
        [event] = await svc.outbox("clients.client.created")
        assert event.company_id == COMPANY_A
        entries = (
            await svc.stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(parent=stored.name), metadata=A)
        ).audit_entries
        assert [e.action for e in entries] == ["created"]
        assert changes(entries[0])["given_name"] == {"after": "Ada"}

        # found again (another spelling of the email): one statement, nothing written
        again = clients_pb2.FindOrCreateClientRequest(
            client=clients_pb2.Client(given_name="A.", emails=["ada@example.com"])
        )
        async with round_trips(svc.db) as found:
            answer_again = await svc.stub.FindOrCreateClient(again, metadata=A)
        assert (answer_again.created, answer_again.client.name) == (False, stored.name)
        assert _writes(found.statements) == []
        if postgres:
            assert found.transaction_control == []

        # with a family member: the unit of work (its member rows with it)
        family = clients_pb2.FindOrCreateClientRequest(
            client=clients_pb2.Client(
                given_name="Bo",
                emails=["bo@example.com"],
                family_members=[
                    clients_pb2.FamilyMember(
                        given_name="Kid",
                        relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD,
                        birth_date=date_pb2.Date(year=2015, month=6, day=1),
                    )
                ],
            )
        )
        async with round_trips(svc.db) as with_members:
            made_family = await svc.stub.FindOrCreateClient(family, metadata=A)
        assert made_family.created
        assert [m.given_name for m in made_family.client.family_members] == ["Kid"]
        if postgres:
            assert with_members.transaction_control[-1] == "COMMIT"
        stored_family = await svc.stub.GetClient(clients_pb2.GetClientRequest(name=made_family.client.name), metadata=A)
        assert stored_family == made_family.client
