"""The kit's record of answered requests, read by billing before it charges a card."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_kit.schema import IdempotencyRecord


async def is_recorded(session: AsyncSession, company_id: str, scope: str, request_id: str) -> bool:
    """True when this request_id already has a stored result (a retry: replay, charge nothing)."""
    found = await session.scalar(
        select(IdempotencyRecord.request_id).where(
            IdempotencyRecord.company_id == company_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.request_id == request_id,
        )
    )
    return found is not None
