"""The client record's form as an UpdateClient: only changed fields in the mask, family rows
kept by name, removed and blank rows left out, and the clients service's paths as form fields."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook_console.domain.client_form import (
    NewClient,
    Relative,
    client_details,
    form_field,
    form_values,
    member_count,
    read_birth_date,
    read_form,
)
from shutterbook_kit.errors import FieldViolation, InvalidArgument

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


def test_a_birth_date_is_a_date_and_not_in_the_future_anywhere() -> None:
    # 30 November 2026, 11:00 UTC: already 1 December at UTC+14, not yet 2 December anywhere
    now = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    wrong: list[FieldViolation] = []
    assert read_birth_date("2019-05-04", "f", wrong, now) == date(2019, 5, 4)
    assert read_birth_date("2026-12-01", "f", wrong, now) == date(2026, 12, 1)  # born today in Kiribati
    assert read_birth_date("", "f", wrong, now) is None
    assert wrong == []
    assert read_birth_date("2026-12-02", "family_members[0].birth_date", wrong, now) is None
    assert read_birth_date("4 May", "fm-1-birth_date", wrong, now) is None
    assert [(w.field, w.description) for w in wrong] == [
        ("family_members[0].birth_date", "a birth date, not in the future"),
        ("fm-1-birth_date", "a date, YYYY-MM-DD"),
    ]


def test_the_wizard_screen_sets_clears_or_keeps_a_members_birth_date() -> None:
    stored = _stored()
    stored.family_members[0].birth_date.CopyFrom(date_pb2.Date(year=2018, month=3, day=1))
    name = stored.family_members[0].name
    kept = client_details(NewClient(family=(Relative("Tom", name=name),)), stored)
    assert kept.family_members[0].birth_date == stored.family_members[0].birth_date  # an older page: kept
    cleared = client_details(NewClient(family=(Relative("Tom", name=name, birth_date_sent=True),)), stored)
    assert not cleared.family_members[0].HasField("birth_date")
    typed = Relative("Tom", name=name, birth_date=date(2020, 2, 29), birth_date_sent=True)
    changed = client_details(NewClient(family=(typed,)), stored).family_members[0].birth_date
    assert (changed.year, changed.month, changed.day) == (2020, 2, 29)
