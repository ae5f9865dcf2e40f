"""The known-client aggregate at the API edge (issue 13's shape, see api/company_convert.py):
EnsureKnownClient's request to a checked client version, known clients (domain/known_clients.py)
to KnownClient messages."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_kit.pagination import Page
from shutterbook_scheduling.application.client_directory import check_client, client_version
from shutterbook_scheduling.domain.known_clients import ClientVersion, KnownClient


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
