"""Scheduling's directory of clients: kept from the clients service's events, read by
sessions (a session's client must be known here, its participants must be the client's
family members) and by the API.

Every applied event counts one `revision` on the client's row. Deletes are soft (the row
stays, marked), and a merge re-points the merged client's sessions and appointments to
the survivor, in the same transaction as the inbox entry.

EnsureKnownClient applies a client version at once, as its event will (for a caller that has
just created or found the client and must book without waiting for the event); a version not
newer than the one held changes nothing, not even the revision count.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook.scheduling.v1 import scheduling_pb2
from shutterbook_kit.consumer import Delivery, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    KnownClientRow,
    KnownFamilyMemberRow,
    ParticipantRow,
    SessionRow,
)


def _display_name(client: clients_pb2.Client) -> str:
    person = " ".join(p for p in (client.given_name, client.family_name) if p)
    return client.household_name or person


def _member_name(member: clients_pb2.FamilyMember, client: clients_pb2.Client) -> str:
    return " ".join(p for p in (member.given_name, member.family_name or client.family_name) if p)


async def on_client_created(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientCreatedEvent)
    await upsert_known_client(delivery.uow, delivery.envelope.company_id, event.client)


async def on_client_updated(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientUpdatedEvent)
    await upsert_known_client(delivery.uow, delivery.envelope.company_id, event.client)


async def on_client_deleted(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientDeletedEvent)
    row = await upsert_known_client(delivery.uow, delivery.envelope.company_id, event.client)
    row.deleted = True


async def on_client_merged(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientMergedEvent)
    company_id = delivery.envelope.company_id
    uow = delivery.uow
    survivor = await upsert_known_client(uow, company_id, event.surviving_client)
    merged_id = event.merged_client.removeprefix("clients/")
    merged = await _locked_row(uow, company_id, merged_id, utcnow())
    merged.revision += 1
    merged.merged_into = survivor.client_id
    await uow.session.execute(
        update(SessionRow)
        .where(SessionRow.company_id == company_id, SessionRow.client_id == merged_id)
        .values(client_id=survivor.client_id)
    )
    await uow.session.execute(
        update(AppointmentRow)
        .where(AppointmentRow.company_id == company_id, AppointmentRow.client_id == merged_id)
        .values(client_id=survivor.client_id)
    )
    await _repoint_documents(uow, company_id, merged_id, survivor.client_id)


async def _repoint_documents(uow: UnitOfWork, company_id: str, old: str, new: str) -> None:
    """The participants of the moved sessions name the client too (their names carry its id)."""
    moved = select(SessionRow.id).where(SessionRow.company_id == company_id, SessionRow.client_id == new)
    await uow.session.execute(
        update(ParticipantRow)
        .where(ParticipantRow.session_id.in_(moved), ParticipantRow.client_id == old)
        .values(client_id=new)
    )


def _source_time(client: clients_pb2.Client) -> datetime:
    return client.update_time.ToDatetime().replace(tzinfo=utcnow().tzinfo)


async def _locked_row(uow: UnitOfWork, company_id: str, client_id: str, source_time: datetime) -> KnownClientRow:
    """The client's row, created empty (no name, revision 0) if missing, and locked until the
    transaction ends.

    Race-free: INSERT ... ON CONFLICT DO NOTHING leaves an existing row (or one a concurrent
    transaction is inserting: PostgreSQL waits for it) alone, then SELECT ... FOR UPDATE
    serializes whoever compares and applies versions (on SQLite, BEGIN IMMEDIATE already has).
    Reading and then adding the row let an event and EnsureKnownClient both insert it."""
    await uow.insert_missing(
        KnownClientRow,
        {
            "company_id": company_id,
            "client_id": client_id,
            "display_name": "",
            "primary_email": "",
            "source_updated_at": source_time,
            "learned_at": utcnow(),
            "revision": 0,
            "deleted": False,
            "merged_into": "",
        },
    )
    row = await uow.session.scalar(
        select(KnownClientRow)
        .where(KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id)
        .with_for_update()
        # a copy loaded earlier in this session may be stale: read the locked row
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def upsert_known_client(uow: UnitOfWork, company_id: str, client: clients_pb2.Client) -> KnownClientRow:
    """Apply a client version; an older version than the one held changes nothing but the count."""
    client_id = client.name.removeprefix("clients/")
    row = await _locked_row(uow, company_id, client_id, _source_time(client))
    await _apply_version(uow, row, client)
    return row


async def _apply_version(uow: UnitOfWork, row: KnownClientRow, client: clients_pb2.Client) -> None:
    """Count one revision on the (locked) row, and take the version unless an older one than held."""
    source_time = _source_time(client)
    # family rows are written here only, each time after a revision counted: a row at revision 0
    # (just made empty by `_locked_row`) has none to delete
    had_family = row.revision > 0
    row.revision += 1
    if source_time >= row.source_updated_at or not row.display_name:
        row.display_name = _display_name(client)
        row.primary_email = client.emails[0] if client.emails else ""
        row.source_updated_at = source_time
        row.learned_at = utcnow()
        await uow.session.flush()
        if had_family:
            await uow.session.execute(
                delete(KnownFamilyMemberRow).where(
                    KnownFamilyMemberRow.company_id == row.company_id,
                    KnownFamilyMemberRow.client_id == row.client_id,
                )
            )
        for member in client.family_members:
            member_id = member.name.rsplit("/", 1)[-1]
            if member_id:
                uow.session.add(
                    KnownFamilyMemberRow(
                        company_id=row.company_id,
                        client_id=row.client_id,
                        member_id=member_id,
                        display_name=_member_name(member, client),
                    )
                )


SUBSCRIPTIONS = [
    subscribe(events.CLIENT_CREATED, on_client_created),
    subscribe(events.CLIENT_UPDATED, on_client_updated),
    subscribe(events.CLIENT_DELETED, on_client_deleted),
    subscribe(events.CLIENT_MERGED, on_client_merged),
]


async def _to_proto(uow: UnitOfWork, row: KnownClientRow) -> scheduling_pb2.KnownClient:
    members = (
        await uow.session.scalars(
            select(KnownFamilyMemberRow)
            .where(KnownFamilyMemberRow.company_id == row.company_id, KnownFamilyMemberRow.client_id == row.client_id)
            .order_by(KnownFamilyMemberRow.display_name, KnownFamilyMemberRow.member_id)
        )
    ).all()
    msg = scheduling_pb2.KnownClient(
        name=f"knownClients/{row.client_id}",
        client=f"clients/{row.client_id}",
        display_name=row.display_name,
        primary_email=row.primary_email,
        family_members=[
            scheduling_pb2.KnownFamilyMember(
                name=f"clients/{row.client_id}/familyMembers/{m.member_id}", display_name=m.display_name
            )
            for m in members
        ],
        deleted=row.deleted,
        merged_into=f"clients/{row.merged_into}" if row.merged_into else "",
    )
    msg.update_time.FromDatetime(row.learned_at)
    return msg


def _is_canonical_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def check_client(client: clients_pb2.Client, field: str, violations: Violations) -> str:
    """The client's id; violations (named under `field`) for a client without a
    `clients/{uuid}` name or an update time, or with a family member not named under it."""
    v = violations
    client_id = client.name.removeprefix("clients/")
    if not client.name:
        v.add(f"{field}.name", "is required")
    elif not client.name.startswith("clients/") or not _is_canonical_uuid(client_id):
        v.add(f"{field}.name", "must look like clients/{id}, the id a UUID as the clients service gives it")
    if not client.HasField("update_time"):
        v.add(f"{field}.update_time", "is required")
    elif not 0 <= client.update_time.nanos < 1_000_000_000 or client.update_time.seconds <= 0:
        v.add(f"{field}.update_time", "is not a valid time")
    if len(_display_name(client)) > 400:
        v.add(f"{field}.given_name", "the client's name must be at most 400 characters")
    if client.emails and len(client.emails[0]) > 320:
        v.add(f"{field}.emails[0]", "must be at most 320 characters")
    for i, member in enumerate(client.family_members):
        prefix = f"{client.name}/familyMembers/"
        if not member.name.startswith(prefix) or not _is_canonical_uuid(member.name.removeprefix(prefix)):
            v.add(f"{field}.family_members[{i}].name", f"must look like {prefix}{{id}}")
        elif len(_member_name(member, client)) > 400:
            v.add(f"{field}.family_members[{i}].given_name", "the member's name must be at most 400 characters")
    return client_id


def _check_request(request: scheduling_pb2.EnsureKnownClientRequest) -> str:
    """The client's id; INVALID_ARGUMENT for a client `check_client` refuses."""
    v = Violations()
    if not request.HasField("client"):
        v.add("client", "is required")
        v.raise_if_any()
    client_id = check_client(request.client, "client", v)
    v.raise_if_any()
    return client_id


