"""The client record's form as an UpdateClient: only changed fields in the mask, family rows
kept by name, removed and blank rows left out, and the clients service's paths as form fields."""

from __future__ import annotations

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook_console.domain.client_form import form_field, form_values, member_count, read_form
from shutterbook_kit.errors import InvalidArgument

MEMBER = "clients/c1/familyMembers/m1"


def _stored() -> clients_pb2.Client:
    return clients_pb2.Client(
        name="clients/c1",
        given_name="Ada",
        family_name="Byron",
        emails=["ada@example.com"],
        tags=["vip"],
        family_members=[
            clients_pb2.FamilyMember(name=MEMBER, given_name="Kai", relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD)
        ],
    )


def test_an_unchanged_form_sends_nothing_and_changes_only_what_differs() -> None:
    stored = _stored()
    values = form_values(stored)
    assert read_form(values, stored).mask == []
    values |= {"notes": "Prefers mornings", "emails": "ada@example.com\nsecond@example.com\n"}
    form = read_form(values, stored)
    assert form.mask == ["notes", "emails"]
    assert list(form.client.emails) == ["ada@example.com", "second@example.com"]


def test_family_rows_add_remove_and_keep_their_names() -> None:
    stored = _stored()
    values = form_values(stored) | {
        "fm-1-given_name": "Mia",
        "fm-1-relationship": str(clients_pb2.FAMILY_RELATIONSHIP_SPOUSE),
        "fm-1-birth_date": "1990-02-03",
        "fm-2-given_name": "",  # the blank row
    }
    form = read_form(values, stored)
    assert form.mask == ["family_members"]
    assert [(m.name, m.given_name) for m in form.client.family_members] == [(MEMBER, "Kai"), ("", "Mia")]
    assert form.client.family_members[1].birth_date.year == 1990
    assert member_count(values) == 2
    removed = read_form(values | {"fm-0-remove": "on"}, stored)
    assert [m.given_name for m in removed.client.family_members] == ["Mia"]
    assert removed.member_rows == [1]
    assert form_field("client.family_members[0].given_name", removed.member_rows) == "fm-1-given_name"


def test_paths_of_the_clients_service_name_the_form_fields() -> None:
    assert form_field("client.emails[1]", []) == "emails"
    assert form_field("client.postal_address.locality", []) == "locality"
    assert form_field("client.postal_address.address_lines[0]", []) == "address_lines"
    assert form_field("client.given_name", []) == "given_name"


def test_a_birth_date_that_is_no_date_is_refused_naming_its_row() -> None:
    values = form_values(_stored()) | {"fm-0-birth_date": "31/02/2010"}
    with pytest.raises(InvalidArgument) as refused:
        read_form(values, _stored())
    assert [v.field for v in refused.value.violations] == ["fm-0-birth_date"]
