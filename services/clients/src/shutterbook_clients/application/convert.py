"""Rows to protobuf messages."""

from __future__ import annotations

from typing import TypeVar

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook_clients.storage.models import (
    NO_SESSION,
    ClientGroupRow,
    ClientRow,
    FamilyMemberRow,
    MembershipRow,
    OrganizationRow,
    SavedFilterRow,
)

T = TypeVar("T")


def client_name(client_id: str) -> str:
    return f"clients/{client_id}"


def member_to_proto(row: FamilyMemberRow) -> clients_pb2.FamilyMember:
    msg = clients_pb2.FamilyMember(
        name=f"clients/{row.client_id}/familyMembers/{row.id}",
        given_name=row.given_name,
        family_name=row.family_name,
        relationship=clients_pb2.FamilyRelationship.ValueType(row.relationship),
    )
    if row.birth_date is not None:
        msg.birth_date.CopyFrom(
            date_pb2.Date(year=row.birth_date.year, month=row.birth_date.month, day=row.birth_date.day)
        )
    return msg


def client_to_proto(row: ClientRow) -> clients_pb2.Client:
    msg = clients_pb2.Client(
        name=client_name(row.id),
        given_name=row.given_name,
        family_name=row.family_name,
        household_name=row.household_name,
        emails=row.emails,
        phones=row.phones,
        family_members=[member_to_proto(m) for m in row.family_members],
        notes=row.notes,
        tags=row.tags,
        referral_source=row.referral_source,
        postal_address=clients_pb2.PostalAddress(**row.postal_address),
        merged_into=client_name(row.merged_into_id) if row.merged_into_id else "",
    )
    msg.create_time.FromDatetime(row.created_at)
    msg.update_time.FromDatetime(row.updated_at)
    if row.deleted_at is not None:
        msg.delete_time.FromDatetime(row.deleted_at)
    if row.last_session_at is not None and row.last_session_at > NO_SESSION:
        msg.last_session_time.FromDatetime(row.last_session_at)
    return msg


def organization_to_proto(row: OrganizationRow) -> clients_pb2.Organization:
    msg = clients_pb2.Organization(
        name=f"organizations/{row.id}",
        display_name=row.display_name,
        kind=clients_pb2.OrganizationKind.ValueType(row.kind),
    )
    msg.create_time.FromDatetime(row.created_at)
    msg.update_time.FromDatetime(row.updated_at)
    return msg


def membership_to_proto(row: MembershipRow) -> clients_pb2.Membership:
    msg = clients_pb2.Membership(
        name=f"memberships/{row.id}",
        client=client_name(row.client_id),
        organization=f"organizations/{row.organization_id}",
        year=row.year,
        role=row.role,
    )
    msg.create_time.FromDatetime(row.created_at)
    return msg


def group_to_proto(row: ClientGroupRow, member_count: int) -> clients_pb2.ClientGroup:
    msg = clients_pb2.ClientGroup(
        name=f"clientGroups/{row.id}",
        display_name=row.display_name,
        description=row.description,
        member_count=member_count,
    )
    msg.create_time.FromDatetime(row.created_at)
    msg.update_time.FromDatetime(row.updated_at)
    return msg


def saved_filter_to_proto(row: SavedFilterRow) -> clients_pb2.SavedFilter:
    msg = clients_pb2.SavedFilter(
        name=f"savedFilters/{row.id}",
        display_name=row.display_name,
        criteria=clients_pb2.ClientCriteria.FromString(row.criteria),
    )
    msg.create_time.FromDatetime(row.created_at)
    msg.update_time.FromDatetime(row.updated_at)
    return msg
