"""Use cases of the clients service."""

from __future__ import annotations

import uuid

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients.domain.clients import validated_client
from shutterbook_clients.storage.models import ClientRow
from shutterbook_clients.storage.repository import ClientRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

SOURCE = "clients"


def to_proto(row: ClientRow) -> clients_pb2.Client:
    msg = clients_pb2.Client(
        name=f"clients/{row.id}",
        given_name=row.given_name,
        family_name=row.family_name,
        household_name=row.household_name,
        emails=row.emails,
        phones=row.phones,
    )
    msg.create_time.FromDatetime(row.created_at)
    msg.update_time.FromDatetime(row.updated_at)
    return msg


async def create_client(db: Database, company_id: str, request: clients_pb2.CreateClientRequest) -> clients_pb2.Client:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()
    c = request.client
    fields = validated_client(
        given_name=c.given_name,
        family_name=c.family_name,
        household_name=c.household_name,
        emails=list(c.emails),
        phones=list(c.phones),
    )

    async def work(uow: UnitOfWork) -> clients_pb2.Client:
        now = utcnow()
        row = ClientRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            given_name=fields.given_name,
            family_name=fields.family_name,
            household_name=fields.household_name,
            emails=list(fields.emails),
            phones=list(fields.phones),
            created_at=now,
            updated_at=now,
        )
        ClientRepository(uow.session).add(row)
        client = to_proto(row)
        uow.emit("clients.client.created", company_id, events_pb2.ClientCreatedEvent(client=client))
        return client

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateClient",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.Client,
        work=work,
        source=SOURCE,
    )


async def get_client(db: Database, company_id: str, name: str) -> clients_pb2.Client:
    client_id = parse_name(name, "clients", field="name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await ClientRepository(uow.session).get(company_id, client_id)
    if row is None:
        raise NotFound(f"{name} not found")
    return to_proto(row)
