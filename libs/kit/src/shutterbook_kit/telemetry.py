"""OpenTelemetry setup: a tracer provider always (so trace ids exist and propagate),
exporters only when the standard `OTEL_*` variables ask for them.

- `OTEL_TRACES_EXPORTER`: `otlp` or `console` (comma-separated); unset or `none` exports nothing.
- `OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT`, ... as the OpenTelemetry spec defines.
- `OTEL_TRACES_SAMPLER` (`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`,
  `parentbased_always_off`, `parentbased_traceidratio`) and `OTEL_TRACES_SAMPLER_ARG` (the
  ratio). Default: `parentbased_traceidratio` at 0.1 when something is exported (a tenth of
  new traces recorded whole; a caller's sampled trace is followed), and `always_off` when
  nothing is: a span nobody exports is not worth its cost. Unsampled spans still carry trace
  ids, so trace context keeps propagating and logs keep their trace ids.

W3C trace context crosses gRPC (instrumentation interceptors; where the process records
nothing, the kit's interceptor carries the caller's context instead, `carried_context`), HTTP (Litestar's plugin) and
NATS (headers injected by the relay, extracted by the consumer).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_OFF,
    DEFAULT_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

DEFAULT_SAMPLE_RATIO = 0.1


def sampler_from(name: str, arg: str, *, exporting: bool) -> Sampler:
    """The sampler `OTEL_TRACES_SAMPLER` / `_ARG` name (see the module's docstring)."""
    name = name.strip().lower()
    if not name:
        name = "parentbased_traceidratio" if exporting else "always_off"
    try:
        ratio = float(arg) if arg.strip() else DEFAULT_SAMPLE_RATIO
    except ValueError as exc:
        raise ValueError(f"OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got {arg!r}") from exc
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got {arg!r}")
    samplers: dict[str, Sampler] = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "traceidratio": TraceIdRatioBased(ratio),
        "parentbased_always_on": DEFAULT_ON,
        "parentbased_always_off": DEFAULT_OFF,
        "parentbased_traceidratio": ParentBased(TraceIdRatioBased(ratio)),
    }
    if name not in samplers:
        raise ValueError(f"OTEL_TRACES_SAMPLER: unsupported sampler {name!r} (one of {', '.join(samplers)})")
    return samplers[name]


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
    exporters = _exporters()
    sampler = sampler_from(
        os.environ.get("OTEL_TRACES_SAMPLER", ""),
        os.environ.get("OTEL_TRACES_SAMPLER_ARG", ""),
        exporting=bool(exporters),
    )
    provider = TracerProvider(resource=Resource.create({"service.name": name}), sampler=sampler)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def tracing_enabled() -> bool:
    """False when this process records no span at all (its sampler is `always_off`): an HTTP
    server may then leave out its tracing middleware, which costs a quarter of a millisecond
    per request even for spans nobody records (a caller's trace context is then not carried
    on to the services this process calls)."""
    provider = trace.get_tracer_provider()
    return not (isinstance(provider, TracerProvider) and provider.sampler is ALWAYS_OFF)


def shutdown_telemetry() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: MutableMapping[str, str]) -> None:
    """Write the current W3C trace context (traceparent, tracestate) into message headers."""
    propagate.inject(headers)


def untraced_call_metadata() -> tuple[tuple[str, str], ...]:
    """What an outgoing gRPC call adds to its metadata to carry the current trace context where
    no tracing interceptor runs (the process records nothing: `open_channel` leaves it out):
    the current `traceparent` (none outside a trace), as the interceptor would inject it; the
    callee's `carried_context` reads it. Nothing where the interceptor runs (it injects its own
    span's context)."""
    if tracing_enabled():
        return ()
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple(carrier.items())


def extract_context(headers: Mapping[str, str]) -> object:
    return propagate.extract(dict(headers))


_IDS = RandomIdGenerator()


def carried_context(metadata: Iterable[tuple[str, str | bytes]]) -> Context:
    """The trace context a call arrived with, without a span of this process: where no
    tracing interceptor runs (the process records nothing), a handler's logs and the events
    it emits still carry the caller's trace id (the caller's `traceparent`, or a fresh,
    unsampled id when it sent none), at the cost of reading one header."""
    carrier = {k: v for k, v in metadata if isinstance(v, str)}
    ctx = propagate.extract(carrier)
    if trace.get_current_span(ctx).get_span_context().is_valid:
        return ctx
    fresh = SpanContext(_IDS.generate_trace_id(), _IDS.generate_span_id(), is_remote=False, trace_flags=TraceFlags(0))
    return trace.set_span_in_context(NonRecordingSpan(fresh), ctx)
