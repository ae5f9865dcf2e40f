"""The known-client aggregate (issue 13), plain Python: scheduling's copy of a client of the
clients service with its family members, kept from the clients service's versions of it, and the
rules of that copy.

A `ClientVersion` is one version of a client as the clients service sends it (in its events,
EnsureKnownClient, a hold's client details); a `KnownClient` is what scheduling holds. A row
made empty (no name yet) before its first version is not known to the API; a client deleted or
merged away stays known but cannot be booked (`usable`).

Which version wins: an event's version replaces the one held unless it is older (the same
version twice is applied twice); EnsureKnownClient (and a hold with client details) applies a
version only when it is newer than the one held, so that repeating it changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

MAX_NAME = 400  # a client's or member's display name, as stored
MAX_EMAIL = 320


@dataclass(frozen=True)
class KnownMember:
    """A family member of a known client (who a session may list as a participant)."""

    member_id: str
    display_name: str


@dataclass(frozen=True)
class ClientVersion:
    """One version of a client, read from the clients service's message."""

    client_id: str
    display_name: str
    primary_email: str
    update_time: datetime  # the version's time at the clients service
    members: tuple[KnownMember, ...] = ()
    deleted: bool = False  # the version carries a delete time


@dataclass(frozen=True)
class KnownClient:
    """A known client as held here: the version it took (`source_time`), when it took it
    (`learned_at`), and its family members where read with it."""

    client_id: str
    display_name: str
    primary_email: str
    source_time: datetime
    learned_at: datetime
    deleted: bool = False
    merged_into: str = ""
    members: tuple[KnownMember, ...] = ()

    @property
    def learned(self) -> bool:
        """A version was applied (a row made empty before it has no name)."""
        return bool(self.display_name)

    @property
    def usable(self) -> bool:
        """A session or hold may name the client: neither deleted nor merged away."""
        return not self.deleted and not self.merged_into


def client_display_name(given_name: str, family_name: str, household_name: str) -> str:
    """The household's name, else the person's given and family names."""
    person = " ".join(p for p in (given_name, family_name) if p)
    return household_name or person


def member_display_name(given_name: str, family_name: str, client_family_name: str) -> str:
    """A member's given name and family name (the client's family name when the member has none)."""
    return " ".join(p for p in (given_name, family_name or client_family_name) if p)


def is_canonical_uuid(value: str) -> bool:
    """`value` is a UUID written as the clients service writes ids (lower case, hyphenated)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def event_takes(held: KnownClient, version: ClientVersion) -> bool:
    """An event's version replaces the one held unless it is older (or nothing is held yet)."""
    return version.update_time >= held.source_time or not held.learned


def ensure_takes(held: KnownClient, version: ClientVersion) -> bool:
    """EnsureKnownClient applies a version only when newer than the one held (or nothing is)."""
    return not held.learned or version.update_time > held.source_time
