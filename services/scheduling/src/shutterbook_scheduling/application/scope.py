"""Location scoping applied: the caller's scope (from the verified token), as plain data
(`domain/locations.py` holds the rule). The use cases pass it to the repositories, whose queries
apply it (`storage/lists.py`: `within`, `within_config`); nothing here builds a query."""

from __future__ import annotations

from shutterbook_kit import tenancy
from shutterbook_scheduling.domain.locations import Scope, visible


def caller_scope() -> Scope:
    """The locations the caller of the call being served may see; None for every location
    (and for a service's own background work, which has no caller)."""
    caller = tenancy.current_caller()
    return None if caller is None else caller.location_ids


def caller_sees(location_id: str) -> bool:
    return visible(caller_scope(), location_id)
