"""Hostile requests at the gateway (issue 20): each is a clear 4xx problem body, never a 500,
and the process stays small. The gateway runs as its own process where its memory or its
connections are measured."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, rpc_violations
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key, split_key
from shutterbook_kit.db import Database
from tests.gateway_process_support import gateway_process, send_chunked, send_raw
from tests.helpers import COMPANY_A, clients_and_scheduling, gateway
from tests.stack_support import booking_body, booking_stack, offer_online

PROBLEM = "application/problem+json"
NO_UPSTREAMS = {"clients": "127.0.0.1:1", "scheduling": "127.0.0.1:1", "billing": "127.0.0.1:1"}


async def _gateway_db_and_key(databases: DatabaseFactory) -> tuple[str, str]:
    url = await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    db = Database(url)
    try:
        return url, await issue_key(db, COMPANY_A, "hostile test")
    finally:
        await db.dispose()


async def test_a_huge_chunked_body_with_an_idempotency_key_is_refused_before_it_is_buffered(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    url, key = await _gateway_db_and_key(sqlite_databases)
    async with gateway_process(url, NO_UPSTREAMS, tmp_path / "gateway.log") as gw:
        async with httpx.AsyncClient(base_url=gw.base_url) as http:
            for _ in range(3):  # warm up: imports, the database pool, the first problem body
                await http.post("/v1/clients", headers={"X-Api-Key": key}, json={"given_name": 7})
        before = gw.rss_bytes()
        headers = {"X-Api-Key": key, "Idempotency-Key": "huge-1", "Content-Type": "application/json"}
        response, sent = await send_chunked(gw.port, "/v1/clients", headers, total_bytes=300 << 20, seconds=60)
        after = gw.rss_bytes()
        assert response is not None, f"no answer after {sent} bytes"
        assert response.status == 413
        assert response.headers["content-type"].startswith(PROBLEM)
        problem = response.json()
        assert isinstance(problem, dict)
        assert problem["code"] == "BODY_TOO_LARGE"
        assert sent < 300 << 20  # answered long before the whole body was sent
        assert after - before < 50 << 20, f"gateway RSS grew by {(after - before) >> 20} MB"

        head = (
            f"POST /v1/clients HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {key}\r\nIdempotency-Key: huge-2\r\n"
            f"Content-Type: application/json\r\nContent-Length: {300 << 20}\r\n\r\n"
        )
        declared = await send_raw(gw.port, head.encode() + b'{"given_name": "')
        assert declared.status == 413  # refused on its declared length, before a byte of it is read
        assert declared.headers["content-type"].startswith(PROBLEM)
        refused = declared.json()
        assert isinstance(refused, dict)
        assert refused["code"] == "BODY_TOO_LARGE"
        async with httpx.AsyncClient(base_url=gw.base_url) as http:
            assert (await http.get("/healthz")).status_code == 200


async def test_connections_sending_headers_slowly_are_closed(sqlite_databases: DatabaseFactory, tmp_path: Path) -> None:
    url, _ = await _gateway_db_and_key(sqlite_databases)
    env = {"SHUTTERBOOK_GATEWAY_HEADER_TIMEOUT_SECONDS": "1", "SHUTTERBOOK_GATEWAY_MAX_CONNECTIONS": "200"}
    async with gateway_process(url, NO_UPSTREAMS, tmp_path / "gateway.log", **env) as gw:
        conns = [await asyncio.open_connection("127.0.0.1", gw.port) for _ in range(50)]
        for _, writer in conns:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed: set[int] = set()
        for tick in range(40):  # one header line every 0.25 s, at most 10 s in all
            for i, (reader, writer) in enumerate(conns):
                if i in closed:
                    continue
                if reader.at_eof():
                    closed.add(i)
                    continue
                try:
                    writer.write(f"X-Slow-{tick}: 1\r\n".encode())
                    await writer.drain()
                except (ConnectionError, OSError):
                    closed.add(i)
            if len(closed) == len(conns):
                break
            await asyncio.sleep(0.25)
            for i, (reader, _) in enumerate(conns):
                if i not in closed and reader.at_eof():
                    closed.add(i)
        for _, writer in conns:
            writer.close()
        assert len(closed) == len(conns), f"{len(conns) - len(closed)} slow connections still open"
        async with httpx.AsyncClient(base_url=gw.base_url) as http:
            assert (await http.get("/healthz")).status_code == 200


INTERNALS = ("grpc", "Received message", "metadata size", "StatusCode", "Traceback", "larger than max")


def _assert_clean_problem(response: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    assert len(response.content) < 4000
    for word in INTERNALS:
        assert word.lower() not in response.text.lower(), response.text[:500]
    body = response.json()
    assert isinstance(body, dict)
    return body


async def test_malformed_json_bodies_are_400_problems_naming_the_body(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        deep = b'{"slot_id": ' + b"[" * 1000 + b"]" * 1000 + b"}"
        invalid_utf8 = b'{"given_name": "Ad\xff\xfea"}'
        for path, body in (("/v1/bookings", deep), ("/v1/clients", invalid_utf8), ("/v1/clients", b"[" * 100_000)):
            for extra in ({}, {"Idempotency-Key": f"bad-{len(body)}-{path}"}):
                response = await http.post(
                    path, content=body, headers=stack.headers(**extra, **{"Content-Type": "application/json"})
                )
                problem = _assert_clean_problem(response, 400)
                assert problem["code"] == "INVALID_REQUEST"
                assert problem["errors"] == [{"field": "body", "detail": problem["errors"][0]["detail"]}]


async def test_out_of_range_dates_oversized_values_and_ids_are_clean_4xx(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        today = date.today()
        slots_path = f"/v1/session-types/{offer.type_id}/open-slots"
        for first, last, field in (
            ("9999-12-30", "9999-12-31", "start_date"),
            ("0001-01-01", "0001-01-02", "start_date"),
            (str(today + timedelta(days=5000)), str(today + timedelta(days=5001)), "start_date"),
            (str(today), "9999-12-31", "end_date"),
        ):
            response = await http.get(
                slots_path, params={"start_date": first, "end_date": last}, headers=stack.headers()
            )
            problem = _assert_clean_problem(response, 422)
            assert field in [e["field"] for e in problem["errors"]], problem

        big_email = "a" * (900 * 1024) + "@example.com"
        response = await http.post(
            "/v1/clients", json={"given_name": "A", "emails": [big_email]}, headers=stack.headers()
        )
        problem = _assert_clean_problem(response, 400)
        assert problem["errors"][0]["field"] == "emails[0]"

        huge = {"given_name": "A", "emails": ["a" * (5 << 20) + "@example.com"]}
        _assert_clean_problem(await http.post("/v1/clients", json=huge, headers=stack.headers()), 413)
        _assert_clean_problem(
            await http.post(
                "/v1/bookings", json=booking_body(offer.slot_id(0), "b" * (5 << 20) + "@x.io"), headers=stack.headers()
            ),
            413,
        )

        long_id = "x" * 8000
        for path in (
            f"/v1/locations/{long_id}",
            f"/v1/session-types/{long_id}",
            f"/v1/appointment-types/{long_id}",
            f"/v1/session-types/{long_id}/open-slots?start_date={today}&end_date={today}",
            f"/v1/bookings/{long_id}",
        ):
            response = await http.get(path, headers=stack.headers(**{"X-Booking-Token": "t"}))
            _assert_clean_problem(response, (400, 404))
        response = await http.post(f"/v1/bookings/{long_id}/cancel", headers=stack.headers(**{"X-Booking-Token": "t"}))
        _assert_clean_problem(response, (400, 404))


async def test_services_bound_what_they_echo_into_grpc_errors(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as s:
        meta = company_metadata(COMPANY_A)
        name = "clients/" + "x" * 100_000
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await s.clients.GetClient(clients_pb2.GetClientRequest(name=name), metadata=meta)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert len(caught.value.details() or "") <= 300
        email = "a" * 1_000_000 + "@example.com"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await s.clients.CreateClient(
                clients_pb2.CreateClientRequest(client=clients_pb2.Client(given_name="A", emails=[email])),
                metadata=meta,
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert len(caught.value.details() or "") <= 300
        assert all(len(d) <= 300 for d in rpc_violations(caught.value).values())


def _from(address: str, base_url: str) -> httpx.AsyncClient:
    """A client whose connections come from this loopback address (the gateway sees it as the peer)."""
    return httpx.AsyncClient(base_url=base_url, transport=httpx.AsyncHTTPTransport(local_address=address), timeout=30)


async def _statuses(
    http: httpx.AsyncClient, count: int, headers: dict[str, str] | None = None, *, each: dict[str, str] | None = None
) -> list[int]:
    out = []
    for i in range(count):
        extra = {name: value.format(i=i) for name, value in (each or {}).items()}
        out.append((await http.get("/v1/locations", headers={**(headers or {}), **extra})).status_code)
    return out


async def test_rate_limits_count_verified_keys_per_key_and_failures_per_address(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE", "6")
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_AUTH_FAILURES_PER_MINUTE", "4")
    url, key = await _gateway_db_and_key(sqlite_databases)
    parsed = split_key(key)
    assert parsed is not None
    key_id = parsed[0]
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as s:
        upstreams = {
            **NO_UPSTREAMS,
            "clients": f"127.0.0.1:{s.clients_port}",
            "scheduling": f"127.0.0.1:{s.scheduling_port}",
        }
        async with gateway(url, upstreams) as base_url:
            async with _from("127.0.0.2", base_url) as attacker, _from("127.0.0.3", base_url) as owner:
                # a wrong secret with the real key's id: 401, then 429 for that address only
                wrong = await _statuses(attacker, 10, {"X-Api-Key": f"sbk_{key_id}_wrong-secret"})
                assert wrong == [401] * 4 + [429] * 6
                limited = await attacker.get("/v1/locations", headers={"X-Api-Key": "sbk_x_y"})
                assert limited.headers["content-type"].startswith(PROBLEM)
                assert limited.json()["code"] == "RATE_LIMITED"
                assert 1 <= int(limited.headers["retry-after"]) <= 60
                # ... and the real key still has its whole budget, even from the throttled address
                assert await _statuses(owner, 5, {"X-Api-Key": key}) == [200] * 5
                assert await _statuses(attacker, 2, {"X-Api-Key": key}) == [200, 429]

            async with _from("127.0.0.4", base_url) as scanner, _from("127.0.0.5", base_url) as bystander:
                # random key ids (and no key at all) are throttled per address
                assert await _statuses(scanner, 6, each={"X-Api-Key": "sbk_{i}scan_secret"}) == [401] * 4 + [429] * 2
                assert await _statuses(bystander, 2) == [401, 401]
                # a forged X-Forwarded-For from a peer that is no configured proxy changes nothing
                forged = await _statuses(bystander, 4, each={"X-Forwarded-For": "198.51.100.{i}"})
                assert forged == [401, 401, 429, 429]


async def test_forwarded_for_is_believed_only_from_configured_proxies(
    sqlite_databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_AUTH_FAILURES_PER_MINUTE", "3")
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_TRUSTED_PROXIES", "127.0.0.9, 10.0.0.0/8")
    url, _ = await _gateway_db_and_key(sqlite_databases)
    async with (
        gateway(url, NO_UPSTREAMS) as base_url,
        _from("127.0.0.9", base_url) as proxy,
        _from("127.0.0.6", base_url) as direct,
    ):
        # through the proxy, each client has its own budget
        assert await _statuses(proxy, 4, {"X-Forwarded-For": "203.0.113.1"}) == [401] * 3 + [429]
        assert await _statuses(proxy, 1, {"X-Forwarded-For": "203.0.113.2"}) == [401]
        # a client rotating its own X-Forwarded-For through the proxy: the proxy appends the
        # real address (and inner proxies are skipped), so it stays one client
        rotating = await _statuses(proxy, 3, each={"X-Forwarded-For": "192.0.2.{i}, 203.0.113.2, 10.1.2.3"})
        assert rotating == [401, 401, 429]
        # straight to the gateway, the header is the client's say and is ignored
        assert await _statuses(direct, 4, each={"X-Forwarded-For": "203.0.113.{i}"}) == [401] * 3 + [429]


async def test_links_come_from_the_configured_public_address_never_the_host_header(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUTTERBOOK_GATEWAY_PUBLIC_BASE_URL", "https://book.studio.example/")
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
        types = (await http.get("/v1/session-types", headers=stack.headers(**evil))).json()["types"]
        assert types[0]["booking_url"] == f"https://book.studio.example/book/session-types/{offer.type_id}"
        one = (await http.get(f"/v1/session-types/{offer.type_id}", headers=stack.headers(**evil))).json()
        assert one["booking_url"] == types[0]["booking_url"]
        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers(**evil))
        assert created.status_code == 201, created.text
        booking = created.json()
        assert booking["manage_url"] == (
            f"https://book.studio.example/book/manage/{booking['id']}#token={booking['manage_token']}"
        )
        assert "evil" not in created.text


async def test_the_openapi_document_says_what_the_gateway_does(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        spec = (await http.get("/docs/openapi.json")).json()
        assert "security" not in spec or spec["security"] in ([], [{}])
        paths = spec["paths"]
        for health in ("/healthz", "/readyz"):
            assert not paths[health]["get"].get("security"), health
        create = paths["/v1/bookings"]["post"]
        assert create["security"] == [{"ApiKey": []}]
        assert paths["/v1/locations"]["get"]["security"] == [{"ApiKey": []}]
        assert {"405", "413", "429"} <= set(create["responses"])
        assert {"405", "429"} <= set(paths["/v1/locations"]["get"]["responses"])
        assert "BOOKING_NOT_COMPLETED" in create["description"]
        [idem] = [p for p in create["parameters"] if p["name"] == "Idempotency-Key"]
        assert idem["schema"]["minLength"] == 1

        # an empty Idempotency-Key is refused, as the document says
        offer = await offer_online(stack)
        empty = await http.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers(**{"Idempotency-Key": ""})
        )
        assert empty.status_code == 400
        assert empty.json()["errors"][0]["field"] == "Idempotency-Key"
        # the wrong method is a 405 problem
        wrong = await http.delete("/v1/bookings", headers=stack.headers())
        assert wrong.status_code == 405
        assert wrong.headers["content-type"].startswith(PROBLEM)
        assert wrong.json()["code"] == "METHOD_NOT_ALLOWED"

        # the same JSON written otherwise is the same request: the first answer again
        keyed = stack.headers(**{"Idempotency-Key": "same-json", "Content-Type": "application/json"})
        body = booking_body(offer.slot_id(1), "same@example.com")
        first = await http.post("/v1/bookings", content=json.dumps(body), headers=keyed)
        assert first.status_code == 201, first.text
        reordered = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
        again = await http.post("/v1/bookings", content=reordered, headers=keyed)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        other = await http.post("/v1/bookings", json={**body, "notes": "other"}, headers=keyed)
        assert other.status_code == 422
        assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
