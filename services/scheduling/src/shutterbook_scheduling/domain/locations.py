"""Who sees which location's records: the one rule of location scoping.

A caller scoped to locations (a chain's staff member, a partner key given locations) sees and
changes only records at those locations; every other record answers as another company's would
(NOT_FOUND), and lists leave them out. `None` means every location of the company (owners,
services, jobs, unscoped keys).
"""

from __future__ import annotations

Scope = frozenset[str] | None


def visible(scope: Scope, location_id: str) -> bool:
    """Whether a record at `location_id` is visible within `scope`."""
    return scope is None or location_id in scope
