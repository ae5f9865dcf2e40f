"""Worker leases on rows (`lease_owner`, `lease_until`): a worker takes a row for a while with a
conditional UPDATE, so two workers never hold the same row at once; a lease that ran out
(`lease_until` not after now) is free again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.ext.asyncio import AsyncSession


def lease_free(model: Any, now: datetime) -> ColumnElement[bool]:
    """The row is leased by nobody, or its lease ran out."""
    free: ColumnElement[bool] = or_(model.lease_until.is_(None), model.lease_until <= now)
    return free


async def take_lease(
    session: AsyncSession,
    model: Any,
    row_id: str,
    owner: str,
    until: datetime,
    now: datetime,
    *also: ColumnElement[bool],
) -> bool:
    """Lease the row (`model.id == row_id`, free, and `also`) to `owner` until `until`;
    whether it was taken."""
    taken = await session.execute(
        update(model)
        .where(model.id == row_id, lease_free(model, now), *also)
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]
