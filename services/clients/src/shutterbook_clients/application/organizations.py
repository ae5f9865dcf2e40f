"""Use cases of organizations (schools, teams, leagues) and memberships by year."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients.application.convert import (
    instant,
    membership_to_proto,
    organization_to_proto,
    read_cursor,
    reference_id,
)
from shutterbook_clients.application.selection import organization_exists, validate_year
from shutterbook_clients.domain.catalog import MAX_ROLE, validated_display_name, validated_text
from shutterbook_clients.domain.clients import validated_update_mask
from shutterbook_clients.storage.models import MembershipRow, OrganizationRow
from shutterbook_clients.storage.repository import ClientRepository, OrganizationRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

SOURCE = "clients"
ORG_MUTABLE_PATHS = ("display_name", "kind")


def _duplicate_name() -> AlreadyExists:
    return AlreadyExists(
        "an organization with this name exists",
        reason="ORGANIZATION_EXISTS",
        metadata={"field": "organization.display_name"},
    )


def _kind(kind: int, v: Violations, path: str) -> None:
    if kind == 0 or kind not in clients_pb2.OrganizationKind.values():
        v.add(path, "choose a kind: school, team, league or other")


async def _flush_unique(uow: UnitOfWork, error: AlreadyExists) -> None:
    try:
        await uow.session.flush()
    except IntegrityError:
        raise error from None


async def create_organization(
    db: Database, company_id: str, request: clients_pb2.CreateOrganizationRequest
) -> clients_pb2.Organization:
    v = Violations()
    validate_request_id(request.request_id, v)
    display, key = validated_display_name(request.organization.display_name, v, "organization.display_name")
    _kind(request.organization.kind, v, "organization.kind")
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> clients_pb2.Organization:
        now = utcnow()
        row = OrganizationRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            display_name=display,
            name_key=key,
            kind=request.organization.kind,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        await _flush_unique(uow, _duplicate_name())
        msg = organization_to_proto(row)
        uow.emit("clients.organization.created", company_id, events_pb2.OrganizationChangedEvent(organization=msg))
        return msg

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateOrganization",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.Organization,
        work=work,
        source=SOURCE,
    )


async def get_organization(db: Database, company_id: str, name: str) -> clients_pb2.Organization:
    org_id = parse_name(name, "organizations", field="name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await OrganizationRepository(uow.session).get(company_id, org_id)
        if row is None:
            raise NotFound(f"{name} not found")
        return organization_to_proto(row)


async def list_organizations(
    db: Database, company_id: str, request: clients_pb2.ListOrganizationsRequest
) -> clients_pb2.ListOrganizationsResponse:
    page = parse_page(request.page_size, request.page_token, {"m": "orgs"})
    async with UnitOfWork(db, readonly=True) as uow:
        stmt = select(OrganizationRow).where(OrganizationRow.company_id == company_id)
        position = read_cursor(page.cursor, lambda c: (str(c["k"]), str(c["i"])))
        if position is not None:
            k, i = position
            stmt = stmt.where(
                (OrganizationRow.name_key > k) | ((OrganizationRow.name_key == k) & (OrganizationRow.id > i))
            )
        rows = list(
            await uow.session.scalars(stmt.order_by(OrganizationRow.name_key, OrganizationRow.id).limit(page.size + 1))
        )
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"k": rows[-1].name_key, "i": rows[-1].id} if more and rows else None
    return clients_pb2.ListOrganizationsResponse(
        organizations=[organization_to_proto(r) for r in rows], next_page_token=next_token(cursor, {"m": "orgs"})
    )


async def update_organization(
    db: Database, company_id: str, request: clients_pb2.UpdateOrganizationRequest
) -> clients_pb2.Organization:
    v = Violations()
    paths = validated_update_mask(request.update_mask.paths, ORG_MUTABLE_PATHS, v)
    given = request.organization
    display, key = "", ""
    if "display_name" in paths:
        display, key = validated_display_name(given.display_name, v, "organization.display_name")
    if "kind" in paths:
        _kind(given.kind, v, "organization.kind")
    v.raise_if_any()
    org_id = parse_name(given.name, "organizations", field="organization.name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await OrganizationRepository(uow.session).get(company_id, org_id)
        if row is None:
            raise NotFound(f"{given.name} not found")
        if "display_name" in paths:
            row.display_name, row.name_key = display, key
        if "kind" in paths:
            row.kind = given.kind
        row.updated_at = utcnow()
        await _flush_unique(uow, _duplicate_name())
        msg = organization_to_proto(row)
        uow.emit("clients.organization.updated", company_id, events_pb2.OrganizationChangedEvent(organization=msg))
        await uow.commit()
        return msg


async def delete_organization(db: Database, company_id: str, name: str) -> None:
    """Deletes the organization and its memberships (each reported as removed)."""
    org_id = parse_name(name, "organizations", field="name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await OrganizationRepository(uow.session).get(company_id, org_id)
        if row is None:
            raise NotFound(f"{name} not found")
        memberships = list(
            await uow.session.scalars(
                select(MembershipRow).where(
                    MembershipRow.company_id == company_id, MembershipRow.organization_id == org_id
                )
            )
        )
        for m in memberships:
            uow.emit(
                "clients.membership.changed",
                company_id,
                events_pb2.MembershipChangedEvent(
                    membership=membership_to_proto(m), change=events_pb2.MEMBERSHIP_CHANGE_REMOVED
                ),
            )
        await uow.session.execute(
            delete(MembershipRow).where(MembershipRow.company_id == company_id, MembershipRow.organization_id == org_id)
        )
        msg = organization_to_proto(row)
        await uow.session.delete(row)
        uow.emit("clients.organization.deleted", company_id, events_pb2.OrganizationChangedEvent(organization=msg))
        await uow.commit()


async def create_membership(
    db: Database, company_id: str, request: clients_pb2.CreateMembershipRequest
) -> clients_pb2.Membership:
    v = Violations()
    validate_request_id(request.request_id, v)
    m = request.membership
    client_id = reference_id(m.client, "clients", "membership.client", v)
    validate_year(m.year, v, "membership.year", required=True)
    role = validated_text(m.role, v, "membership.role", MAX_ROLE)

    async def work(uow: UnitOfWork) -> clients_pb2.Membership:
        org_id = await organization_exists(uow.session, company_id, m.organization, v, "membership.organization")
        if client_id is not None and await ClientRepository(uow.session).get_live(company_id, client_id) is None:
            v.add("membership.client", "unknown client")
        v.raise_if_any()
        assert org_id is not None
        assert client_id is not None
        row = MembershipRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            organization_id=org_id,
            client_id=client_id,
            year=m.year,
            role=role,
            created_at=utcnow(),
        )
        uow.session.add(row)
        await _flush_unique(
            uow,
            AlreadyExists(
                "the client is already a member of this organization in this year",
                reason="MEMBERSHIP_EXISTS",
                metadata={"field": "membership.year"},
            ),
        )
        msg = membership_to_proto(row)
        uow.emit(
            "clients.membership.changed",
            company_id,
            events_pb2.MembershipChangedEvent(membership=msg, change=events_pb2.MEMBERSHIP_CHANGE_ADDED),
        )
        return msg

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateMembership",
        request=request,
        request_id=request.request_id,
        response_type=clients_pb2.Membership,
        work=work,
        source=SOURCE,
    )


async def get_membership(db: Database, company_id: str, name: str) -> clients_pb2.Membership:
    membership_id = parse_name(name, "memberships", field="name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await OrganizationRepository(uow.session).get_membership(company_id, membership_id)
        if row is None:
            raise NotFound(f"{name} not found")
        return membership_to_proto(row)


async def list_memberships(
    db: Database, company_id: str, request: clients_pb2.ListMembershipsRequest
) -> clients_pb2.ListMembershipsResponse:
    bound = {"m": "memberships", "o": request.organization, "c": request.client, "y": request.year}
    v = Violations()
    org_id = reference_id(request.organization, "organizations", "organization", v) if request.organization else None
    client_id = reference_id(request.client, "clients", "client", v) if request.client else None
    validate_year(request.year, v, "year", required=False)
    if request.page_size < 0:
        v.add("page_size", "must not be negative")
    v.raise_if_any()
    page = parse_page(request.page_size, request.page_token, bound)
    async with UnitOfWork(db, readonly=True) as uow:
        stmt = select(MembershipRow).where(MembershipRow.company_id == company_id)
        if org_id is not None:
            stmt = stmt.where(MembershipRow.organization_id == org_id)
        if client_id is not None:
            stmt = stmt.where(MembershipRow.client_id == client_id)
        if request.year:
            stmt = stmt.where(MembershipRow.year == request.year)
        after = read_cursor(page.cursor, lambda c: (instant(c["t"]), str(c["i"])))
        if after is not None:
            t, i = after
            stmt = stmt.where(
                (MembershipRow.created_at > t) | ((MembershipRow.created_at == t) & (MembershipRow.id > i))
            )
        stmt = stmt.order_by(MembershipRow.created_at, MembershipRow.id).limit(page.size + 1)
        rows = list(await uow.session.scalars(stmt))
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].created_at.isoformat(), "i": rows[-1].id} if more and rows else None
    return clients_pb2.ListMembershipsResponse(
        memberships=[membership_to_proto(r) for r in rows], next_page_token=next_token(cursor, bound)
    )


async def delete_membership(db: Database, company_id: str, name: str) -> None:
    membership_id = parse_name(name, "memberships", field="name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await OrganizationRepository(uow.session).get_membership(company_id, membership_id)
        if row is None:
            raise NotFound(f"{name} not found")
        msg = membership_to_proto(row)
        await uow.session.delete(row)
        uow.emit(
            "clients.membership.changed",
            company_id,
            events_pb2.MembershipChangedEvent(membership=msg, change=events_pb2.MEMBERSHIP_CHANGE_REMOVED),
        )
        await uow.commit()
