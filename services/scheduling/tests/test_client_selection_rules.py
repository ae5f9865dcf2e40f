"""A selection of the clients service's clients, pure: which selectors are refused (the rule
SelectBulkClients and a picture day's families apply before asking the clients service), how a
listed client and its members are shown, and the adapter's reading of the clients service's
`Client` message."""

from __future__ import annotations

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook_kit.errors import FailedPrecondition, InvalidArgument
from shutterbook_scheduling.adapters.clients_service import list_request, listed_client
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.domain.client_selection import (
    MAX_CLIENTS,
    ClientSelector,
    ListedClient,
    ListedMember,
    check_selector,
)

GROUP = "clientGroups/6b1e4d1c-3f7a-4c55-9a0e-2d6c1b9f8e21"
ORGANIZATION = "organizations/6b1e4d1c-3f7a-4c55-9a0e-2d6c1b9f8e22"


@pytest.mark.parametrize(
    "selector",
    [
        ClientSelector(group=GROUP),
        ClientSelector(organization=ORGANIZATION, year=2030),
        ClientSelector(organization=ORGANIZATION),
    ],
)
def test_one_well_named_source_is_a_selector(selector: ClientSelector) -> None:
    check_selector(selector)


@pytest.mark.parametrize(
    ("selector", "fields"),
    [
        (ClientSelector(), {"selector"}),
        (ClientSelector(group=GROUP, organization=ORGANIZATION), {"selector"}),
        (ClientSelector(group=GROUP, year=2030), {"selector.year"}),
        (ClientSelector(organization=ORGANIZATION, year=10_000), {"selector.year"}),
        (ClientSelector(organization=ORGANIZATION, year=-1), {"selector.year"}),
        (ClientSelector(group="groups/x"), {"selector.group"}),
    ],
)
def test_a_bad_selector_names_its_fields(selector: ClientSelector, fields: set[str]) -> None:
    with pytest.raises(InvalidArgument) as err:
        check_selector(selector)
    assert {v.field for v in err.value.violations} == fields


def test_a_listed_client_shows_the_person_else_the_household() -> None:
    assert ListedClient("clients/c", "Cy", "Carter", "The Carters").display_name == "Cy Carter"
    assert ListedClient("clients/c", household_name="The Carters").display_name == "The Carters"
    assert ListedClient("clients/c").client_id == "c"


def test_a_member_without_a_family_name_takes_the_clients() -> None:
    client = ListedClient("clients/c", "Cy", "Carter")
    assert client.member_display_name(ListedMember("m", "Ann", "", is_child=True)) == "Ann Carter"
    assert client.member_display_name(ListedMember("m", "Ann", "Baker", is_child=True)) == "Ann Baker"


def test_the_adapter_reads_the_clients_message_and_asks_by_the_selector() -> None:
    msg = clients_pb2.Client(
        name="clients/c",
        given_name="Cy",
        family_name="Carter",
        household_name="H",
        family_members=[
            clients_pb2.FamilyMember(
                name="clients/c/familyMembers/m1", given_name="Ann", relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD
            ),
            clients_pb2.FamilyMember(name="clients/c/familyMembers/m2", given_name="Pat", family_name="Baker"),
        ],
    )
    assert listed_client(msg) == ListedClient(
        "clients/c",
        "Cy",
        "Carter",
        "H",
        (ListedMember("m1", "Ann", "", is_child=True), ListedMember("m2", "Pat", "Baker", is_child=False)),
    )
    request = list_request(ClientSelector(organization=ORGANIZATION, year=2030))
    assert request == clients_pb2.ListClientsRequest(page_size=1000, organization=ORGANIZATION, year=2030)


class _Listed:
    """A clients source answering `count` clients, recording the bound it was asked with."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.asked: list[int] = []

    async def list_clients(self, selector: ClientSelector, at_most: int) -> list[ListedClient]:
        self.asked.append(at_most)
        return [ListedClient(f"clients/{i}") for i in range(min(self.count, at_most + 1))]


async def test_a_selection_of_more_than_max_clients_is_refused() -> None:
    source = _Listed(MAX_CLIENTS + 5)
    with pytest.raises(FailedPrecondition):
        await bulk_jobs.list_selected(source, ClientSelector(group=GROUP))
    assert source.asked == [MAX_CLIENTS]
    assert len(await bulk_jobs.list_selected(_Listed(MAX_CLIENTS), ClientSelector(group=GROUP))) == MAX_CLIENTS
