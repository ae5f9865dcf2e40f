"""Which clients a list shows: a group, a saved filter, an organization and year, or
criteria, resolved to a `ClientSelection` (references checked, keys normalized)."""

from __future__ import annotations

from datetime import UTC as _UTC

from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook.clients.v1 import clients_pb2
from shutterbook_clients.domain.clients import tag_key, validated_tags
from shutterbook_clients.domain.search import Query, normalize
from shutterbook_clients.storage.repository import (
    ClientSelection,
    GroupRepository,
    OrganizationRepository,
    SavedFilterRepository,
)
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference

MIN_YEAR = 1900
MAX_YEAR = 2999


def validate_year(year: int, v: Violations, path: str, *, required: bool) -> None:
    if (required or year) and not MIN_YEAR <= year <= MAX_YEAR:
        v.add(path, f"must be a year from {MIN_YEAR} to {MAX_YEAR}" + ("" if required else ", or 0 for any"))


async def organization_exists(
    session: AsyncSession, company_id: str, name: str, v: Violations, path: str
) -> str | None:
    org_id = parse_reference(name, "organizations", field=path, violations=v)
    if org_id is not None and await OrganizationRepository(session).get(company_id, org_id) is None:
        v.add(path, "unknown organization")
        return None
    return org_id


def check_criteria_shape(criteria: clients_pb2.ClientCriteria, v: Violations, prefix: str) -> None:
    """Rules of criteria that need no database (run before saving a filter)."""
    if len(criteria.query) > 200:
        v.add(f"{prefix}.query", "must be at most 200 characters")
    validated_tags(criteria.tags, v, f"{prefix}.tags")
    if criteria.year and not criteria.organization:
        v.add(f"{prefix}.year", "a year selects memberships: name the organization too")
    validate_year(criteria.year, v, f"{prefix}.year", required=False)
    if (
        criteria.HasField("create_time_start")
        and criteria.HasField("create_time_end")
        and criteria.create_time_end.ToDatetime() <= criteria.create_time_start.ToDatetime()
    ):
        v.add(f"{prefix}.create_time_end", "must be after create_time_start")


async def resolve_criteria(
    session: AsyncSession, company_id: str, criteria: clients_pb2.ClientCriteria, v: Violations, prefix: str
) -> ClientSelection:
    check_criteria_shape(criteria, v, prefix)
    org_id = None
    if criteria.organization:
        org_id = await organization_exists(session, company_id, criteria.organization, v, f"{prefix}.organization")
    query = Query.parse(criteria.query) if criteria.query.strip() else None
    return ClientSelection(
        organization_id=org_id,
        year=criteria.year,
        query=query if query is not None and query.terms else None,
        tag_keys=tuple(dict.fromkeys(tag_key(t) for t in criteria.tags if t.strip())),
        referral_key=normalize(criteria.referral_source),
        created_start=criteria.create_time_start.ToDatetime(tzinfo=_UTC)
        if criteria.HasField("create_time_start")
        else None,
        created_end=criteria.create_time_end.ToDatetime(tzinfo=_UTC) if criteria.HasField("create_time_end") else None,
    )


async def resolve_selection(
    session: AsyncSession, company_id: str, request: clients_pb2.ListClientsRequest, v: Violations
) -> ClientSelection:
    chosen = [
        f
        for f, is_set in (
            ("group", bool(request.group)),
            ("saved_filter", bool(request.saved_filter)),
            ("organization", bool(request.organization)),
            ("criteria", request.HasField("criteria")),
        )
        if is_set
    ]
    for extra in chosen[1:]:
        v.add(extra, f"choose one of group, saved_filter, organization and criteria (already {chosen[0]})")
    if request.year and not request.organization:
        v.add("year", "a year selects memberships: name the organization too")
    validate_year(request.year, v, "year", required=False)
    if request.group:
        group_id = parse_reference(request.group, "clientGroups", field="group", violations=v)
        if group_id is not None and await GroupRepository(session).get(company_id, group_id) is None:
            v.add("group", "unknown client group")
        return ClientSelection(group_id=group_id)
    if request.saved_filter:
        filter_id = parse_reference(request.saved_filter, "savedFilters", field="saved_filter", violations=v)
        row = await SavedFilterRepository(session).get(company_id, filter_id) if filter_id else None
        if row is None:
            if filter_id:
                v.add("saved_filter", "unknown saved filter")
            return ClientSelection()
        # a stored filter's organization may since have been deleted: that selects nobody
        stored = clients_pb2.ClientCriteria.FromString(row.criteria)
        inner = Violations()
        selection = await resolve_criteria(session, company_id, stored, inner, "saved_filter.criteria")
        if inner.items:
            return ClientSelection(organization_id="00000000-0000-0000-0000-000000000000")
        return selection
    if request.organization:
        org_id = await organization_exists(session, company_id, request.organization, v, "organization")
        return ClientSelection(organization_id=org_id, year=request.year)
    if request.HasField("criteria"):
        return await resolve_criteria(session, company_id, request.criteria, v, "criteria")
    return ClientSelection()
