"""The audit trail's snapshots and field differences: exact paths and values, money in minor
units, enums by name, secrets and noise left out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook_kit.audit import diff, plain


class Colour(Enum):
    RED = "red"


def test_diff_of_plain_dicts_keeps_only_changed_fields_sorted() -> None:
    before = {"given_name": "Ann", "family_name": "Lee", "tags": ["vip"], "notes": "", "visits": 0}
    after = {"given_name": "Anna", "family_name": "Lee", "tags": ["vip", "school"], "notes": "hi", "visits": 0}
    changes = diff(before, after)
    assert list(changes) == ["given_name", "notes", "tags"]
    assert changes == {
        "given_name": {"before": "Ann", "after": "Anna"},
        "notes": {"after": "hi"},  # empty before: no key
        "tags": {"before": ["vip"], "after": ["vip", "school"]},
    }


def test_created_and_deleted_sides_and_nested_paths() -> None:
    record = {"total": {"currency_code": "USD", "amount_minor": 1999}, "status": "OPEN", "lines": []}
    assert diff(None, record) == {
        "status": {"after": "OPEN"},
        "total.amount_minor": {"after": 1999},
        "total.currency_code": {"after": "USD"},
    }
    assert diff(record, {**record, "total": {"currency_code": "USD", "amount_minor": 0}}) == {
        "total.amount_minor": {"before": 1999, "after": 0}  # zero money is a value, not "empty"
    }
    assert diff(record, record) == {}


def test_secrets_and_noise_are_never_recorded() -> None:
    changes = diff(
        {"payment_token": "tok_1", "password_hash": "x", "update_time": "a", "amount": 1},
        {"payment_token": "tok_2", "password_hash": "y", "update_time": "b", "amount": 2, "api_key": "k"},
    )
    assert changes == {"amount": {"before": 1, "after": 2}}
    assert diff({"a": 1, "b": 1}, {"a": 2, "b": 2}, ignore=frozenset({"b"})) == {"a": {"before": 1, "after": 2}}


def test_plain_values_are_json() -> None:
    assert plain({"at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "on": date(2026, 1, 2), "c": Colour.RED}) == {
        "at": "2026-01-02T03:04:00+00:00",
        "on": "2026-01-02",
        "c": "red",
    }


def test_plain_protobuf_money_as_integers_enums_by_name() -> None:
    invoice = billing_pb2.Invoice(
        name="invoices/x",
        total=money_pb2.Money(currency_code="USD", amount_minor=12345),
        status=billing_pb2.INVOICE_STATUS_PAID,
    )
    snapshot = plain(invoice)
    assert snapshot["total"] == {"currency_code": "USD", "amount_minor": 12345}
    assert isinstance(snapshot["total"]["amount_minor"], int)
    assert snapshot["status"] == "INVOICE_STATUS_PAID"
    assert "discount" not in snapshot  # an unset message is absent
    assert snapshot["lines"] == []
    voided = billing_pb2.Invoice()
    voided.CopyFrom(invoice)
    voided.status = billing_pb2.INVOICE_STATUS_VOID
    assert diff(invoice, voided) == {"status": {"before": "INVOICE_STATUS_PAID", "after": "INVOICE_STATUS_VOID"}}
