"""Search (case- and accent-insensitive, ranked, paginated, the same on SQLite and
PostgreSQL) and find-or-create by email under concurrency."""

from __future__ import annotations

import asyncio

import grpc

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_devstack.testing import DatabaseFactory
from tests.clients_support import A, clients_service, new_client, rpc_error, violations

NO_NATS = "nats://127.0.0.1:1"


async def search(
    stub: clients_pb2_grpc.ClientsServiceAsyncStub, query: str, page_size: int = 0, page_token: str = ""
) -> clients_pb2.SearchClientsResponse:
    request = clients_pb2.SearchClientsRequest(query=query, page_size=page_size, page_token=page_token)
    return await stub.SearchClients(request, metadata=A)


async def test_search_ranks_and_ignores_case_and_accents(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        ann = await new_client(svc.stub, given_name="Ann", family_name="Lee")
        anna = await new_client(svc.stub, given_name="Anna", family_name="Zimmer")
        joanne = await new_client(svc.stub, given_name="Joanne", family_name="Ångström", emails=["jo@studio.example"])
        renee = await new_client(svc.stub, given_name="Renée", family_name="Dubois", phones=["(415) 555-0199"])
        await new_client(svc.stub, given_name="Bob", family_name="Stone")

        # exact whole name first, then word prefixes (by name), then fragments
        found = await search(svc.stub, "ANN")
        assert [(r.client.name, r.match) for r in found.results] == [
            (ann.name, clients_pb2.SEARCH_MATCH_PREFIX),
            (anna.name, clients_pb2.SEARCH_MATCH_PREFIX),
            (joanne.name, clients_pb2.SEARCH_MATCH_SUBSTRING),
        ]
        exact = await search(svc.stub, "ann lee")
        assert [(r.client.name, r.match) for r in exact.results] == [(ann.name, clients_pb2.SEARCH_MATCH_EXACT)]
        # accents and case on either side
        assert [r.client.name for r in (await search(svc.stub, "angstrom")).results] == [joanne.name]
        assert [r.client.name for r in (await search(svc.stub, "RENÉE dub")).results] == [renee.name]
        assert [r.client.name for r in (await search(svc.stub, "rené")).results] == [renee.name]
        # email and phone fragments, phones in any punctuation
        assert [r.client.name for r in (await search(svc.stub, "STUDIO.example")).results] == [joanne.name]
        assert [r.client.name for r in (await search(svc.stub, "555-0199")).results] == [renee.name]
        by_phone = await search(svc.stub, "(415) 555 0199")
        assert [(r.client.name, r.match) for r in by_phone.results] == [(renee.name, clients_pb2.SEARCH_MATCH_EXACT)]
        # LIKE wildcards are plain characters
        assert list((await search(svc.stub, "%")).results) == []
        assert list((await search(svc.stub, "a_n")).results) == []

        # pages: every match once, in rank order
        token = ""
        paged: list[str] = []
        for _ in range(10):
            page = await search(svc.stub, "n", page_size=2, page_token=token)
            paged += [r.client.name for r in page.results]
            token = page.next_page_token
            if not token:
                break
        whole = await search(svc.stub, "n")
        assert paged == [r.client.name for r in whole.results]
        assert len(paged) == 5

        empty = await rpc_error(svc.stub.SearchClients(clients_pb2.SearchClientsRequest(query="  "), metadata=A))
        assert set(violations(empty)) == {"query"}
        negative = await rpc_error(
            svc.stub.SearchClients(clients_pb2.SearchClientsRequest(query="a", page_size=-5), metadata=A)
        )
        assert set(violations(negative)) == {"page_size"}


async def test_find_or_create_from_fifty_tasks_gives_one_client(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:

        async def one(i: int) -> clients_pb2.FindOrCreateClientResponse:
            request = clients_pb2.FindOrCreateClientRequest(
                client=clients_pb2.Client(
                    given_name=f"Guest {i}",
                    emails=["Online.Guest@Example.com" if i % 2 else "online.guest@example.com"],
                )
            )
            return await svc.stub.FindOrCreateClient(request, metadata=A, timeout=60)

        answers = await asyncio.gather(*(one(i) for i in range(50)))
        assert len({a.client.name for a in answers}) == 1
        assert sum(a.created for a in answers) == 1
        listed = await svc.stub.ListClients(clients_pb2.ListClientsRequest(), metadata=A)
        assert [c.name for c in listed.clients] == [answers[0].client.name]
        created = await svc.outbox("clients.client.created")
        assert len(created) == 1

        no_email = await rpc_error(
            svc.stub.FindOrCreateClient(
                clients_pb2.FindOrCreateClientRequest(client=clients_pb2.Client(given_name="X")), metadata=A
            )
        )
        assert set(violations(no_email)) == {"client.emails"}
        bad = await rpc_error(
            svc.stub.FindOrCreateClient(
                clients_pb2.FindOrCreateClientRequest(client=clients_pb2.Client(given_name="X", emails=["x@"])),
                metadata=A,
            )
        )
        assert set(violations(bad)) == {"client.emails[0]"}


async def test_search_never_matches_deleted_or_other_fields(databases: DatabaseFactory) -> None:
    async with clients_service(databases, NO_NATS) as svc:
        kept = await new_client(svc.stub, household_name="The Öberg Household", notes="oberg in notes")
        gone = await new_client(svc.stub, given_name="Oberg")
        await svc.stub.DeleteClient(clients_pb2.DeleteClientRequest(name=gone.name), metadata=A)
        found = await search(svc.stub, "oberg")
        assert [r.client.name for r in found.results] == [kept.name]
        err = await rpc_error(svc.stub.GetClient(clients_pb2.GetClientRequest(name="clients/not-a-uuid"), metadata=A))
        assert err.code() == grpc.StatusCode.NOT_FOUND
