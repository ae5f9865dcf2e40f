"""Span sampling from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, and its defaults."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import Decision

from shutterbook_kit.telemetry import sampler_from

TRACE_IDS = range(1, 2**64, 2**64 // 1000)  # spread over the low 64 bits, which the ratio is taken from


def _sampled(name: str, arg: str, *, exporting: bool) -> int:
    sampler = sampler_from(name, arg, exporting=exporting)
    return sum(
        sampler.should_sample(None, (7 << 64) | trace_id, "span").decision == Decision.RECORD_AND_SAMPLE
        for trace_id in TRACE_IDS
    )


def test_nothing_exported_records_nothing_and_exporting_records_a_tenth_by_default() -> None:
    assert _sampled("", "", exporting=False) == 0
    assert 50 <= _sampled("", "", exporting=True) <= 150  # about 100 of 1,000 new traces
    assert _sampled("always_on", "", exporting=False) == len(TRACE_IDS)
    assert _sampled("parentbased_traceidratio", "1", exporting=True) == len(TRACE_IDS)
    assert _sampled("TraceIdRatio", "0.5", exporting=True) in range(400, 600)


@pytest.mark.parametrize(("name", "arg"), [("sometimes", ""), ("traceidratio", "2"), ("traceidratio", "half")])
def test_a_bad_sampler_setting_stops_the_start_naming_the_variable(name: str, arg: str) -> None:
    with pytest.raises(ValueError, match="OTEL_TRACES_SAMPLER"):
        sampler_from(name, arg, exporting=True)
