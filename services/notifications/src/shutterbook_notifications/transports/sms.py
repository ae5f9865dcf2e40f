"""SMS through a provider interface. The sandbox provider (the default) sends nothing and
records what it would have sent; a real provider adapter is passed to `main.build`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shutterbook_notifications.domain.delivery import DeliveryFailure


class SmsProvider(Protocol):
    async def send(self, to: str, text: str, idempotency_key: str) -> str:
        """Send `text` to `to` (E.164); returns the provider's message id, raises DeliveryFailure."""
        ...


@dataclass
class SandboxSmsProvider:
    """Numbers ending in 0000 are refused for good, 9999 fail temporarily; others succeed."""

    sent: dict[str, tuple[str, str]] = field(default_factory=dict)

    async def send(self, to: str, text: str, idempotency_key: str) -> str:
        if to.endswith("0000"):
            raise DeliveryFailure("sandbox: number refused", temporary=False)
        if to.endswith("9999"):
            raise DeliveryFailure("sandbox: provider busy", temporary=True)
        self.sent.setdefault(idempotency_key, (to, text))
        return f"sandbox-{idempotency_key}"
