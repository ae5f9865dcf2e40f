"""The known-client aggregate at the API edge (issue 13's shape, see api/company_convert.py):
the clients service's `Client` message to a client version (`client_version`: in its events,
api/client_events.py, EnsureKnownClient and a hold's client details), EnsureKnownClient's
request to a checked client version (`check_client` checks the `Client` message, there and in a
hold's client details), known clients (domain/known_clients.py) to KnownClient messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import TypeVar

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_kit.pagination import Page
from shutterbook_scheduling.domain.known_clients import (
    MAX_EMAIL,
    MAX_NAME,
    ClientVersion,
    KnownClient,
    KnownMember,
    client_display_name,
    is_canonical_uuid,
    member_display_name,
)


def client_version(client: clients_pb2.Client) -> ClientVersion:
    """The version of the client the clients service's message carries (members without an id
    are left out)."""
    members = tuple(
        KnownMember(member_id, member_display_name(member.given_name, member.family_name, client.family_name))
        for member in client.family_members
        if (member_id := member.name.rsplit("/", 1)[-1])
    )
    return ClientVersion(
        client_id=client.name.removeprefix("clients/"),
        display_name=client_display_name(client.given_name, client.family_name, client.household_name),
        primary_email=client.emails[0] if client.emails else "",
        update_time=client.update_time.ToDatetime().replace(tzinfo=UTC),
        members=members,
        deleted=client.HasField("delete_time"),
    )


def check_client(client: clients_pb2.Client, field: str, violations: Violations) -> str:
    """The client's id; violations (named under `field`) for a client without a
    `clients/{uuid}` name or an update time, or with a family member not named under it."""
    v = violations
    client_id = client.name.removeprefix("clients/")
    if not client.name:
        v.add(f"{field}.name", "is required")
    elif not client.name.startswith("clients/") or not is_canonical_uuid(client_id):
        v.add(f"{field}.name", "must look like clients/{id}, the id a UUID as the clients service gives it")
    if not client.HasField("update_time"):
        v.add(f"{field}.update_time", "is required")
    elif not 0 <= client.update_time.nanos < 1_000_000_000 or client.update_time.seconds <= 0:
        v.add(f"{field}.update_time", "is not a valid time")
    if len(client_display_name(client.given_name, client.family_name, client.household_name)) > MAX_NAME:
        v.add(f"{field}.given_name", f"the client's name must be at most {MAX_NAME} characters")
    if client.emails and len(client.emails[0]) > MAX_EMAIL:
        v.add(f"{field}.emails[0]", f"must be at most {MAX_EMAIL} characters")
    for i, member in enumerate(client.family_members):
        prefix = f"{client.name}/familyMembers/"
        if not member.name.startswith(prefix) or not is_canonical_uuid(member.name.removeprefix(prefix)):
            v.add(f"{field}.family_members[{i}].name", f"must look like {prefix}{{id}}")
        elif len(member_display_name(member.given_name, member.family_name, client.family_name)) > MAX_NAME:
            v.add(f"{field}.family_members[{i}].given_name", f"the member's name must be at most {MAX_NAME} characters")
    return client_id


def carried_version(client: str, details: clients_pb2.Client | None, violations: Violations) -> ClientVersion | None:
    """The version of the client `client` (`clients/{id}`) a request carries in its
    `client_details` (HoldSlot, BookOnline, BookAppointmentOnline), checked into `violations`
    (its name must be `client`); None when it carries none."""
    if details is None:
        return None
    check_client(details, "client_details", violations)
    if details.name and client and details.name != client:
        violations.add("client_details.name", f"must be the request's client, {client}")
    return replace(client_version(details), client_id=client.removeprefix("clients/"))


Carrying = TypeVar("Carrying", opb.HoldSlotRequest, opb.BookOnlineRequest, opb.BookAppointmentOnlineRequest)


def without_details(request: Carrying) -> Carrying:
    """The request as its idempotency fingerprint sees it: a retry is the same hold or booking
    whatever version of the client it carries (the client may have changed between the
    attempts)."""
    same = type(request)()
    same.CopyFrom(request)
    same.ClearField("client_details")
    return same


def ensure_request_version(request: pb.EnsureKnownClientRequest) -> ClientVersion:
    """The client version the request carries; INVALID_ARGUMENT for a client `check_client`
    refuses."""
    v = Violations()
    if not request.HasField("client"):
        v.add("client", "is required")
        v.raise_if_any()
    check_client(request.client, "client", v)
    v.raise_if_any()
    return client_version(request.client)


def known_client_message(known: KnownClient) -> pb.KnownClient:
    msg = pb.KnownClient(
        name=f"knownClients/{known.client_id}",
        client=f"clients/{known.client_id}",
        display_name=known.display_name,
        primary_email=known.primary_email,
        family_members=[
            pb.KnownFamilyMember(
                name=f"clients/{known.client_id}/familyMembers/{m.member_id}", display_name=m.display_name
            )
            for m in known.members
        ],
        deleted=known.deleted,
        merged_into=f"clients/{known.merged_into}" if known.merged_into else "",
    )
    msg.update_time.FromDatetime(known.learned_at)
    return msg


def list_response(page: Page[KnownClient]) -> pb.ListKnownClientsResponse:
    return pb.ListKnownClientsResponse(
        known_clients=[known_client_message(k) for k in page.items], next_page_token=page.next_page_token
    )
