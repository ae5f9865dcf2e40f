"""Location scoping applied: the caller's scope (from the verified token) and the filter every
query of a located record goes through (`domain/locations.py` holds the rule)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from shutterbook_kit import tenancy
from shutterbook_scheduling.domain.locations import Scope, visible
from shutterbook_scheduling.storage.lists import within, within_config

T = TypeVar("T", bound=tuple[Any, ...])


def caller_scope() -> Scope:
    """The locations the caller of the call being served may see; None for every location
    (and for a service's own background work, which has no caller)."""
    caller = tenancy.current_caller()
    return None if caller is None else caller.location_ids


def scoped(query: Select[T], location_column: Any) -> Select[T]:
    """`query` limited to rows whose `location_column` is within the caller's scope."""
    return within(query, location_column, caller_scope())


def caller_sees(location_id: str) -> bool:
    return visible(caller_scope(), location_id)


def scoped_config(query: Select[T], model: type[Any]) -> Select[T]:
    """A setup query within the caller's scope: locations and schedules (each at one location)
    limited, the company-wide documents (types, statuses, staff) as they are."""
    return within_config(query, model, caller_scope())