async def ensure_in(uow: UnitOfWork, company_id: str, client_id: str, client: clients_pb2.Client) -> KnownClientRow:
    """Apply the client version (checked by `check_client`) in this unit of work, as
    `clients.client.created`/`updated` does (a version with a delete time as
    `clients.client.deleted` does), unless the version held is the same or newer: then nothing
    changes. The client's row stays locked (PostgreSQL) until the unit of work ends."""
    row = await _locked_row(uow, company_id, client_id, _source_time(client))
    # decided on the locked row: a concurrent event or call applying this version first
    # leaves nothing to do here
    if not row.display_name or _source_time(client) > row.source_updated_at:
        await _apply_version(uow, row, client)
        if client.HasField("delete_time"):
            row.deleted = True
        await uow.session.flush()
    return row


async def ensure_known_client(
    db: Database, company_id: str, request: scheduling_pb2.EnsureKnownClientRequest
) -> scheduling_pb2.KnownClient:
    """`ensure_in` in a unit of work of its own. Returns the client as known now."""
    client_id = _check_request(request)
    async with UnitOfWork(db, source="scheduling") as uow:
        row = await ensure_in(uow, company_id, client_id, request.client)
        result = await _to_proto(uow, row)
        await uow.commit()
        return result


async def get_known_client(db: Database, company_id: str, name: str) -> scheduling_pb2.KnownClient:
    client_id = parse_name(name, "knownClients")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(KnownClientRow, (company_id, client_id))
        if row is None or not row.display_name:
            raise NotFound(f"{name} not found")
        return await _to_proto(uow, row)


async def list_known_clients(
    db: Database, company_id: str, request: scheduling_pb2.ListKnownClientsRequest
) -> scheduling_pb2.ListKnownClientsResponse:
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.known_clients_page(uow.session, company_id, request.page_size, request.page_token)
        out = [await _to_proto(uow, r) for r in page.items]
    return scheduling_pb2.ListKnownClientsResponse(known_clients=out, next_page_token=page.next_page_token)
