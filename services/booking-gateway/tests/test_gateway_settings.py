"""The gateway's settings: every variable of the README's table read once, into one object."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest

from shutterbook_gateway.settings import Deadlines, GatewaySettings, RecoverySettings

VARIABLES = {
    "SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE": "7",
    "SHUTTERBOOK_GATEWAY_CALL_TIMEOUT_SECONDS": "1.5",
    "SHUTTERBOOK_GATEWAY_READ_TIMEOUT_SECONDS": "2",
    "SHUTTERBOOK_GATEWAY_PAYMENT_TIMEOUT_SECONDS": "3",
    "SHUTTERBOOK_GATEWAY_SAGA_LEASE_SECONDS": "4",
    "SHUTTERBOOK_GATEWAY_RECOVERY_INTERVAL_SECONDS": "5",
    "SHUTTERBOOK_GATEWAY_RECOVERY_RETRY_SECONDS": "6",
    "SHUTTERBOOK_GATEWAY_MAX_CONCURRENT_BOOKINGS": "8",
    "SHUTTERBOOK_GATEWAY_BOOKING_QUEUE_SECONDS": "9",
    "SHUTTERBOOK_GATEWAY_READY_FILE": "/tmp/ready",
    "SHUTTERBOOK_GATEWAY_PUBLIC_BASE_URL": "https://book.studio.example/",
    "SHUTTERBOOK_GATEWAY_AUTH_FAILURES_PER_MINUTE": "10",
    "SHUTTERBOOK_GATEWAY_TRUSTED_PROXIES": "127.0.0.9, 10.0.0.0/8",
    "SHUTTERBOOK_GATEWAY_MAX_BODY_BYTES": "11",
    "SHUTTERBOOK_GATEWAY_KEEP_ALIVE_SECONDS": "12",
    "SHUTTERBOOK_GATEWAY_HEADER_TIMEOUT_SECONDS": "13",
    "SHUTTERBOOK_GATEWAY_MAX_CONNECTIONS": "14",
    "SHUTTERBOOK_GATEWAY_KEY_CACHE_SECONDS": "15",
    "SHUTTERBOOK_GATEWAY_REFERENCE_CACHE_SECONDS": "16",
    "SHUTTERBOOK_GATEWAY_OPEN_SLOTS_TTL_SECONDS": "17",
}


def test_defaults_without_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert GatewaySettings.from_env() == GatewaySettings()
    assert GatewaySettings().saga_lease == timedelta(seconds=90)


def test_every_variable_lands_in_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    assert GatewaySettings.from_env() == GatewaySettings(
        rate_limit_per_minute=7,
        deadlines=Deadlines(call=1.5, read=2.0, payment=3.0),
        saga_lease_seconds=4.0,
        recovery=RecoverySettings(interval_seconds=5.0, retry_seconds=6.0),
        max_concurrent_bookings=8,
        booking_queue_seconds=9.0,
        ready_file="/tmp/ready",
        public_base_url="https://book.studio.example",
        auth_failures_per_minute=10,
        trusted_proxies=(ipaddress.ip_network("127.0.0.9/32"), ipaddress.ip_network("10.0.0.0/8")),
        max_body_bytes=11,
        keep_alive_seconds=12,
        header_timeout_seconds=13.0,
        max_connections=14,
        key_cache_seconds=15.0,
        reference_cache_seconds=16.0,
        open_slots_ttl_seconds=17.0,
    )


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_MAX_CONCURRENT_BOOKINGS", "many")
    with pytest.raises(ValueError, match="SHUTTERBOOK_GATEWAY_MAX_CONCURRENT_BOOKINGS must be an integer"):
        GatewaySettings.from_env()


def test_bad_proxies_and_base_url_name_their_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
    with pytest.raises(ValueError, match="SHUTTERBOOK_GATEWAY_TRUSTED_PROXIES"):
        GatewaySettings.from_env()
    monkeypatch.delenv("SHUTTERBOOK_GATEWAY_TRUSTED_PROXIES")
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_PUBLIC_BASE_URL", "book.studio.example")
    with pytest.raises(ValueError, match="SHUTTERBOOK_GATEWAY_PUBLIC_BASE_URL"):
        GatewaySettings.from_env()
