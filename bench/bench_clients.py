"""Clients at scale: 100,000 clients of one company; SearchClients p50/p95 and ListClients
throughput through gRPC, as ratios to GetClient (a primary-key read: the ceiling) on the
same database in the same run. SQLite always; PostgreSQL too where
SHUTTERBOOK_TEST_POSTGRES_URL is set (a throwaway database, dropped afterwards).

Rows are seeded with SQLAlchemy core in batches (the keys computed by the service's own
domain code), not one RPC each. Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import timedelta
from typing import Any

import grpc
from sqlalchemy import insert, text

from bench.common import measure, on_each_backend, report
from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_clients import main as clients_main
from shutterbook_clients.domain.clients import ClientFields, MemberFields, search_keys
from shutterbook_clients.storage.models import ClientRow, FamilyMemberRow
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.schema import utcnow

CLIENTS = 100_000
BATCH = 5_000
COMPANY = "b0000000-0000-4000-8000-000000000001"
GIVEN = [
    "Ada",
    "Ben",
    "Chloé",
    "Diego",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Inés",
    "Jamal",
    "Kai",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Vera",
    "Wen",
    "Xavi",
    "Yara",
    "Zoë",
]
FAMILY = [
    "Andersen",
    "Brooks",
    "Castillo",
    "Dubois",
    "Eriksson",
    "Fischer",
    "García",
    "Hughes",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vasquez",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zielinski",
]
QUERIES = ["ada", "garcia", "zoe tanaka", "nakam", "ines", "555 01", "@example.com", "petrov", "o'brien", "uma x"]
META = company_metadata(COMPANY)


def _row(i: int, now: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = random.Random(i)
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    members = (MemberFields(None, rng.choice(GIVEN), "", 3, None),) if i % 3 == 0 else ()
    fields = ClientFields(
        given_name=given,
        family_name=family,
        household_name=f"The {family} Family" if i % 5 == 0 else "",
        emails=(f"{given.lower()}.{i}@example.com",),
        phones=(f"+1212555{i % 10000:04d}",),
        tags=("student",) if i % 4 == 0 else (),
        family_members=members,
    )
    keys = search_keys(fields)
    created = now - timedelta(seconds=CLIENTS - i)
    row = {
        "id": client_id,
        "company_id": COMPANY,
        "given_name": given,
        "family_name": family,
        "household_name": fields.household_name,
        "emails": list(fields.emails),
        "phones": list(fields.phones),
        "created_at": created,
        "updated_at": created,
        "postal_address": {},
        "notes": "",
        "tags": list(fields.tags),
        "referral_source": "",
        "deleted_at": None,
        "merged_into_id": None,
        "name_key": keys.name_key,
        "sort_key": keys.sort_key,
        "email_key": keys.email_key,
        "phone_key": keys.phone_key,
        "primary_email_key": keys.primary_email_key,
        "tags_key": keys.tags_key,
        "referral_key": keys.referral_key,
    }
    family_rows = [
        {
            "id": str(uuid.uuid4()),
            "company_id": COMPANY,
            "client_id": client_id,
            "position": 0,
            "given_name": m.given_name,
            "family_name": "",
            "relationship": m.relationship,
            "birth_date": None,
        }
        for m in members
    ]
    return row, family_rows


async def seed(url: str) -> list[str]:
    db = Database(url)
    ids: list[str] = []
    now = utcnow()
    try:
        for start in range(0, CLIENTS, BATCH):
            rows, members = [], []
            for i in range(start, min(start + BATCH, CLIENTS)):
                row, family_rows = _row(i, now)
                rows.append(row)
                members += family_rows
                ids.append(row["id"])
            async with db.engine.begin() as conn:
                await conn.execute(insert(ClientRow), rows)
                if members:
                    await conn.execute(insert(FamilyMemberRow), members)
        # a bulk load leaves the planner without statistics (PostgreSQL would sort the whole
        # table instead of walking the index); production tables are analyzed by autovacuum
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await db.dispose()
    return ids


async def run_on(label: str, url: str, nats_url: str) -> None:
    t0 = time.perf_counter()
    await asyncio.to_thread(upgrade, clients_main.MIGRATIONS, url)
    ids = await seed(url)
    print(f"[{label}] seeded {len(ids)} clients in {time.perf_counter() - t0:.1f}s", flush=True)
    settings = service_settings("clients", url, nats_url)
    host = clients_main.build(settings)
    await host.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            stub: clients_pb2_grpc.ClientsServiceAsyncStub = clients_pb2_grpc.ClientsServiceStub(channel)
            rng = random.Random(7)

            async def get() -> object:
                return await stub.GetClient(
                    clients_pb2.GetClientRequest(name=f"clients/{rng.choice(ids)}"), metadata=META
                )

            queries = iter(QUERIES * 1000)

            async def search() -> object:
                request = clients_pb2.SearchClientsRequest(query=next(queries), page_size=20)
                return await stub.SearchClients(request, metadata=META)

            token = [""]

            async def list_page() -> object:
                page = await stub.ListClients(
                    clients_pb2.ListClientsRequest(page_size=100, page_token=token[0]), metadata=META
                )
                token[0] = page.next_page_token
                return page

            ceiling = await measure("GetClient (primary key)", get, count=2000, max_seconds=10)
            searched = await measure("SearchClients (page of 20)", search, count=300, max_seconds=30)
            listed = await measure("ListClients (page of 100)", list_page, count=300, max_seconds=15)
            report(f"[{label}] SearchClients over {CLIENTS} clients vs GetClient", searched, ceiling)
            report(f"[{label}] ListClients paging over {CLIENTS} clients vs GetClient", listed, ceiling)
            print(f"[{label}] ListClients: {listed.per_second * 100:.0f} clients/s listed", flush=True)
    finally:
        await host.stop()


async def main() -> None:
    await on_each_backend("clients", run_on)
