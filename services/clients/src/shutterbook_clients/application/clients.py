"""Use cases of clients: create, read, list, update, soft delete, search, find-or-create, merge."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import events
from shutterbook_clients.application.convert import client_name, client_to_proto
from shutterbook_clients.application.last_sessions import repoint_sessions
from shutterbook_clients.application.selection import resolve_selection
from shutterbook_clients.domain.clients import (
    CLIENT_MUTABLE_PATHS,
    LIST_ORDERS,
    MAX_EMAILS,
    MAX_PHONES,
    ClientFields,
    email_key,
    search_keys,
    tag_key,
    validated_client,
    validated_update_mask,
)
from shutterbook_clients.domain.search import Query
from shutterbook_clients.storage.models import ClientRow, FamilyMemberRow
from shutterbook_clients.storage.repository import (
    NEW_CLIENT_CTES,
    NEW_CLIENT_TYPES,
    ClientRepository,
    GroupRepository,
    OrganizationRepository,
    new_client_params,
)
from shutterbook_kit import audit
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Aborted, AlreadyExists, FailedPrecondition, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import check_page
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import insert_values, utcnow
from shutterbook_kit.uow import UnitOfWork, outbox_values, write_in_one

SOURCE = "clients"

REPEATED_PATHS = frozenset({"emails", "phones", "tags", "family_members"})

# kept for callers of the foundation slice
to_proto = client_to_proto


def _duplicate_email(prefix: str = "client") -> AlreadyExists:
    return AlreadyExists(
        "a live client already has this primary email",
        reason="CLIENT_EMAIL_EXISTS",
        metadata={"field": f"{prefix}.emails[0]"},
    )


def apply_fields(row: ClientRow, fields: ClientFields) -> None:
    """Write validated fields, their search keys and the family list onto a row."""
    row.given_name = fields.given_name
    row.family_name = fields.family_name
    row.household_name = fields.household_name
    row.emails = list(fields.emails)
    row.phones = list(fields.phones)
    row.postal_address = dict(fields.postal_address)
    row.notes = fields.notes
    row.tags = list(fields.tags)
    row.referral_source = fields.referral_source
    keys = search_keys(fields)
    row.name_key = keys.name_key
    row.sort_key = keys.sort_key
    row.email_key = keys.email_key
    row.phone_key = keys.phone_key
    row.primary_email_key = keys.primary_email_key
    row.tags_key = keys.tags_key
    row.referral_key = keys.referral_key
    existing = {m.id: m for m in row.family_members}
    members: list[FamilyMemberRow] = []
    for position, m in enumerate(fields.family_members):
        member = existing.get(m.id) if m.id else None
        if member is None:
            member = FamilyMemberRow(id=str(uuid.uuid4()), company_id=row.company_id, client_id=row.id)
        member.position = position
        member.given_name = m.given_name
        member.family_name = m.family_name
        member.relationship = m.relationship
        member.birth_date = m.birth_date
        members.append(member)
    row.family_members = members


def fields_of(row: ClientRow) -> ClientFields:
    """The validated fields a stored row holds (to recompute keys after a merge)."""
    return validated_client(
        given_name=row.given_name,
        family_name=row.family_name,
        household_name=row.household_name,
        emails=row.emails,
        phones=row.phones,
        message=client_to_proto(row),
        client_id=row.id,
    )


def new_row(company_id: str, fields: ClientFields, now: datetime) -> ClientRow:
    row = ClientRow(id=str(uuid.uuid4()), company_id=company_id, created_at=now, updated_at=now, family_members=[])
    apply_fields(row, fields)
    return row


def _validated_new(client: clients_pb2.Client) -> ClientFields:
    return validated_client(
        given_name=client.given_name,
        family_name=client.family_name,
        household_name=client.household_name,
        emails=list(client.emails),
        phones=list(client.phones),
        message=_without_member_names(client),
    )


def _without_member_names(client: clients_pb2.Client) -> clients_pb2.Client:
    """New clients get new family member ids: names given on create are ignored."""
    copy = clients_pb2.Client()
    copy.CopyFrom(client)
    for m in copy.family_members:
        m.name = ""
    return copy


async def _insert(uow: UnitOfWork, row: ClientRow) -> None:
    repo = ClientRepository(uow.session)
    if row.primary_email_key and await repo.by_primary_email(row.company_id, row.primary_email_key):
        raise _duplicate_email()
    repo.add(row)
    try:
        await uow.session.flush()
    except IntegrityError:
        raise _duplicate_email() from None


async def create_client(db: Database, company_id: str, request: clients_pb2.CreateClientRequest) -> clients_pb2.Client:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()
    fields = _validated_new(request.client)

    async def work(uow: UnitOfWork) -> clients_pb2.Client:
        row = new_row(company_id, fields, utcnow())
        await _insert(uow, row)
        client = client_to_proto(row)
        uow.emit(events.CLIENT_CREATED, company_id, events_pb2.ClientCreatedEvent(client=client))
        uow.audit(company_id, client.name, "created", after=client)
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


async def find_or_create_client(
    db: Database, company_id: str, request: clients_pb2.FindOrCreateClientRequest
) -> clients_pb2.FindOrCreateClientResponse:
    """Race-free on both backends: the unique index on live primary emails lets one insert
    win; a loser rolls back whole and returns the winner."""
    if not request.client.emails:
        v = Violations()
        v.add("client.emails", "find-or-create needs an email")
        v.raise_if_any()
    fields = _validated_new(request.client)
    key = email_key(fields.emails[0])

    async def find() -> clients_pb2.Client | None:
        async with UnitOfWork(db, readonly=True) as uow:
            row = await ClientRepository(uow.session).by_primary_email(company_id, key)
            return client_to_proto(row) if row is not None else None

    if not db.is_sqlite:
        made = await _found_or_made_in_one(db, company_id, fields, find)
        if made is not None:
            return made
    # SQLite: a read-only look first, so that finding takes no write lock; PostgreSQL's writing
    # unit of work below looks as cheaply (one transaction, not two)
    if db.is_sqlite:
        found = await find()
        if found is not None:
            return clients_pb2.FindOrCreateClientResponse(client=found, created=False)
    try:
        async with UnitOfWork(db, source=SOURCE) as uow:
            repo = ClientRepository(uow.session)
            existing = await repo.by_primary_email(company_id, key)  # SQLite: writers are serialized
            if existing is not None:
                return clients_pb2.FindOrCreateClientResponse(client=client_to_proto(existing), created=False)
            row = new_row(company_id, fields, utcnow())
            repo.add(row)
            await uow.session.flush()
            client = client_to_proto(row)
            uow.emit(events.CLIENT_CREATED, company_id, events_pb2.ClientCreatedEvent(client=client))
            uow.audit(company_id, client.name, "created", after=client)
            await uow.commit()
            return clients_pb2.FindOrCreateClientResponse(client=client, created=True)
    except IntegrityError:
        found = await find()
        if found is None:
            raise Aborted("a concurrent change won; retry", reason="CONCURRENT_CHANGE") from None
        return clients_pb2.FindOrCreateClientResponse(client=found, created=False)


async def _found_or_made_in_one(
    db: Database, company_id: str, fields: ClientFields, find: Callable[[], Awaitable[clients_pb2.Client | None]]
) -> clients_pb2.FindOrCreateClientResponse | None:
    """PostgreSQL, a client without family members (an online booking's, the common case): the
    look (autocommit, no transaction), then the new client with its event and audit entry in
    one statement (kit `write_in_one`): two round trips where the unit of work takes five. A
    live client with the email made meanwhile wins the unique index: found then. None: the
    caller's unit of work (family members to insert, or the winner gone again)."""
    row = new_row(company_id, fields, utcnow())
    if row.family_members:
        return None
    found = await find()
    if found is not None:
        return clients_pb2.FindOrCreateClientResponse(client=found, created=False)
    values = insert_values(row)  # the column defaults taken by the row too
    client = client_to_proto(row)
    event = outbox_values(events.CLIENT_CREATED, company_id, events_pb2.ClientCreatedEvent(client=client), SOURCE)
    entry = audit.entry_values(company_id, client.name, "created", audit.diff(None, client), service=SOURCE)
    if await write_in_one(
        db,
        NEW_CLIENT_CTES,
        new_client_params(values),
        types=NEW_CLIENT_TYPES,
        events=[event],
        audits=[entry],
        companies=frozenset({company_id}),
    ):
        return clients_pb2.FindOrCreateClientResponse(client=client, created=True)
    found = await find()
    return None if found is None else clients_pb2.FindOrCreateClientResponse(client=found, created=False)


async def get_client(db: Database, company_id: str, name: str) -> clients_pb2.Client:
    client_id = parse_name(name, "clients", field="name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await ClientRepository(uow.session).get(company_id, client_id)
        if row is None:
            raise NotFound(f"{name} not found")
        return client_to_proto(row)


async def list_clients(
    db: Database, company_id: str, request: clients_pb2.ListClientsRequest
) -> clients_pb2.ListClientsResponse:
    v = Violations()
    check_page(request.page_size, request.page_token, v)
    order = request.order_by.strip() or LIST_ORDERS[0]
    if order not in LIST_ORDERS:
        v.add("order_by", f"one of {', '.join(LIST_ORDERS)}")
    async with UnitOfWork(db, readonly=True) as uow:
        selection = await resolve_selection(uow.session, company_id, request, v)
        v.raise_if_any()
        page = await ClientRepository(uow.session).list_page(
            company_id, selection, request.page_size, request.page_token, order=order
        )
        return clients_pb2.ListClientsResponse(
            clients=[client_to_proto(r) for r in page.items], next_page_token=page.next_page_token
        )


def _merge_paths(current: clients_pb2.Client, given: clients_pb2.Client, paths: tuple[str, ...]) -> clients_pb2.Client:
    merged = clients_pb2.Client()
    merged.CopyFrom(current)
    for path in paths:
        if path in REPEATED_PATHS:
            merged.ClearField(path)  # type: ignore[arg-type]
            getattr(merged, path).extend(getattr(given, path))
        elif path == "postal_address":
            merged.ClearField(path)  # type: ignore[arg-type]
            getattr(merged, path).CopyFrom(getattr(given, path))
        else:
            setattr(merged, path, getattr(given, path))
    return merged


async def update_client(db: Database, company_id: str, request: clients_pb2.UpdateClientRequest) -> clients_pb2.Client:
    v = Violations()
    paths = validated_update_mask(request.update_mask.paths, CLIENT_MUTABLE_PATHS, v)
    v.raise_if_any()
    client_id = parse_name(request.client.name, "clients", field="client.name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = ClientRepository(uow.session)
        row = await repo.get(company_id, client_id, for_update=True)
        if row is None:
            raise NotFound(f"{request.client.name} not found")
        if row.deleted_at is not None:
            raise FailedPrecondition(f"{request.client.name} is deleted", reason="CLIENT_DELETED")
        before = client_to_proto(row)
        wanted = _merge_paths(before, request.client, paths)
        fields = validated_client(
            given_name=wanted.given_name,
            family_name=wanted.family_name,
            household_name=wanted.household_name,
            emails=list(wanted.emails),
            phones=list(wanted.phones),
            message=wanted,
            client_id=row.id,
        )
        known = {m.id for m in row.family_members}
        for i, m in enumerate(fields.family_members):
            if m.id is not None and m.id not in known:
                v.add(f"client.family_members[{i}].name", "not a family member of this client")
        v.raise_if_any()
        old_email = row.primary_email_key
        apply_fields(row, fields)
        if row.primary_email_key and row.primary_email_key != old_email:
            with uow.session.no_autoflush:  # a flush now would hit the unique index: an internal error
                other = await repo.by_primary_email(company_id, row.primary_email_key)
            if other is not None and other.id != row.id:
                raise _duplicate_email()
        changed = [p for p in CLIENT_MUTABLE_PATHS if _field(before, p) != _field(client_to_proto(row), p)]
        if not changed:
            return before
        row.updated_at = utcnow()
        try:
            await uow.session.flush()
        except IntegrityError:
            raise _duplicate_email() from None
        after = client_to_proto(row)
        uow.emit(events.CLIENT_UPDATED, company_id, events_pb2.ClientUpdatedEvent(client=after, changed_paths=changed))
        uow.audit(company_id, after.name, "updated", before=before, after=after)
        await uow.commit()
        return after


def _field(msg: clients_pb2.Client, path: str) -> object:
    value = getattr(msg, path)
    if path in REPEATED_PATHS:
        return list(value)
    return value


async def delete_client(db: Database, company_id: str, name: str) -> clients_pb2.Client:
    """Soft delete: the row, its family and memberships stay for history."""
    client_id = parse_name(name, "clients", field="name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await ClientRepository(uow.session).get_live(company_id, client_id, for_update=True)
        if row is None:
            raise NotFound(f"{name} not found")
        before = client_to_proto(row)
        now = utcnow()
        row.deleted_at = now
        row.updated_at = now
        client = client_to_proto(row)
        uow.emit(events.CLIENT_DELETED, company_id, events_pb2.ClientDeletedEvent(client=client))
        uow.audit(company_id, client.name, "deleted", before=before, after=client)
        await uow.commit()
        return client


async def search_clients(
    db: Database, company_id: str, request: clients_pb2.SearchClientsRequest
) -> clients_pb2.SearchClientsResponse:
    query = Query.parse(request.query)
    v = Violations()
    if not query.terms:
        v.add("query", "search for a name, email or phone fragment")
    if len(request.query) > 200:
        v.add("query", "must be at most 200 characters")
    v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        page = await ClientRepository(uow.session).search_page(company_id, query, request.page_size, request.page_token)
        results = [
            clients_pb2.SearchResult(client=client_to_proto(row), match=clients_pb2.SearchMatch.ValueType(int(score)))
            for row, score in page.items
        ]
    return clients_pb2.SearchClientsResponse(results=results, next_page_token=page.next_page_token)


def _union(first: list[str], second: list[str], key: Any, limit: int) -> list[str]:
    out: dict[str, str] = {}
    for value in [*first, *second]:
        out.setdefault(key(value), value)
    return list(out.values())[:limit]


async def merge_clients(db: Database, company_id: str, request: clients_pb2.MergeClientsRequest) -> clients_pb2.Client:
    v = Violations()
    validate_request_id(request.request_id, v)
    survivor_id = parse_reference(request.client, "clients", field="client", violations=v)
    merged_id = parse_reference(request.merged_client, "clients", field="merged_client", violations=v)
    if survivor_id is not None and survivor_id == merged_id:
        v.add("merged_client", "a client cannot be merged into itself")
    v.raise_if_any()
    assert survivor_id is not None
    assert merged_id is not None

    async def work(uow: UnitOfWork) -> clients_pb2.Client:
        repo = ClientRepository(uow.session)
        survivor = await repo.get_live(company_id, survivor_id, for_update=True)
        if survivor is None:
            raise NotFound(f"{request.client} not found")
        merged = await repo.get_live(company_id, merged_id, for_update=True)
        if merged is None:
            raise NotFound(f"{request.merged_client} not found")
        survivor_before, merged_before = client_to_proto(survivor), client_to_proto(merged)
        now = utcnow()
        merged.deleted_at = now
        merged.updated_at = now
        merged.merged_into_id = survivor.id
        merged.primary_email_key = None  # frees the unique index before the survivor takes the email
        await uow.session.flush()
        # the survivor keeps what it has and takes what it lacks
        survivor.given_name = survivor.given_name or merged.given_name
        survivor.family_name = survivor.family_name or merged.family_name
        survivor.household_name = survivor.household_name or merged.household_name
        survivor.referral_source = survivor.referral_source or merged.referral_source
        survivor.postal_address = survivor.postal_address or merged.postal_address
        survivor.notes = "\n\n".join(n for n in (survivor.notes, merged.notes) if n)
        survivor.emails = _union(survivor.emails, merged.emails, email_key, MAX_EMAILS)
        survivor.phones = _union(survivor.phones, merged.phones, str, MAX_PHONES)
        survivor.tags = _union(survivor.tags, merged.tags, tag_key, 50)
        moving = list(merged.family_members)
        merged.family_members = []
        survivor.family_members = [*survivor.family_members, *moving]
        for position, member in enumerate(survivor.family_members):
            member.position = position
            member.client_id = survivor.id
        await _repoint_memberships(uow, company_id, survivor.id, merged.id)
        await _repoint_groups(uow, company_id, survivor.id, merged.id)
        await repoint_sessions(uow, company_id, merged.id, survivor.id)
        survivor.last_session_at = max(survivor.last_session_at, merged.last_session_at)
        apply_fields(survivor, fields_of(survivor))
        survivor.updated_at = now
        await uow.session.flush()
        client = client_to_proto(survivor)
        uow.emit(
            events.CLIENT_MERGED,
            company_id,
            events_pb2.ClientMergedEvent(surviving_client=client, merged_client=client_name(merged.id)),
        )
        merged_client = audit.added({"merged_client": merged_before.name})
        uow.audit(company_id, client.name, "merged", before=survivor_before, after=client, changes=merged_client)
        uow.audit(company_id, merged_before.name, "merged_into", before=merged_before, after=client_to_proto(merged))
        return client

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="MergeClients",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.Client,
        work=work,
        source=SOURCE,
    )


async def _repoint_memberships(uow: UnitOfWork, company_id: str, survivor_id: str, merged_id: str) -> None:
    organizations = OrganizationRepository(uow.session)
    held = {(m.organization_id, m.year) for m in await organizations.memberships_of_client(company_id, survivor_id)}
    for m in await organizations.memberships_of_client(company_id, merged_id):
        if (m.organization_id, m.year) in held:
            await uow.session.delete(m)
        else:
            m.client_id = survivor_id
            held.add((m.organization_id, m.year))


async def _repoint_groups(uow: UnitOfWork, company_id: str, survivor_id: str, merged_id: str) -> None:
    groups = GroupRepository(uow.session)
    held = await groups.group_ids_of_client(company_id, survivor_id)
    for g in await groups.memberships_of_client(company_id, merged_id):
        if g.group_id in held:
            await uow.session.delete(g)
        else:
            g.client_id = survivor_id
