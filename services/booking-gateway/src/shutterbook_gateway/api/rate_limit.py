"""Rate limits, per gateway process, in memory (README, "Rate limit"):

- a verified partner key: `rate_limit_per_minute` requests, counted against that key only (a
  publishable key: per key and client address, since every visitor of a page uses it);
- a request without a valid key (missing, unknown id, wrong secret, revoked): counted against
  the client's address, `auth_failures_per_minute`, then 429. So a wrong secret with a real
  key's id cannot use up that key's budget, random key ids or forged X-Forwarded-For headers
  (believed only from SHUTTERBOOK_GATEWAY_TRUSTED_PROXIES) are throttled per address, and a
  valid key is never refused for what others at its address did (behind a proxy nobody
  configured, every client shares the proxy's address).

The counters are token buckets (`domain/token_bucket.py`): O(1) time per request, a budget
of `per_minute` that refills continuously (so a burst of a minute's budget, then the steady
rate), kept in each gateway process's memory. With N replicas behind a balancer a key may
reach up to N times its budget in all; the limit protects each process from one caller,
which needs no shared store (and no round trip to one on every request).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from shutterbook_gateway.api.callers import client_address, verified_partner
from shutterbook_gateway.api.problems import PROBLEM_BASE
from shutterbook_gateway.domain.token_bucket import TokenBuckets
from shutterbook_gateway.settings import GatewaySettings
from shutterbook_kit.db import Database

# the booking and picture day pages' files, the docs and the health checks carry no key and are
# not limited; nor is the console's key administration (api/key_admin.py: its credential is a
# signed caller token, nothing to guess, and one console address serves every studio's staff)
UNLIMITED_PREFIXES = ("/healthz", "/readyz", "/docs", "/book", "/picture-day", "/admin/")


class RateLimits:
    def __init__(self, settings: GatewaySettings) -> None:
        self.trusted_proxies = settings.trusted_proxies
        self.per_key = TokenBuckets(settings.rate_limit_per_minute)
        self.failures = TokenBuckets(settings.auth_failures_per_minute)


async def _too_many(send: Send, buckets: TokenBuckets, wait: float, detail: str) -> None:
    retry_after = buckets.retry_after_seconds(wait)
    body = {
        "status": 429,
        "type": PROBLEM_BASE + "rate-limited",
        "title": "Too Many Requests",
        "detail": detail,
        "code": "RATE_LIMITED",
    }
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"retry-after", str(retry_after).encode()),
        (b"ratelimit-limit", str(int(buckets.capacity)).encode()),
        (b"ratelimit-remaining", b"0"),
        (b"ratelimit-reset", str(retry_after).encode()),
    ]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 429, "headers": headers}
    chunk: HTTPResponseBodyEvent = {"type": "http.response.body", "body": json.dumps(body).encode(), "more_body": False}
    await send(start)
    await send(chunk)


def rate_limit_middleware(limits: RateLimits) -> Callable[[ASGIApp], ASGIApp]:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"].startswith(UNLIMITED_PREFIXES):
                await app(scope, receive, send)
                return
            db: Database = scope["litestar_app"].state.db
            partner = await verified_partner(scope, db)
            if partner is None:  # counted against the address; under its budget the handler answers 401
                address = client_address(scope, limits.trusted_proxies)
                wait = limits.failures.take(address, time.monotonic())
                if wait:
                    await _too_many(send, limits.failures, wait, "too many requests without a valid API key")
                    return
            else:
                # a secret key is one partner's server; a publishable key is every visitor of a
                # booking page, so each visitor (address) gets the key's budget
                who: str | tuple[str, str] = partner.key_id
                if partner.publishable:
                    who = (partner.key_id, client_address(scope, limits.trusted_proxies))
                wait = limits.per_key.take(who, time.monotonic())
                if not wait:
                    await app(scope, receive, send)
                    return
                await _too_many(send, limits.per_key, wait, "this API key's rate limit is reached")
                return
            await app(scope, receive, send)

        return middleware

    return factory
