"""A sandbox payment provider that behaves like a card network's test mode.

Tokens: `tok_sandbox_ok` succeeds; `tok_sandbox_declined` is declined; `tok_sandbox_slow`
succeeds after `slow_seconds`; `tok_sandbox_error` fails as if the provider were down
(retryable). Any other token is declined as unknown. The sandbox keeps its own ledger by
idempotency key: a retried charge (or refund) returns the first result and moves no money
again. The ledger lives in the process, as a test-mode account does at the network.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from shutterbook_billing.domain.payments import Charge, PaymentDeclined, ProviderUnavailable, Refund

TOKEN_OK = "tok_sandbox_ok"
TOKEN_DECLINED = "tok_sandbox_declined"
TOKEN_SLOW = "tok_sandbox_slow"
TOKEN_ERROR = "tok_sandbox_error"


@dataclass
class SandboxProvider:
    slow_seconds: float = 1.0
    charges: dict[str, Charge] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)
    charge_attempts: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def charge(
        self, *, idempotency_key: str, token: str, amount_minor: int, currency_code: str, description: str
    ) -> Charge:
        self.charge_attempts += 1
        if token == TOKEN_SLOW:
            await asyncio.sleep(self.slow_seconds)
        async with self._lock:
            seen = self.charges.get(idempotency_key)
            if seen is not None:
                if (seen.amount_minor, seen.currency_code) != (amount_minor, currency_code):
                    raise PaymentDeclined("idempotency key reused with a different amount")
                return seen
            if token == TOKEN_ERROR:
                raise ProviderUnavailable("sandbox provider unavailable")
            if token not in (TOKEN_OK, TOKEN_SLOW):
                raise PaymentDeclined("card declined" if token == TOKEN_DECLINED else "unknown payment token")
            charge = Charge(f"ch_sandbox_{uuid.uuid4().hex[:16]}", amount_minor, currency_code)
            self.charges[idempotency_key] = charge
            return charge

    async def refund(self, *, idempotency_key: str, charge_id: str, amount_minor: int) -> Refund:
        async with self._lock:
            seen = self.refunds.get(idempotency_key)
            if seen is not None:
                return seen
            charge = next((c for c in self.charges.values() if c.charge_id == charge_id), None)
            if charge is None:
                raise PaymentDeclined(f"no charge {charge_id}")
            if self.refunded.get(charge_id, 0) + amount_minor > charge.amount_minor:
                raise PaymentDeclined("refund above the charge")
            refund = Refund(f"re_sandbox_{uuid.uuid4().hex[:16]}", charge_id, amount_minor)
            self.refunds[idempotency_key] = refund
            self.refunded[charge_id] = self.refunded.get(charge_id, 0) + amount_minor
            return refund

    def charged_total(self) -> int:
        return sum(c.amount_minor for c in self.charges.values())
