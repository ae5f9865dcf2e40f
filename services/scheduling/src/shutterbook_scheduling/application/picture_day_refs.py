"""Names of picture day resources (issue 21): what the day's other modules, and the sessions
module (a staff cancel of a picture day session), need without importing the day's use cases
(which import the bookings path: a cycle). Imports only the domain's rules."""

from __future__ import annotations

from shutterbook_scheduling.domain import picture_days as rules

COLLECTION = "pictureDays"


def day_name(day_id: str) -> str:
    return f"{COLLECTION}/{day_id}"


def slot_name(day_id: str, slot_id: str) -> str:
    return f"{COLLECTION}/{day_id}/slots/{slot_id}"


def booking_name(day_id: str, booking_id: str) -> str:
    return f"{COLLECTION}/{day_id}/bookings/{booking_id}"


def child_key(client_id: str, member_id: str) -> str:
    """A child as sessions name it: a family member, or the client who is the child."""
    return f"clients/{client_id}" if member_id == rules.SELF else f"clients/{client_id}/familyMembers/{member_id}"
