"""Unit tests of the clients domain: validation, normalization and search keys (pure)."""

from __future__ import annotations

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook_clients.domain.clients import (
    CLIENT_MUTABLE_PATHS,
    ClientFields,
    normalize_phone,
    search_keys,
    validated_client,
    validated_update_mask,
)
from shutterbook_clients.domain.search import Query, normalize, term_phone_digits
from shutterbook_kit.errors import InvalidArgument, Violations


def fields_of(msg: clients_pb2.Client, client_id: str | None = None) -> ClientFields:
    return validated_client(
        given_name=msg.given_name,
        family_name=msg.family_name,
        household_name=msg.household_name,
        emails=list(msg.emails),
        phones=list(msg.phones),
        message=msg,
        client_id=client_id,
    )


def test_normalize_folds_case_accents_and_delimiters() -> None:
    assert normalize("  ZOË   Núñez|Ångström ") == "zoe nunez angstrom"
    assert normalize("Straße") == "strasse"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("(212) 555-0123", "+12125550123"), ("212.555.0123", "+12125550123"), ("+44 20 7946 0958", "+442079460958")],
)
def test_phones_are_stored_in_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["555", "12", "call me", "+1 000 000 0000"])
def test_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        normalize_phone(raw)


def test_every_bad_field_is_named_once() -> None:
    msg = clients_pb2.Client(
        emails=["a@", "ok@example.com"],
        phones=["1"],
        tags=["", "x" * 51],
        family_members=[
            clients_pb2.FamilyMember(
                given_name="Kid",
                relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD,
                birth_date=date_pb2.Date(year=2020, month=2, day=30),
            )
        ],
    )
    with pytest.raises(InvalidArgument) as err:
        fields_of(msg)
    assert [v.field for v in err.value.violations] == [
        "client.given_name",
        "client.emails[0]",
        "client.phones[0]",
        "client.tags[0]",
        "client.tags[1]",
        "client.family_members[0].birth_date",
    ]


def test_member_names_must_belong_to_the_client() -> None:
    cid = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
    other = "0b7e6f3a-2222-4b4b-8b8b-00000000000b"
    member = clients_pb2.FamilyMember(
        name=f"clients/{other}/familyMembers/{cid}", given_name="A", relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD
    )
    with pytest.raises(InvalidArgument) as err:
        fields_of(clients_pb2.Client(given_name="P", family_members=[member]), client_id=cid)
    assert [v.field for v in err.value.violations] == ["client.family_members[0].name"]


def test_search_keys_are_delimited_lowercase_ascii() -> None:
    fields = validated_client(
        given_name="Renée",
        family_name="Dubois",
        household_name="",
        emails=["Renee@Example.COM", "renee@example.com"],
        phones=["(415) 555-0199"],
        message=clients_pb2.Client(
            tags=["VIP", "vip"],
            family_members=[
                clients_pb2.FamilyMember(given_name="Léo", relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD)
            ],
        ),
    )
    assert fields.emails == ("Renee@example.com",)  # one address, domain lowercased
    keys = search_keys(fields)
    assert keys.name_key == "|renee dubois|leo dubois|"
    assert keys.email_key == "|renee@example.com|"
    assert keys.phone_key == "|14155550199|4155550199|"
    assert keys.primary_email_key == "renee@example.com"
    assert keys.tags_key == "|vip|"
    assert keys.sort_key == "dubois renee"


def test_query_terms_and_phone_fragments() -> None:
    q = Query.parse("  Anna   ANNA o'Brien ")
    assert q.terms == ("anna", "o'brien")
    assert q.phone_digits == ""
    assert Query.parse("(415) 555-0199").phone_digits == "4155550199"
    assert term_phone_digits("555-01") == "55501"
    assert term_phone_digits("12") == ""
    assert term_phone_digits("a12345") == ""


def test_update_mask_names_each_unknown_path() -> None:
    v = Violations()
    assert validated_update_mask([], CLIENT_MUTABLE_PATHS, v) == CLIENT_MUTABLE_PATHS
    assert validated_update_mask(["notes", "name", "notes"], CLIENT_MUTABLE_PATHS, v) == ("notes", "name")
    assert [x.field for x in v.items] == ["update_mask.paths[1]"]
