"""A request rate limit per partner API key (per client address for anonymous calls), with
Litestar's fixed-window limiter; a 429 carries Retry-After.

The window is kept in each gateway process's memory: with N replicas a key may make up to
N times the limit. That bounds abuse without a shared store on the hot path; a shared
Litestar store (Redis) can replace the memory store where a strict global limit matters.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware, get_remote_address

from shutterbook_gateway.application.api_keys import split_key


class RetryAfterRateLimitMiddleware(RateLimitMiddleware):
    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        headers = super().create_response_headers(cache_object)
        if len(cache_object.history) >= self.max_requests:
            headers["Retry-After"] = str(max(cache_object.reset - int(time.time()), 1))
        return headers


def _identifier(request: Request[Any, Any, Any]) -> str:
    parsed = split_key(request.headers.get("x-api-key", ""))
    return f"key:{parsed[0]}" if parsed else f"addr:{get_remote_address(request)}"


def rate_limit_config(requests_per_minute: int) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", requests_per_minute),
        identifier_for_request=_identifier,
        # the booking page's own files carry no key and are static: its API calls are what count
        exclude=["^/healthz$", "^/readyz$", "^/docs", "^/book"],
        middleware_class=RetryAfterRateLimitMiddleware,
    )
