"""The gateway's own settings (beyond the kit's ServiceSettings), read once at start
(`GatewaySettings.from_env(settings)` in `main.server`) and passed down; the README's
configuration table lists every variable."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from shutterbook_kit.settings import PREFIX, ServiceSettings, env, env_float, env_int

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(raw: str) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{PREFIX}GATEWAY_TRUSTED_PROXIES must be comma-separated addresses or CIDRs: {exc}") from exc


def _base_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{PREFIX}GATEWAY_PUBLIC_BASE_URL must be an http(s) URL without query, got {raw!r}")
    return raw.strip().rstrip("/")


@dataclass(frozen=True)
class Deadlines:
    """Deadlines of the gateway's calls to the services, in seconds."""

    call: float = 15.0  # each call the booking saga and recovery make
    read: float = 10.0  # catalog reads
    payment: float = 20.0  # a charge (payment or deposit) through billing


@dataclass(frozen=True)
class RecoverySettings:
    interval_seconds: float = 5.0  # how often each replica looks for unfinished bookings
    retry_seconds: float = 15.0  # wait before retrying one it could not settle

    @property
    def retry_after(self) -> timedelta:
        return timedelta(seconds=self.retry_seconds)


@dataclass(frozen=True)
class GatewaySettings:
    """Limits, deadlines and public addresses of the HTTP gateway (README, "Configuration")."""

    public_base_url: str = "http://127.0.0.1:8000"
    rate_limit_per_minute: int = 600
    auth_failures_per_minute: int = 30
    trusted_proxies: tuple[Network, ...] = ()
    max_body_bytes: int = 1_000_000
    # longer than a client's or load balancer's own idle timeout (httpx 5 s, AWS ALB 60 s): a
    # server closing an idle connection just as a client reuses it makes that request fail
    keep_alive_seconds: int = 65
    header_timeout_seconds: float = 10.0
    max_connections: int = 1000
    deadlines: Deadlines = field(default_factory=Deadlines)
    saga_lease_seconds: float = 90.0
    recovery: RecoverySettings = field(default_factory=RecoverySettings)
    max_concurrent_bookings: int = 16
    booking_queue_seconds: float = 60.0
    # how long a key's row (and a session type, appointment type or location read from
    # scheduling) is kept in the process; a revoked key goes sooner, by its event
    key_cache_seconds: float = 30.0
    reference_cache_seconds: float = 30.0
    # how long the open-slot read model keeps a day it read from scheduling without an event
    # about it (what no event announces: time slots created, changed, deleted)
    open_slots_ttl_seconds: float = 60.0
    # readiness gate: /readyz is 503 until this file exists (`make run` writes it once the demo
    # data is seeded; empty elsewhere)
    ready_file: str = ""

    @property
    def saga_lease(self) -> timedelta:
        return timedelta(seconds=self.saga_lease_seconds)

    @classmethod
    def from_env(cls, service: ServiceSettings | None = None) -> GatewaySettings:
        """`service` gives the default public address: the gateway's own host and port."""
        default_url = cls.public_base_url
        if service is not None:
            host = "127.0.0.1" if service.host in {"", "0.0.0.0", "::"} else service.host
            host = f"[{host}]" if ":" in host else host
            default_url = f"http://{host}:{service.port}"
        return cls(
            public_base_url=_base_url(env("GATEWAY_PUBLIC_BASE_URL", default_url)),
            rate_limit_per_minute=env_int("GATEWAY_RATE_LIMIT_PER_MINUTE", cls.rate_limit_per_minute),
            auth_failures_per_minute=env_int("GATEWAY_AUTH_FAILURES_PER_MINUTE", cls.auth_failures_per_minute),
            trusted_proxies=_networks(env("GATEWAY_TRUSTED_PROXIES", "")),
            max_body_bytes=env_int("GATEWAY_MAX_BODY_BYTES", cls.max_body_bytes),
            keep_alive_seconds=env_int("GATEWAY_KEEP_ALIVE_SECONDS", cls.keep_alive_seconds),
            header_timeout_seconds=env_float("GATEWAY_HEADER_TIMEOUT_SECONDS", cls.header_timeout_seconds),
            max_connections=env_int("GATEWAY_MAX_CONNECTIONS", cls.max_connections),
            deadlines=Deadlines(
                call=env_float("GATEWAY_CALL_TIMEOUT_SECONDS", 15.0),
                read=env_float("GATEWAY_READ_TIMEOUT_SECONDS", 10.0),
                payment=env_float("GATEWAY_PAYMENT_TIMEOUT_SECONDS", 20.0),
            ),
            saga_lease_seconds=env_float("GATEWAY_SAGA_LEASE_SECONDS", cls.saga_lease_seconds),
            recovery=RecoverySettings(
                interval_seconds=env_float("GATEWAY_RECOVERY_INTERVAL_SECONDS", 5.0),
                retry_seconds=env_float("GATEWAY_RECOVERY_RETRY_SECONDS", 15.0),
            ),
            max_concurrent_bookings=env_int("GATEWAY_MAX_CONCURRENT_BOOKINGS", cls.max_concurrent_bookings),
            booking_queue_seconds=env_float("GATEWAY_BOOKING_QUEUE_SECONDS", cls.booking_queue_seconds),
            ready_file=env("GATEWAY_READY_FILE", ""),
            key_cache_seconds=env_float("GATEWAY_KEY_CACHE_SECONDS", cls.key_cache_seconds),
            reference_cache_seconds=env_float("GATEWAY_REFERENCE_CACHE_SECONDS", cls.reference_cache_seconds),
            open_slots_ttl_seconds=env_float("GATEWAY_OPEN_SLOTS_TTL_SECONDS", cls.open_slots_ttl_seconds),
        )
