"""Delivery rules: states, retry backoff, and what a transport failure means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"  # refused for good by the recipient's mail server (SMTP 5xx): never retried


class ChannelKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    SCREEN = "screen"  # shown to staff in the console; never sent


class DeliveryFailure(Exception):
    """A transport could not deliver. `temporary`: try again later (4xx, connection refused);
    `bounced`: the recipient's server refused it for good (5xx): not retried, shown as bounced."""

    def __init__(self, reason: str, *, temporary: bool, bounced: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary
        self.bounced = bounced and not temporary


# SMTP 5xx answers about our own login to the relay, not about the message: a configuration to
# fix, after which the message should still go, so they are retried like a 4xx
SMTP_LOGIN_REFUSALS = frozenset({530, 534, 535, 538})


def smtp_failure(code: int, answer: str) -> DeliveryFailure:
    """What an SMTP server's refusal means: 4xx try again, 5xx bounced (but a refused login)."""
    reason = f"SMTP {code} {answer}".strip()[:300]
    if 400 <= code < 500 or code in SMTP_LOGIN_REFUSALS:
        return DeliveryFailure(reason, temporary=True)
    return DeliveryFailure(reason, temporary=False, bounced=500 <= code < 600)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0

    def delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt: base, 2 base, 4 base, ... at most max."""
        return timedelta(seconds=min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_seconds))

    def gives_up(self, attempts: int, failure: DeliveryFailure) -> bool:
        return not failure.temporary or attempts >= self.max_attempts
