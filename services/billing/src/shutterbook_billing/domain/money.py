"""Money rules, pure. Amounts are integer minor units; currencies ISO 4217 codes."""

from __future__ import annotations

from shutterbook_kit.errors import Violations

MAX_TAX_RATE_BPS = 10_000  # 100 %


def check_currency(code: str, field: str, v: Violations) -> None:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        v.add(field, "must be a three-letter ISO 4217 code such as USD")


def check_price(amount_minor: int, field: str, v: Violations) -> None:
    if amount_minor < 0:
        v.add(field, "must not be negative")


def check_tax_rate(bps: int, field: str, v: Violations) -> None:
    if not 0 <= bps <= MAX_TAX_RATE_BPS:
        v.add(field, f"must be between 0 and {MAX_TAX_RATE_BPS} basis points")
