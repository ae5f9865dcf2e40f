"""Schemathesis against the running gateway (real HTTP on loopback, real services behind it).

Every operation of the gateway's own OpenAPI document is called with generated inputs (valid
and invalid) and, in a third variant, with the ids of a real studio and booking, with the
X-Api-Key of a real partner key. The gateway must never answer a 5xx, every body must match
the schema documented for its status, and every error must be an RFC 9457 problem. A second
test holds the document to every status code and content type the gateway really answers.

The gateway is served by uvicorn on this test's event loop, so the (blocking) Schemathesis
calls run in a worker thread while the loop keeps serving them. Generation is derandomized
and bounded (MAX_EXAMPLES per operation and variant) to keep each test near a minute."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode, Response
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.stack_support import Stack, booking_body, booking_stack, offer_online

MAX_EXAMPLES = 25
AnyOperation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]


class NotAProblem(Failure):
    """An error response that is not an RFC 9457 problem body of the API's shape."""

    kind_title = "Error response is not a problem body"


def problem_shape(response: Response) -> str | None:
    """What is wrong with an error response, if anything (the contract: problem+json with
    type, title, status (the HTTP status), detail, code, and errors of {field, detail})."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        return f"content type {content_type!r}, not application/problem+json"
    try:
        body = response.json()
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict):
        return "the body is not an object"
    missing = [k for k in ("type", "title", "status", "code") if not isinstance(body.get(k), str | int)]
    if missing:
        return f"missing {missing}"
    if body["status"] != response.status_code:
        return f"status {body['status']} in a {response.status_code} response"
    errors = body.get("errors", [])
    if not all(isinstance(e, dict) and set(e) == {"field", "detail"} for e in errors):
        return f"errors not of {{field, detail}}: {errors}"
    return None


@dataclass
class Findings:
    """Distinct failures, one per (operation, kind of failure, status code)."""

    seen: dict[tuple[str, str, int], str] = field(default_factory=dict)
    calls: int = 0
    statuses: dict[str, set[int]] = field(default_factory=dict)

    def record(self, case: AnyCase, status: int, failure: Failure, report: str) -> None:
        key = (case.operation.label, type(failure).__name__, status)
        self.seen.setdefault(key, f"{case.operation.label} -> {status}: {failure.title}\n{report}")

    def report(self) -> str:
        return "\n\n".join(self.seen[k] for k in sorted(self.seen))


@dataclass(frozen=True)
class Pinned:
    """Values a variant pins so that its calls reach real objects."""

    path_parameters: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None


def fuzz(
    schema: schemathesis.BaseSchema,
    base_url: str,
    auth: dict[str, str],
    pinned_for: Callable[[AnyOperation], Pinned | None],
    checks: list[CheckFunction],
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Findings:
    """Run every operation (blocking: call from a worker thread) and collect what fails."""
    findings = Findings()
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        strategies = [operation.as_strategy(mode) for mode in modes]
        pinned = pinned_for(operation)
        if pinned is not None:
            names = {p.name for p in operation.path_parameters}
            kwargs: dict[str, Any] = {
                "path_parameters": {k: v for k, v in pinned.path_parameters.items() if k in names} or None,
                "query": pinned.query or None,
                "headers": pinned.headers or None,
            }
            if pinned.body is not None:
                kwargs["body"] = pinned.body
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, **kwargs))

        @settings(
            max_examples=MAX_EXAMPLES * len(strategies),
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: AnyCase) -> None:
            response = case.call(base_url=base_url, headers=auth, timeout=30)
            findings.calls += 1
            findings.statuses.setdefault(case.operation.label, set()).add(response.status_code)
            try:
                case.validate_response(response, checks=checks, headers=auth)
            except FailureGroup as group:
                for failure in group.exceptions:
                    findings.record(case, response.status_code, failure, str(group)[:3000])
            if response.status_code >= 400 and (wrong := problem_shape(response)) is not None:
                failure = NotAProblem(operation=case.operation.label, message=wrong)
                curl = case.as_curl_command(headers={"X-Api-Key": "[Filtered]"})
                findings.record(case, response.status_code, failure, f"{wrong}\n{response.text[:500]}\n{curl}")

        run()
    return findings


async def _seeded(stack: Stack, http: httpx.AsyncClient) -> tuple[schemathesis.BaseSchema, Callable[..., Any]]:
    """A studio offered online with a booking; the document; what each operation's pinned
    variant uses so that it reaches them."""
    offer = await offer_online(stack)
    created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
    assert created.status_code == 201, created.text
    booking = created.json()
    ids = {
        "type_id": offer.type_id,
        "location_id": offer.slots[0].location.removeprefix("locations/"),
        "booking_id": booking["id"],
    }
    dates = {"start_date": (offer.day - timedelta(days=1)).isoformat(), "end_date": offer.day.isoformat()}
    document = (await http.get("/docs/openapi.json")).json()

    def pinned_for(operation: AnyOperation) -> Pinned | None:
        path = operation.path
        if not path.startswith("/v1/"):
            return None
        if path.endswith("/open-slots"):
            return Pinned(path_parameters=ids, query=dates)
        if path.startswith("/v1/bookings/{booking_id}"):
            body = {"slot_id": offer.slot_id(1)} if path.endswith("/reschedule") else None
            return Pinned(path_parameters=ids, headers={"X-Booking-Token": booking["manage_token"]}, body=body)
        if path == "/v1/bookings":
            return Pinned(body=booking_body(offer.slot_id(2)))
        return Pinned(path_parameters=ids) if "{" in path else None

    return schemathesis.openapi.from_dict(document), pinned_for


async def test_no_server_error_and_bodies_match_the_document(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fuzzer sends far more than a partner's 600 requests a minute (and many with bad
    # credentials): the rate limits have tests of their own (test_gateway_hostile.py)
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE", "1000000")
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_AUTH_FAILURES_PER_MINUTE", "1000000")
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        schema, pinned_for = await _seeded(stack, http)
        checks: list[CheckFunction] = [not_a_server_error, response_schema_conformance]
        findings = await asyncio.to_thread(fuzz, schema, stack.base_url, stack.headers(), pinned_for, checks)

    assert findings.calls > 200
    # the pinned variants reached real objects, so their bodies were checked too
    assert 200 in findings.statuses["GET /v1/session-types/{type_id}"]
    assert 200 in findings.statuses["GET /v1/session-types/{type_id}/open-slots"]
    assert 200 in findings.statuses["GET /v1/locations/{location_id}"]
    assert 200 in findings.statuses["GET /v1/bookings/{booking_id}"]
    assert 201 in findings.statuses["POST /v1/bookings"]
    assert not findings.seen, findings.report()


async def test_every_status_and_content_type_answered_is_documented(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        schema, pinned_for = await _seeded(stack, http)
        checks: list[CheckFunction] = [status_code_conformance, content_type_conformance]
        findings = await asyncio.to_thread(
            fuzz, schema, stack.base_url, stack.headers(), pinned_for, checks, (GenerationMode.POSITIVE,)
        )

    assert findings.calls > 100
    documented_only = {k: v for k, v in findings.seen.items() if k[1] != NotAProblem.__name__}
    assert not documented_only, "\n\n".join(documented_only[k] for k in sorted(documented_only))
