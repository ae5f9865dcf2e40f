"""The clients service, as bulk scheduling and picture days ask it for a selection of clients.

An adapter package of its own (not `storage/`): `storage/` is scheduling's database (SQL,
rows <-> domain objects); this is a gRPC call to another service, with its own failures. Its
messages stop here: it takes a `ClientSelector` and answers `ListedClient`s
(domain/client_selection.py), and turns the clients service's refusals into the kit's errors
(NOT_FOUND as NOT_FOUND, INVALID_ARGUMENT with its field violations named `selector.*`, any
other failure UNAVAILABLE). The use cases see only `ClientsSource` (application/bulk_jobs.py).
"""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_kit import tenancy
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from shutterbook_kit.grpc_client import open_channel
from shutterbook_scheduling.domain.client_selection import ClientSelector, ListedClient, ListedMember

PAGE_SIZE = 1000
MAX_SELECTION_PAGES = 100  # 100 pages of 1,000 clients: a bound on the clients service loop
CLIENTS_SERVICE = clients_pb2.DESCRIPTOR.services_by_name["ClientsService"].full_name


def list_request(selector: ClientSelector) -> clients_pb2.ListClientsRequest:
    return clients_pb2.ListClientsRequest(
        page_size=PAGE_SIZE,
        group=selector.group,
        saved_filter=selector.saved_filter,
        organization=selector.organization,
        year=selector.year,
    )


def listed_client(client: clients_pb2.Client) -> ListedClient:
    return ListedClient(
        name=client.name,
        given_name=client.given_name,
        family_name=client.family_name,
        household_name=client.household_name,
        members=tuple(
            ListedMember(
                member_id=m.name.rsplit("/", 1)[-1],
                given_name=m.given_name,
                family_name=m.family_name,
                is_child=m.relationship == clients_pb2.FAMILY_RELATIONSHIP_CHILD,
            )
            for m in client.family_members
        ),
    )


def _upstream_violations(err: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    found.extend((v.field, v.description) for v in bad.field_violations)
    return found


def upstream_error(err: grpc.aio.AioRpcError) -> Exception:
    detail = err.details() or "the clients service refused the selection"
    if err.code() == grpc.StatusCode.NOT_FOUND:
        return NotFound(detail)
    if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
        # the clients service's field violations (`group`, `year`...) named as our `selector.*`
        found = [FieldViolation(f"selector.{field}", text) for field, text in _upstream_violations(err)]
        return InvalidArgument(detail, violations=found or [FieldViolation("selector", detail)])
    return Unavailable(f"the clients service did not answer: {err.code().name}")


class ClientsService:
    """The clients service at `target` (SHUTTERBOOK_CLIENTS_ADDR; empty: none configured)."""

    def __init__(self, target: str) -> None:
        self.target = target

    async def list_clients(self, selector: ClientSelector, at_most: int) -> list[ListedClient]:
        """The selector's clients, page by page, until the last page or more than `at_most`
        are read (at most MAX_SELECTION_PAGES pages); UNAVAILABLE with no service configured."""
        if not self.target:
            raise Unavailable("no clients service is configured (SHUTTERBOOK_CLIENTS_ADDR)")
        request = list_request(selector)
        found: list[ListedClient] = []
        async with open_channel(self.target, CLIENTS_SERVICE, ["ListClients"]) as channel:
            stub: clients_pb2_grpc.ClientsServiceAsyncStub = clients_pb2_grpc.ClientsServiceStub(channel)
            for _ in range(MAX_SELECTION_PAGES):
                try:
                    page = await stub.ListClients(request, metadata=tenancy.current().metadata())
                except grpc.aio.AioRpcError as err:
                    raise upstream_error(err) from None
                found.extend(listed_client(c) for c in page.clients)
                if not page.next_page_token or len(found) > at_most:
                    break
                request.page_token = page.next_page_token
        return found
