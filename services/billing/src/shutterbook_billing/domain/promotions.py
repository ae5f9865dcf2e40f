"""Promotion rules, pure: when a promo code may be used on an invoice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Refusal:
    reason: str
    message: str


def redeem_refusal(
    *,
    now: datetime,
    start_time: datetime,
    end_time: datetime | None,
    usage_count: int,
    usage_limit: int,
    eligible_session_types: Sequence[str],
    session_type_id: str,
) -> Refusal | None:
    """Why the code cannot be used now on an invoice of `session_type_id`, or None.

    The usage limit checked here is advisory: the binding check is the conditional UPDATE
    that counts the use (`usage_count < usage_limit`), so concurrent uses never exceed it.
    """
    if now < start_time:
        return Refusal("PROMO_CODE_NOT_YET_VALID", "the promo code is not valid yet")
    if end_time is not None and now >= end_time:
        return Refusal("PROMO_CODE_EXPIRED", "the promo code has expired")
    if usage_limit and usage_count >= usage_limit:
        return Refusal("PROMO_CODE_USED_UP", "the promo code reached its usage limit")
    if eligible_session_types and session_type_id not in eligible_session_types:
        return Refusal("PROMO_CODE_NOT_ELIGIBLE", "the promo code does not apply to this session type")
    return None
