"""A consumer's handler with its effect as one statement (kit `OneStatement`; billing's client
directory): on PostgreSQL the effect and the event's inbox entry are one autocommit statement
(no BEGIN, COMMIT or INSERT of the inbox entry's own); an event delivered again is recorded
once and counted a duplicate; a version the effect does not take (older than the one held)
goes to the handler's unit of work, which records it. On SQLite the unit of work does it all."""

from __future__ import annotations

import uuid

import nats
from google.protobuf import timestamp_pb2
from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as clients_events
from shutterbook_billing.storage.models import KnownClientRow
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, round_trips
from shutterbook_kit import shared_events
from shutterbook_kit.db import Database
from shutterbook_kit.schema import InboxEntry, OutboxMessage
from shutterbook_kit.uow import UnitOfWork
from tests.billing_support import COMPANY_A, billing_service, producer


def _client(given: str, seconds: int, name: str = "") -> clients_pb2.Client:
    updated = timestamp_pb2.Timestamp(seconds=1_790_000_000 + seconds)
    return clients_pb2.Client(
        name=name or f"clients/{uuid.uuid4()}", given_name=given, family_name="Tester", update_time=updated
    )


def _writes(statement: str) -> bool:
    return statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "WITH"}


async def _name(db: Database, client: clients_pb2.Client) -> str | None:
    async with UnitOfWork(db, readonly=True) as uow:
        name: str | None = await uow.session.scalar(
            select(KnownClientRow.display_name).where(
                KnownClientRow.company_id == COMPANY_A, KnownClientRow.client_id == client.name.split("/")[1]
            )
        )
    return name


async def _inbox(db: Database, event_id: str) -> int:
    async with UnitOfWork(db, readonly=True) as uow:
        rows = (await uow.session.scalars(select(InboxEntry.consumer).where(InboxEntry.event_id == event_id))).all()
    return len(rows)


async def test_an_effect_and_its_inbox_entry_in_one_statement(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        producer(databases, nats_server.url, "clients", clients_main.MIGRATIONS) as clients_db,
        billing_service(databases, nats_server.url) as b,
    ):
        billing_db, consumer = b.host.parts.db, b.clients_consumer
        ada = _client("Ada", 10)
        async with round_trips(billing_db) as seen:
            async with UnitOfWork(clients_db, source="clients") as uow:
                created = uow.emit(
                    shared_events.CLIENT_CREATED, COMPANY_A, clients_events.ClientCreatedEvent(client=ada)
                )
                await uow.commit()
            await eventually(lambda: _name(billing_db, ada), what="ada known to billing")
        assert await _name(billing_db, ada) == "Ada Tester"
        assert await _inbox(billing_db, created) == 1
        applying = [s for s in seen.statements if _writes(s) and ("inbox_entries" in s or "known_clients" in s)]
        if databases.backend == "postgres":
            assert len(applying) == 1, applying
            assert applying[0].lstrip().startswith("WITH effect AS")
        else:
            assert len(applying) == 2, applying  # the inbox entry, then the effect
        assert (consumer.applied, consumer.skipped_duplicates) == (1, 0)

        # the same event delivered again (published once more under another message id, as a
        # redelivery would bring it): recorded once, counted a duplicate, the name unchanged
        async with UnitOfWork(clients_db, readonly=True) as uow:
            payload = await uow.session.scalar(select(OutboxMessage.payload).where(OutboxMessage.event_id == created))
        assert payload is not None
        conn = await nats.connect(nats_server.url)
        try:
            js = conn.jetstream()
            await js.publish(shared_events.CLIENT_CREATED.subject, payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        finally:
            await conn.close()

        async def counted() -> bool:
            return consumer.skipped_duplicates == 1

        await eventually(counted, what="the second delivery counted a duplicate")
        assert consumer.applied == 1
        assert await _inbox(billing_db, created) == 1
        assert await _name(billing_db, ada) == "Ada Tester"

        # an older version than the one held: the effect takes nothing, the handler's unit of
        # work records the event (applied), the name unchanged
        older = _client("Adeline", 0, name=ada.name)
        async with UnitOfWork(clients_db, source="clients") as uow:
            updated = uow.emit(shared_events.CLIENT_UPDATED, COMPANY_A, clients_events.ClientUpdatedEvent(client=older))
            await uow.commit()

        async def applied_twice() -> bool:
            return consumer.applied == 2

        await eventually(applied_twice, what="the older version handled")
        assert await _inbox(billing_db, updated) == 1
        assert await _name(billing_db, ada) == "Ada Tester"

        # a client without its version time: not the one statement (a time made up at delivery
        # would let a redelivery overwrite a newer version), the handler's unit of work
        bo = clients_pb2.Client(name=f"clients/{uuid.uuid4()}", given_name="Bo", family_name="Tester")
        async with round_trips(billing_db) as seen:
            async with UnitOfWork(clients_db, source="clients") as uow:
                uow.emit(shared_events.CLIENT_CREATED, COMPANY_A, clients_events.ClientCreatedEvent(client=bo))
                await uow.commit()
            await eventually(lambda: _name(billing_db, bo), what="bo known to billing")
        unversioned = [s for s in seen.statements if _writes(s) and ("inbox_entries" in s or "known_clients" in s)]
        assert len(unversioned) == 2, unversioned  # the inbox entry, then the effect
        assert consumer.applied == 3
