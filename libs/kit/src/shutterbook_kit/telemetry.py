"""OpenTelemetry setup: a tracer provider always (so trace ids exist and propagate),
exporters only when the standard `OTEL_*` variables ask for them.

- `OTEL_TRACES_EXPORTER`: `otlp` or `console` (comma-separated); unset or `none` exports nothing.
- `OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT`, ... as the OpenTelemetry spec defines.

W3C trace context crosses gRPC (instrumentation interceptors), HTTP (Litestar's plugin) and
NATS (headers injected by the relay, extracted by the consumer).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def _exporters() -> list[SpanExporter]:
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",") if n.strip()]
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name != "none":
            raise ValueError(f"OTEL_TRACES_EXPORTER: unsupported exporter {name!r}")
    return exporters


def configure_telemetry(service: str) -> None:
    """Install the process's tracer provider unless one is already installed (tests install theirs)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    name = os.environ.get("OTEL_SERVICE_NAME", f"shutterbook-{service}")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    for exporter in _exporters():
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def shutdown_telemetry() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: MutableMapping[str, str]) -> None:
    """Write the current W3C trace context (traceparent, tracestate) into message headers."""
    propagate.inject(headers)


def extract_context(headers: Mapping[str, str]) -> object:
    return propagate.extract(dict(headers))
