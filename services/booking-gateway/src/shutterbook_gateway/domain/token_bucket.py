"""Token buckets: a budget of `per_minute` requests that refills continuously, O(1) per request.

Each identity (a key, a key and address, an address) has a bucket of `per_minute` tokens
refilled at `per_minute / 60` per second; a request takes one token or is refused with the
seconds until the next token. A full bucket is the same as no bucket, so when the table
grows past `max_entries`, the full ones are dropped (and, should every bucket be in use,
the oldest, down to 90 %): memory stays bounded under a flood of new identities. Time comes from the
caller (monotonic seconds), so the rule is a pure function of its inputs.
"""

from __future__ import annotations

import math


class TokenBuckets:
    def __init__(self, per_minute: int, max_entries: int = 100_000) -> None:
        self.capacity = float(max(per_minute, 1))
        self.rate = self.capacity / 60.0  # tokens per second
        self.max_entries = max_entries
        self._buckets: dict[object, list[float]] = {}  # identity -> [tokens, as of]

    def take(self, identity: object, now: float) -> float:
        """Take a token: 0.0 when granted, else the seconds until one is available (> 0)."""
        bucket = self._buckets.get(identity)
        if bucket is None:
            if len(self._buckets) >= self.max_entries:
                self._prune(now)
            self._buckets[identity] = [self.capacity - 1.0, now]
            return 0.0
        tokens = min(self.capacity, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate

    def wait(self, identity: object, now: float) -> float:
        """The seconds until `identity` has a token, taking none (0.0: it has one)."""
        bucket = self._buckets.get(identity)
        if bucket is None:
            return 0.0
        tokens = min(self.capacity, bucket[0] + (now - bucket[1]) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)

    def retry_after_seconds(self, wait: float) -> int:
        """A Retry-After header's whole seconds for a refusal's wait."""
        return max(1, math.ceil(wait))

    def _prune(self, now: float) -> None:
        full = [
            key for key, (tokens, since) in self._buckets.items() if tokens + (now - since) * self.rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]
        # all busy: the oldest go, down to 90 %, so the next prune is 10 % of the table away
        # (amortized O(1) per new identity)
        while len(self._buckets) > self.max_entries * 9 // 10:
            del self._buckets[next(iter(self._buckets))]
