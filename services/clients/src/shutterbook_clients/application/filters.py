"""Use cases of saved filters: criteria kept under a name; ListClients evaluates them."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import events
from shutterbook_clients.application.convert import saved_filter_to_proto
from shutterbook_clients.application.selection import resolve_criteria
from shutterbook_clients.domain.catalog import validated_display_name
from shutterbook_clients.domain.clients import validated_update_mask
from shutterbook_clients.storage.models import SavedFilterRow
from shutterbook_clients.storage.repository import SavedFilterRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

SOURCE = "clients"
FILTER_MUTABLE_PATHS = ("display_name", "criteria")


def _duplicate_name() -> AlreadyExists:
    return AlreadyExists(
        "a saved filter with this name exists",
        reason="SAVED_FILTER_EXISTS",
        metadata={"field": "saved_filter.display_name"},
    )


async def _flush_unique(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError:
        raise _duplicate_name() from None


def _stored(criteria: clients_pb2.ClientCriteria) -> bytes:
    return criteria.SerializeToString(deterministic=True)


async def create_saved_filter(
    db: Database, company_id: str, request: clients_pb2.CreateSavedFilterRequest
) -> clients_pb2.SavedFilter:
    v = Violations()
    validate_request_id(request.request_id, v)
    display, key = validated_display_name(request.saved_filter.display_name, v, "saved_filter.display_name")

    async def work(uow: UnitOfWork) -> clients_pb2.SavedFilter:
        await resolve_criteria(uow.session, company_id, request.saved_filter.criteria, v, "saved_filter.criteria")
        v.raise_if_any()
        now = utcnow()
        row = SavedFilterRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            display_name=display,
            name_key=key,
            criteria=_stored(request.saved_filter.criteria),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        await _flush_unique(uow)
        msg = saved_filter_to_proto(row)
        uow.emit(events.SAVED_FILTER_CREATED, company_id, events_pb2.SavedFilterChangedEvent(saved_filter=msg))
        uow.audit(company_id, msg.name, "created", after=msg)
        return msg

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateSavedFilter",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.SavedFilter,
        work=work,
        source=SOURCE,
    )


async def get_saved_filter(db: Database, company_id: str, name: str) -> clients_pb2.SavedFilter:
    filter_id = parse_name(name, "savedFilters", field="name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await SavedFilterRepository(uow.session).get(company_id, filter_id)
        if row is None:
            raise NotFound(f"{name} not found")
        return saved_filter_to_proto(row)


async def list_saved_filters(
    db: Database, company_id: str, request: clients_pb2.ListSavedFiltersRequest
) -> clients_pb2.ListSavedFiltersResponse:
    async with UnitOfWork(db, readonly=True) as uow:
        page = await SavedFilterRepository(uow.session).list_page(company_id, request.page_size, request.page_token)
    return clients_pb2.ListSavedFiltersResponse(
        saved_filters=[saved_filter_to_proto(r) for r in page.items], next_page_token=page.next_page_token
    )


async def update_saved_filter(
    db: Database, company_id: str, request: clients_pb2.UpdateSavedFilterRequest
) -> clients_pb2.SavedFilter:
    v = Violations()
    paths = validated_update_mask(request.update_mask.paths, FILTER_MUTABLE_PATHS, v)
    given = request.saved_filter
    display, key = "", ""
    if "display_name" in paths:
        display, key = validated_display_name(given.display_name, v, "saved_filter.display_name")
    v.raise_if_any()
    filter_id = parse_name(given.name, "savedFilters", field="saved_filter.name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await SavedFilterRepository(uow.session).get(company_id, filter_id)
        if row is None:
            raise NotFound(f"{given.name} not found")
        before = saved_filter_to_proto(row)
        if "criteria" in paths:
            await resolve_criteria(uow.session, company_id, given.criteria, v, "saved_filter.criteria")
            v.raise_if_any()
            row.criteria = _stored(given.criteria)
        if "display_name" in paths:
            row.display_name, row.name_key = display, key
        row.updated_at = utcnow()
        await _flush_unique(uow)
        msg = saved_filter_to_proto(row)
        uow.emit(events.SAVED_FILTER_UPDATED, company_id, events_pb2.SavedFilterChangedEvent(saved_filter=msg))
        uow.audit(company_id, msg.name, "updated", before=before, after=msg)
        await uow.commit()
        return msg


async def delete_saved_filter(db: Database, company_id: str, name: str) -> None:
    filter_id = parse_name(name, "savedFilters", field="name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await SavedFilterRepository(uow.session).get(company_id, filter_id)
        if row is None:
            raise NotFound(f"{name} not found")
        msg = saved_filter_to_proto(row)
        await uow.session.delete(row)
        uow.emit(events.SAVED_FILTER_DELETED, company_id, events_pb2.SavedFilterChangedEvent(saved_filter=msg))
        uow.audit(company_id, msg.name, "deleted", before=msg)
        await uow.commit()
