"""`telemetry.carried_context`: where a process records no spans (no tracing interceptor),
a gRPC handler still runs in its caller's trace (logs and emitted events carry its id)."""

from __future__ import annotations

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace

from shutterbook_kit import telemetry
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.telemetry import carried_context, inject_headers
from shutterbook_kit.tenancy import CallContext

CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_the_callers_trace_is_carried_into_the_handler() -> None:
    token = otel_context.attach(carried_context([("traceparent", CALLER), ("x-bin", b"\x00")]))
    try:
        span = trace.get_current_span().get_span_context()
        assert f"{span.trace_id:032x}" == "4bf92f3577b34da6a3ce929d0e0e4736"
        headers: dict[str, str] = {}
        inject_headers(headers)  # what an emitted event's outbox row is given
        assert headers["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    finally:
        otel_context.detach(token)


def test_a_call_without_a_trace_gets_a_fresh_unsampled_one() -> None:
    first = trace.get_current_span(carried_context([])).get_span_context()
    second = trace.get_current_span(carried_context([("traceparent", "garbage")])).get_span_context()
    assert first.is_valid
    assert second.is_valid
    assert first.trace_id != second.trace_id
    assert not first.trace_flags.sampled


def test_an_untraced_process_carries_the_trace_on_in_its_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """No client interceptor where nothing is recorded: the call's metadata carries the context."""
    monkeypatch.setattr(telemetry, "tracing_enabled", lambda: False)
    caller = Caller("company-1", CallerKind.SERVICE, "test")
    outside = dict(call_metadata(caller))
    assert "traceparent" not in outside  # no trace here: nothing to carry
    token = otel_context.attach(carried_context([("traceparent", CALLER)]))
    try:
        carried = dict(call_metadata(caller))
        assert carried["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert "authorization" in carried
        assert dict(CallContext.of(caller).metadata())["traceparent"] == carried["traceparent"]
        # a traced process: the interceptor injects its own span's context, nothing added here
        monkeypatch.setattr(telemetry, "tracing_enabled", lambda: True)
        assert "traceparent" not in dict(call_metadata(caller))
    finally:
        otel_context.detach(token)
