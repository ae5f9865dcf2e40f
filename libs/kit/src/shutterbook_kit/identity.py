"""Who a call is made by: caller kinds, staff roles, and the claims a signed caller token carries.

This is the contract between the callers that sign (the console for staff, the gateway for
partner keys, services for their own background work) and the services that verify and
authorize. It is plain Python; the token format lives in the kit's caller-token module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CallerKind(StrEnum):
    """What kind of principal made a call."""

    STAFF = "staff"  # a staff user logged in to the console
    PARTNER = "partner"  # a partner's secret API key, through the gateway
    PUBLISHABLE = "publishable"  # a booking page's publishable key, through the gateway
    SERVICE = "service"  # a service acting on its own behalf (consumers, recovery)
    JOB = "job"  # a background job started by someone (bulk job: caller_id is the job)


class Role(StrEnum):
    """Staff roles. The permission table (what each may do) is kept beside the interceptor."""

    OWNER = "owner"
    MANAGER = "manager"
    FRONT_DESK = "front_desk"
    PHOTOGRAPHER = "photographer"


@dataclass(frozen=True)
class Caller:
    """The verified claims of a call.

    `location_ids` None means every location of the company (owners, services, partner keys
    not scoped to locations); otherwise the caller may only see and change records of those
    locations. `display_name` is what "Booked By" and audit entries show.
    """

    company_id: str
    kind: CallerKind
    caller_id: str
    display_name: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)
    location_ids: frozenset[str] | None = None
    staff_schedule_id: str = ""  # a photographer's own schedule, when linked

    def may_see_location(self, location_id: str) -> bool:
        return self.location_ids is None or location_id in self.location_ids

    @property
    def label(self) -> str:
        """How records name this caller: `staff:<id>`, `partner:<id>`, `service:<name>`, ..."""
        return f"{self.kind.value}:{self.caller_id}"
