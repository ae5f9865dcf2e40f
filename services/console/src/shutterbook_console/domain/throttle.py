"""Slowing down password guessing: counted per account (the email tried, whether or not an
account has it) and per client address.

After `lock_after` failures in a row the key is locked for `lock_minutes`; every further
`lock_after` failures double the lock (15, 30, 60 minutes, ... at most a day). A successful
login clears the account's count (not the address's, so one valid account cannot reset an
address that is guessing others).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_LOCK = timedelta(hours=24)


@dataclass(frozen=True)
class ThrottlePolicy:
    lock_after: int = 5
    lock_minutes: int = 15

    def lock_for(self, failures: int) -> timedelta | None:
        """How long to lock after the `failures`-th failure in a row (None: not locked)."""
        if failures < self.lock_after or failures % self.lock_after:
            return None
        doublings = min(failures // self.lock_after - 1, 16)
        lock: timedelta = timedelta(minutes=self.lock_minutes) * (2**doublings)
        return min(lock, MAX_LOCK)


def account_key(company_scope: str, email_key: str) -> str:
    return f"account:{company_scope}:{email_key}"


def address_key(address: str) -> str:
    return f"address:{address}"


def retry_after_seconds(locked_until: datetime, now: datetime) -> int:
    return max(1, int((locked_until - now).total_seconds()) + 1)
