"""The billing service's own settings (beyond the kit's ServiceSettings), read once at start
(`BillingSettings.from_env()` in `main.serve`) and passed down; the README's configuration
table lists every variable."""

from __future__ import annotations

from dataclasses import dataclass

from shutterbook_kit.settings import env_int


@dataclass(frozen=True)
class BillingSettings:
    # the most front desk staff (without `billing.refund_any`) may refund at once, in minor
    # units of the payment's currency
    staff_refund_limit_minor: int = 10_000

    @classmethod
    def from_env(cls) -> BillingSettings:
        return cls(staff_refund_limit_minor=env_int("BILLING_STAFF_REFUND_LIMIT_MINOR", 10_000))
