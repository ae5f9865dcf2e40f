"""A selection of the clients service's clients (bulk scheduling's SelectBulkClients, a picture
day's families), plain Python: what selects them (`ClientSelector`, and its rule,
`check_selector`) and the clients as listed (`ListedClient`, with its family members), read
from the clients service by an adapter (adapters/clients_service.py)."""

from __future__ import annotations

from dataclasses import dataclass

from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference

MAX_CLIENTS = 10_000  # the most clients a selection may hold


@dataclass(frozen=True)
class ClientSelector:
    """Exactly one of a group (`clientGroups/{id}`), a saved filter (`savedFilters/{id}`) or an
    organization (`organizations/{id}`, optionally with a year; 0: any year)."""

    group: str = ""
    saved_filter: str = ""
    organization: str = ""
    year: int = 0


def check_selector(selector: ClientSelector) -> None:
    """INVALID_ARGUMENT (violations `selector.*`) unless the selector gives exactly one source
    well named, and a year (0 to 9999) only with an organization."""
    v = Violations()
    given = [f for f in ("group", "saved_filter", "organization") if getattr(selector, f)]
    if len(given) != 1:
        v.add("selector", "give exactly one of group, saved_filter or organization")
    if selector.year and not selector.organization:
        v.add("selector.year", "is only given with an organization")
    if selector.year < 0 or selector.year > 9999:
        v.add("selector.year", "must be a year, or 0 for any year")
    parse_reference(selector.group, "clientGroups", field="selector.group", violations=v, required=False)
    parse_reference(selector.saved_filter, "savedFilters", field="selector.saved_filter", violations=v, required=False)
    parse_reference(selector.organization, "organizations", field="selector.organization", violations=v, required=False)
    v.raise_if_any()


@dataclass(frozen=True)
class ListedMember:
    """A family member of a listed client (`member_id`: the last part of its name)."""

    member_id: str
    given_name: str
    family_name: str
    is_child: bool


@dataclass(frozen=True)
class ListedClient:
    """A client as the clients service listed it (`name`: `clients/{id}`)."""

    name: str
    given_name: str = ""
    family_name: str = ""
    household_name: str = ""
    members: tuple[ListedMember, ...] = ()

    @property
    def client_id(self) -> str:
        return self.name.removeprefix("clients/")

    @property
    def display_name(self) -> str:
        """How a selection shows the client: the person's given and family names, else the
        household's name."""
        person = " ".join(p for p in (self.given_name, self.family_name) if p)
        return person or self.household_name

    def member_display_name(self, member: ListedMember) -> str:
        """A member's given name and family name (the client's family name when it has none)."""
        return " ".join(p for p in (member.given_name, member.family_name or self.family_name) if p)
