"""gRPC client channels: round-robin over every address of the target (headless services
resolved through `dns:///`), and retries on UNAVAILABLE only for methods that are safe to
repeat (reads, and creates that always carry a request_id)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from shutterbook_kit.identity import Caller
from shutterbook_kit.telemetry import tracing_enabled
from shutterbook_kit.tenancy import CallContext

# Reads, by their AIP names; and Ensure*, which are idempotent by definition.
READ_PREFIXES = ("Get", "List", "Search", "Query", "Export", "Verify", "Preview", "Check", "Ensure")


def retry_safe_methods(service: ServiceDescriptor) -> list[str]:
    """The methods of `service` that may be retried on UNAVAILABLE: reads (by their AIP
    name), and every method whose request carries a `request_id`, because our callers always
    set one (the service answers a repeat with the first result)."""
    return sorted(
        m.name
        for m in service.methods
        if m.name.startswith(READ_PREFIXES) or "request_id" in m.input_type.fields_by_name
    )


def service_config(service: str, idempotent_methods: Iterable[str], *, timeout_seconds: float = 10.0) -> str:
    """The JSON service config: round_robin, a default timeout, and retries where safe."""
    retry_policy = {
        "maxAttempts": 4,
        "initialBackoff": "0.1s",
        "maxBackoff": "1s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    methods = sorted(set(idempotent_methods))
    config = {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {"name": [{"service": service}], "timeout": f"{timeout_seconds}s"},
            *(
                [
                    {
                        "name": [{"service": service, "method": m} for m in methods],
                        "timeout": f"{timeout_seconds}s",
                        "retryPolicy": retry_policy,
                    }
                ]
                if methods
                else []
            ),
        ],
    }
    return json.dumps(config)


def open_channel(target: str, service: str, idempotent_methods: Iterable[str]) -> grpc.aio.Channel:
    """A channel to `target` (`host:port`, `dns:///host:port` or `ipv4:a:p,b:p`).

    Traced (OpenTelemetry's client interceptors: a span per call, its context carried in the
    call's metadata) only when this process records spans (`tracing_enabled`, read when the
    channel opens, after the process set up its telemetry): a grpc.aio call through an
    interceptor costs a task and a wrapper call more, about a twentieth of the gateway's CPU a
    booking (issue 19), for spans a process without an exporter never records."""
    options = [
        ("grpc.service_config", service_config(service, idempotent_methods)),
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.dns_min_time_between_resolutions_ms", 1_000),
    ]
    interceptors = aio_client_interceptors() if tracing_enabled() else None  # type: ignore[no-untyped-call]
    return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)


def call_metadata(who: CallContext | Caller) -> tuple[tuple[str, str], ...]:
    """The metadata of a call made for `who`: `authorization: Bearer <token>`, a caller token
    signed with this process's signing key (the one place outgoing calls get their identity),
    and the trace context where no interceptor carries it."""
    return (who if isinstance(who, CallContext) else CallContext.of(who)).metadata()
