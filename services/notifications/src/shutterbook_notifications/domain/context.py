"""The fields a letter is rendered over, from plain facts (times shown in the location's zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class ClientFacts:
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    email: str = ""


# How long a letter waits for notifications' copy of a client to catch up with a change the
# caller saw (`SendSessionLetterRequest.client_update_time`). Events arrive within seconds;
# a change still missing after this long is stuck (its event dead-lettered): waiting longer
# would refuse the desk's letter for ever, so it goes with the copy notifications has.
CLIENT_CATCH_UP = timedelta(minutes=2)


def client_copy_behind(copy_time: datetime, seen: datetime | None, now: datetime) -> bool:
    """Whether a letter must wait for the client's copy: the caller saw a newer change
    (`seen`) than the copy holds, and that change is recent enough to be on its way."""
    return seen is not None and copy_time < seen and now - seen < CLIENT_CATCH_UP


@dataclass(frozen=True)
class SessionFacts:
    start: datetime
    end: datetime
    time_zone: str
    number: str = ""
    type_name: str = ""
    description: str = ""
    status: str = ""
    participants: str = ""  # who is photographed, when not the client (a picture day's children)


@dataclass(frozen=True)
class LocationFacts:
    name: str = ""
    address: str = ""

    @classmethod
    def of(cls, name: str, address: str) -> LocationFacts:
        """Letters print the name before the address: an address text that already starts with
        the name (the booking page's "Bayside Studio, 8 Harbor Way") keeps only what follows."""
        head = name.strip()
        if head and address.casefold().startswith(head.casefold()):
            rest = address[len(head) :]
            if not rest or rest[0] in ",;- ":
                address = rest.lstrip(",;- ").strip()
        return cls(name=name, address=address)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(value: datetime) -> str:
    return f"{value:%A}, {value:%B} {value.day}, {value.year}"


def local_time(value: datetime) -> str:
    return f"{value.hour % 12 or 12}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"


def letter_context(
    client: ClientFacts,
    session: SessionFacts,
    location: LocationFacts,
    *,
    balance: str = "",
    manage_url: str = "",
    company_name: str = "",
) -> dict[str, Any]:
    zone = _zone(session.time_zone)
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    display = client.display_name or " ".join(p for p in (client.given_name, client.family_name) if p)
    return {
        "client": {
            "given_name": client.given_name,
            "family_name": client.family_name,
            "display_name": display,
            "email": client.email,
        },
        "session": {
            "number": session.number,
            "type": session.type_name,
            "description": session.description,
            "status": session.status,
            "participants": session.participants,
            "start_date": local_date(start),
            "start_time": local_time(start),
            "end_time": local_time(end),
            "time_zone": zone.key,
            "time_zone_abbreviation": start.tzname() or zone.key,
        },
        "location": {"name": location.name, "address": location.address},
        "company": {"name": company_name},
        "balance": balance,
        "manage_url": manage_url,
    }
