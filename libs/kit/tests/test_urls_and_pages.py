"""Unit tests of the kit's pure parts: database URLs, pagination, resource names, errors."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2

from shutterbook_kit.db import async_url
from shutterbook_kit.errors import InvalidArgument, NotFound, Violations
from shutterbook_kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, next_token, parse_page
from shutterbook_kit.resource_names import parse_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://app:pw@db:5432/app", "postgresql+asyncpg://app:pw@db:5432/app"),
        ("postgres://app@db/app", "postgresql+asyncpg://app@db/app"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("postgresql+asyncpg://h/d", "postgresql+asyncpg://h/d"),
    ],
)
def test_plain_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


def test_page_size_rules() -> None:
    assert parse_page(0, "").size == DEFAULT_PAGE_SIZE
    assert parse_page(MAX_PAGE_SIZE + 5, "").size == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument) as bad:
        parse_page(-1, "")
    assert [v.field for v in bad.value.violations] == ["page_size"]


def test_page_token_round_trip_and_binding_to_its_query() -> None:
    token = next_token({"after": "x"}, {"q": "smith"})
    assert parse_page(10, token, {"q": "smith"}).cursor == {"after": "x"}
    with pytest.raises(InvalidArgument) as other_query:
        parse_page(10, token, {"q": "jones"})
    assert [v.field for v in other_query.value.violations] == ["page_token"]
    with pytest.raises(InvalidArgument):
        parse_page(10, "not-a-token")
    assert next_token(None) == ""


def test_resource_names() -> None:
    uid = "2f1c0e8a-9d7b-4c57-9a51-7a0f3f0f1b11"
    assert parse_name(f"clients/{uid}", "clients") == uid
    with pytest.raises(InvalidArgument):
        parse_name(f"people/{uid}", "clients")
    with pytest.raises(InvalidArgument):
        parse_name("clients/", "clients")
    with pytest.raises(NotFound):
        parse_name("clients/42", "clients")  # cannot exist: same answer as another company's


def test_invalid_argument_carries_one_violation_per_field_and_error_info() -> None:
    v = Violations()
    v.add("client.emails[0]", "bad")
    v.add("client.given_name", "missing")
    with pytest.raises(InvalidArgument) as err:
        v.raise_if_any()
    status = err.value.to_status()
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    bad, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
    assert any(d.Unpack(bad) for d in status.details if d.Is(bad.DESCRIPTOR))
    assert any(d.Unpack(info) for d in status.details if d.Is(info.DESCRIPTOR))
    assert [f.field for f in bad.field_violations] == ["client.emails[0]", "client.given_name"]
    assert info.reason == "INVALID_ARGUMENT"
    assert info.domain == "shutterbook.dev"
    Violations().raise_if_any()  # nothing collected, nothing raised
