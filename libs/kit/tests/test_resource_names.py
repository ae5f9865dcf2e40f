"""The one resource-name parser: shapes, canonical ids, and which error names which field."""

from __future__ import annotations

import uuid

import pytest

from shutterbook_kit.errors import InvalidArgument, NotFound, Violations
from shutterbook_kit.resource_names import is_canonical_uuid, name_ids, parse_name, parse_reference, resource_id

A = "2f1c0e8a-9d7b-4c57-9a51-7a0f3f0f1b11"
B = "0b7e6f3a-1111-4a4a-8a8a-0000000000ff"
NOT_CANONICAL = [A.upper(), A.replace("-", ""), f"{{{A}}}", f"urn:uuid:{A}", "42", " " + A]


def test_canonical_uuids_only() -> None:
    assert is_canonical_uuid(A)
    assert is_canonical_uuid(str(uuid.uuid4()))
    for other in NOT_CANONICAL:
        assert not is_canonical_uuid(other), other


def test_name_ids_of_flat_and_nested_names() -> None:
    assert name_ids(f"clients/{A}", "clients") == (A,)
    assert name_ids(f"clients/{A}/familyMembers/{B}", "clients", "familyMembers") == (A, B)
    for bad in (
        f"clients/{A}/familyMembers/{B}",  # nested where a flat name is wanted
        f"people/{A}",
        f"clients/{A}/",
        "clients/",
        "",
        f"clients/{A.upper()}",
    ):
        assert name_ids(bad, "clients") is None, bad
    assert name_ids(f"clients/{A}/pets/{B}", "clients", "familyMembers") is None
    assert name_ids(f"clients/{A}", "clients", "familyMembers") is None


def test_the_addressed_resource_is_invalid_argument_when_malformed_and_not_found_when_impossible() -> None:
    assert parse_name(f"clients/{A}", "clients") == A
    assert parse_name(f"clients/{A}/familyMembers/{B}", "clients", "familyMembers", field="member") == B
    for malformed in (f"people/{A}", "clients/", "", f"clients/{A}/x"):
        with pytest.raises(InvalidArgument) as bad:
            parse_name(malformed, "clients", field="client.name")
        assert [(v.field, v.description) for v in bad.value.violations] == [
            ("client.name", "must look like clients/{id}")
        ]
    for impossible in ("clients/42", f"clients/{A.upper()}"):
        with pytest.raises(NotFound):
            parse_name(impossible, "clients")  # the same answer as another company's record


def test_a_reference_is_a_violation_of_its_field_collected_with_the_others() -> None:
    v = Violations()
    assert parse_reference(f"invoices/{A}", "invoices", field="invoice", violations=v) == A
    assert parse_reference("", "sessions", field="session", violations=v, required=False) is None
    assert v.items == []
    assert parse_reference("", "clients", field="invoice.client", violations=v) is None
    assert parse_reference(f"clients/{A.upper()}", "clients", field="client", violations=v) is None
    assert parse_reference(f"sessions/{A}", "clients", field="lines[2].client", violations=v) is None
    assert [i.field for i in v.items] == ["invoice.client", "client", "lines[2].client"]
    assert v.items[0].description == "is required"


def test_resource_id_of_names_the_system_wrote() -> None:
    assert resource_id(f"locations/{A}", "locations") == A
    assert resource_id("locations/demo-1", "locations") == "demo-1"  # not validated: written by us
    for bad in ("", f"timeSlots/{A}", f"locations/{A}/x", "locations/"):
        with pytest.raises(ValueError, match="not a locations name"):
            resource_id(bad, "locations")
