"""Use cases of organizations (schools, teams, leagues) and memberships by year."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import events
from shutterbook_clients.application.convert import (
    membership_to_proto,
    organization_to_proto,
)
from shutterbook_clients.application.selection import organization_exists, validate_year
from shutterbook_clients.domain.catalog import MAX_ROLE, validated_display_name, validated_text
from shutterbook_clients.domain.clients import validated_update_mask
from shutterbook_clients.storage.models import MembershipRow, OrganizationRow
from shutterbook_clients.storage.repository import ClientRepository, OrganizationRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import check_page
from shutterbook_kit.resource_names import parse_name, parse_reference
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
        uow.emit(events.ORGANIZATION_CREATED, company_id, events_pb2.OrganizationChangedEvent(organization=msg))
        uow.audit(company_id, msg.name, "created", after=msg)
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
    async with UnitOfWork(db, readonly=True) as uow:
        page = await OrganizationRepository(uow.session).list_page(company_id, request.page_size, request.page_token)
    return clients_pb2.ListOrganizationsResponse(
        organizations=[organization_to_proto(r) for r in page.items], next_page_token=page.next_page_token
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
        before = organization_to_proto(row)
        if "display_name" in paths:
            row.display_name, row.name_key = display, key
        if "kind" in paths:
            row.kind = given.kind
        row.updated_at = utcnow()
        await _flush_unique(uow, _duplicate_name())
        msg = organization_to_proto(row)
        uow.emit(events.ORGANIZATION_UPDATED, company_id, events_pb2.OrganizationChangedEvent(organization=msg))
        uow.audit(company_id, msg.name, "updated", before=before, after=msg)
        await uow.commit()
        return msg


async def delete_organization(db: Database, company_id: str, name: str) -> None:
    """Deletes the organization and its memberships (each reported as removed)."""
    org_id = parse_name(name, "organizations", field="name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        organizations = OrganizationRepository(uow.session)
        row = await organizations.get(company_id, org_id)
        if row is None:
            raise NotFound(f"{name} not found")
        memberships = await organizations.memberships_of_organization(company_id, org_id)
        for m in memberships:
            uow.emit(
                events.MEMBERSHIP_CHANGED,
                company_id,
                events_pb2.MembershipChangedEvent(
                    membership=membership_to_proto(m), change=events_pb2.MEMBERSHIP_CHANGE_REMOVED
                ),
            )
            _audit_membership(uow, company_id, membership_to_proto(m), added=False)
        await organizations.delete_memberships_of_organization(company_id, org_id)
        msg = organization_to_proto(row)
        await uow.session.delete(row)
        uow.emit(events.ORGANIZATION_DELETED, company_id, events_pb2.OrganizationChangedEvent(organization=msg))
        uow.audit(company_id, msg.name, "deleted", before=msg)
        await uow.commit()


async def create_membership(
    db: Database, company_id: str, request: clients_pb2.CreateMembershipRequest
) -> clients_pb2.Membership:
    v = Violations()
    validate_request_id(request.request_id, v)
    m = request.membership
    client_id = parse_reference(m.client, "clients", field="membership.client", violations=v)
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
            events.MEMBERSHIP_CHANGED,
            company_id,
            events_pb2.MembershipChangedEvent(membership=msg, change=events_pb2.MEMBERSHIP_CHANGE_ADDED),
        )
        _audit_membership(uow, company_id, msg, added=True)
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
    v = Violations()
    org_id = parse_reference(request.organization, "organizations", field="organization", violations=v, required=False)
    client_id = parse_reference(request.client, "clients", field="client", violations=v, required=False)
    validate_year(request.year, v, "year", required=False)
    check_page(request.page_size, request.page_token, v)
    v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        page = await OrganizationRepository(uow.session).memberships_page(
            company_id,
            organization_id=org_id,
            client_id=client_id,
            year=request.year,
            page_size=request.page_size,
            page_token=request.page_token,
        )
    return clients_pb2.ListMembershipsResponse(
        memberships=[membership_to_proto(r) for r in page.items], next_page_token=page.next_page_token
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
            events.MEMBERSHIP_CHANGED,
            company_id,
            events_pb2.MembershipChangedEvent(membership=msg, change=events_pb2.MEMBERSHIP_CHANGE_REMOVED),
        )
        _audit_membership(uow, company_id, msg, added=False)
        await uow.commit()


def _audit_membership(uow: UnitOfWork, company_id: str, msg: clients_pb2.Membership, *, added: bool) -> None:
    """A membership is part of the history of its client and of its organization."""
    action = "membership_added" if added else "membership_removed"
    before, after = (None, msg) if added else (msg, None)
    for record in (msg.client, msg.organization):
        uow.audit(company_id, record, action, before=before, after=after)
