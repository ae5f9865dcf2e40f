"""Use cases of client groups: named static lists of clients."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import events
from shutterbook_clients.application.convert import client_name, group_to_proto
from shutterbook_clients.domain.catalog import MAX_DESCRIPTION, validated_display_name, validated_text
from shutterbook_clients.domain.clients import validated_update_mask
from shutterbook_clients.storage.models import ClientGroupRow, GroupMemberRow
from shutterbook_clients.storage.repository import ClientRepository, GroupRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

SOURCE = "clients"
GROUP_MUTABLE_PATHS = ("display_name", "description")
MAX_BATCH = 1000


def _duplicate_name() -> AlreadyExists:
    return AlreadyExists(
        "a client group with this name exists",
        reason="CLIENT_GROUP_EXISTS",
        metadata={"field": "client_group.display_name"},
    )


async def _flush_unique(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError:
        raise _duplicate_name() from None


async def _to_proto(uow: UnitOfWork, row: ClientGroupRow) -> clients_pb2.ClientGroup:
    return group_to_proto(row, await GroupRepository(uow.session).member_count(row.company_id, row.id))


async def create_client_group(
    db: Database, company_id: str, request: clients_pb2.CreateClientGroupRequest
) -> clients_pb2.ClientGroup:
    v = Violations()
    validate_request_id(request.request_id, v)
    display, key = validated_display_name(request.client_group.display_name, v, "client_group.display_name")
    description = validated_text(request.client_group.description, v, "client_group.description", MAX_DESCRIPTION)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> clients_pb2.ClientGroup:
        now = utcnow()
        row = ClientGroupRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            display_name=display,
            name_key=key,
            description=description,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        await _flush_unique(uow)
        msg = group_to_proto(row, 0)
        uow.emit(events.GROUP_CREATED, company_id, events_pb2.ClientGroupChangedEvent(client_group=msg))
        uow.audit(company_id, msg.name, "created", after=msg)
        return msg

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateClientGroup",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.ClientGroup,
        work=work,
        source=SOURCE,
    )


async def get_client_group(db: Database, company_id: str, name: str) -> clients_pb2.ClientGroup:
    group_id = parse_name(name, "clientGroups", field="name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await GroupRepository(uow.session).get(company_id, group_id)
        if row is None:
            raise NotFound(f"{name} not found")
        return await _to_proto(uow, row)


async def list_client_groups(
    db: Database, company_id: str, request: clients_pb2.ListClientGroupsRequest
) -> clients_pb2.ListClientGroupsResponse:
    client_id = parse_name(request.client, "clients", field="client") if request.client else None
    async with UnitOfWork(db, readonly=True) as uow:
        page = await GroupRepository(uow.session).list_page(
            company_id, request.page_size, request.page_token, client_id=client_id
        )
        groups = [await _to_proto(uow, r) for r in page.items]
    return clients_pb2.ListClientGroupsResponse(client_groups=groups, next_page_token=page.next_page_token)


async def update_client_group(
    db: Database, company_id: str, request: clients_pb2.UpdateClientGroupRequest
) -> clients_pb2.ClientGroup:
    v = Violations()
    paths = validated_update_mask(request.update_mask.paths, GROUP_MUTABLE_PATHS, v)
    given = request.client_group
    display, key = "", ""
    if "display_name" in paths:
        display, key = validated_display_name(given.display_name, v, "client_group.display_name")
    description = validated_text(given.description, v, "client_group.description", MAX_DESCRIPTION)
    v.raise_if_any()
    group_id = parse_name(given.name, "clientGroups", field="client_group.name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await GroupRepository(uow.session).get(company_id, group_id)
        if row is None:
            raise NotFound(f"{given.name} not found")
        before = await _to_proto(uow, row)
        if "display_name" in paths:
            row.display_name, row.name_key = display, key
        if "description" in paths:
            row.description = description
        row.updated_at = utcnow()
        await _flush_unique(uow)
        msg = await _to_proto(uow, row)
        uow.emit(events.GROUP_UPDATED, company_id, events_pb2.ClientGroupChangedEvent(client_group=msg))
        uow.audit(company_id, msg.name, "updated", before=before, after=msg)
        await uow.commit()
        return msg


async def delete_client_group(db: Database, company_id: str, name: str) -> None:
    group_id = parse_name(name, "clientGroups", field="name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await GroupRepository(uow.session).get(company_id, group_id)
        if row is None:
            raise NotFound(f"{name} not found")
        msg = await _to_proto(uow, row)
        await GroupRepository(uow.session).remove_members(company_id, group_id)
        await uow.session.delete(row)
        uow.emit(events.GROUP_DELETED, company_id, events_pb2.ClientGroupChangedEvent(client_group=msg))
        uow.audit(company_id, msg.name, "deleted", before=msg)
        await uow.commit()


def _client_ids(names: list[str], v: Violations) -> list[str]:
    if not names:
        v.add("clients", "name at least one client")
    if len(names) > MAX_BATCH:
        v.add("clients", f"at most {MAX_BATCH} clients at once")
    ids: list[str] = []
    for i, name in enumerate(names):
        client_id = parse_reference(name, "clients", field=f"clients[{i}]", violations=v)
        if client_id is not None:
            ids.append(client_id)
    return ids


async def change_group_members(
    db: Database,
    company_id: str,
    request: clients_pb2.AddClientGroupMembersRequest | clients_pb2.RemoveClientGroupMembersRequest,
    *,
    add: bool,
) -> clients_pb2.ClientGroup:
    v = Violations()
    validate_request_id(request.request_id, v)
    names = list(request.clients)
    ids = _client_ids(names, v)
    v.raise_if_any()
    group_id = parse_name(request.client_group, "clientGroups", field="client_group")

    async def work(uow: UnitOfWork) -> clients_pb2.ClientGroup:
        groups = GroupRepository(uow.session)
        row = await groups.get(company_id, group_id)
        if row is None:
            raise NotFound(f"{request.client_group} not found")
        if add:
            known = await ClientRepository(uow.session).live_ids(company_id, ids)
            for i, name in enumerate(names):
                client_id = parse_reference(name, "clients", field=f"clients[{i}]", violations=Violations())
                if client_id not in known:
                    v.add(f"clients[{i}]", "unknown client")
            v.raise_if_any()
            present = await groups.member_ids(company_id, group_id, ids)
            changed = [i for i in dict.fromkeys(ids) if i not in present]
            now = utcnow()
            for client_id in changed:
                uow.session.add(
                    GroupMemberRow(group_id=group_id, client_id=client_id, company_id=company_id, added_at=now)
                )
        else:
            present = await groups.member_ids(company_id, group_id, ids)
            changed = [i for i in dict.fromkeys(ids) if i in present]
            if changed:
                await groups.remove_members(company_id, group_id, changed)
        if changed:
            row.updated_at = utcnow()
            await uow.session.flush()
            uow.emit(
                events.GROUP_MEMBERSHIP_CHANGED,
                company_id,
                events_pb2.ClientGroupMembershipChangedEvent(
                    client_group=f"clientGroups/{group_id}",
                    change=events_pb2.MEMBERSHIP_CHANGE_ADDED if add else events_pb2.MEMBERSHIP_CHANGE_REMOVED,
                    clients=[client_name(i) for i in changed],
                ),
            )
            names_changed = [client_name(i) for i in changed]
            action, side = ("members_added", "after") if add else ("members_removed", "before")
            uow.audit(company_id, f"clientGroups/{group_id}", action, changes={"clients": {side: names_changed}})
            for client in names_changed:
                uow.audit(
                    company_id,
                    client,
                    f"group_{'joined' if add else 'left'}",
                    changes={"client_group": {side: f"clientGroups/{group_id}"}},
                )
        return await _to_proto(uow, row)

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="AddClientGroupMembers" if add else "RemoveClientGroupMembers",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.ClientGroup,
        work=work,
        source=SOURCE,
    )
