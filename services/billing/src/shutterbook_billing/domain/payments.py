"""The payment provider port: what billing needs from a card network, and nothing more.

A real provider (Stripe, Adyen, ...) is an adapter implementing `PaymentProvider`; the
built-in sandbox (`shutterbook_billing.providers.sandbox`) behaves like a card network's
test mode. Every charge and refund carries an idempotency key: the provider must return
the first result for a key it has seen, so a retried charge charges once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Charge:
    charge_id: str
    amount_minor: int
    currency_code: str


@dataclass(frozen=True)
class Refund:
    refund_id: str
    charge_id: str
    amount_minor: int


class PaymentDeclined(Exception):
    """The card network refused the charge (a final answer: retrying will not help)."""


class ProviderUnavailable(Exception):
    """The provider could not be reached or failed; the same idempotency key may be retried."""


class PaymentProvider(Protocol):
    async def charge(
        self, *, idempotency_key: str, token: str, amount_minor: int, currency_code: str, description: str
    ) -> Charge: ...

    async def refund(self, *, idempotency_key: str, charge_id: str, amount_minor: int) -> Refund: ...
