"""When a promo code may be used: validity window, usage limit, eligible session types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shutterbook_billing.domain.promotions import redeem_refusal

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def refusal(**overrides: object) -> str | None:
    args: dict[str, object] = {
        "now": NOW,
        "start_time": NOW - timedelta(days=1),
        "end_time": NOW + timedelta(days=1),
        "usage_count": 0,
        "usage_limit": 0,
        "eligible_session_types": [],
        "session_type_id": "",
    }
    args.update(overrides)
    found = redeem_refusal(**args)  # type: ignore[arg-type]
    return found.reason if found else None


def test_window_is_start_inclusive_end_exclusive() -> None:
    assert refusal() is None
    assert refusal(start_time=NOW) is None
    assert refusal(start_time=NOW + timedelta(seconds=1)) == "PROMO_CODE_NOT_YET_VALID"
    assert refusal(end_time=NOW) == "PROMO_CODE_EXPIRED"
    assert refusal(end_time=None) is None


def test_usage_limit_and_eligibility() -> None:
    assert refusal(usage_limit=0, usage_count=10_000) is None  # 0: no limit
    assert refusal(usage_limit=3, usage_count=2) is None
    assert refusal(usage_limit=3, usage_count=3) == "PROMO_CODE_USED_UP"
    assert refusal(eligible_session_types=["a"], session_type_id="a") is None
    assert refusal(eligible_session_types=["a"], session_type_id="b") == "PROMO_CODE_NOT_ELIGIBLE"
    assert refusal(eligible_session_types=["a"], session_type_id="") == "PROMO_CODE_NOT_ELIGIBLE"
