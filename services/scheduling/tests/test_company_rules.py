"""The company aggregate's rules, pure (no database, no server): the profile's validation,
update masks, normalization and audit snapshot; the preferences'; the logo's and marketing
images' upload rules; and the API edge's mask reading and names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import audit
from shutterbook_kit.errors import InvalidArgument, NotFound
from shutterbook_kit.masks import mask_paths
from shutterbook_scheduling.api import company_convert
from shutterbook_scheduling.domain import company
from shutterbook_scheduling.domain.company import CompanyFields, CompanyProfile, SchedulingPreferences
from shutterbook_scheduling.domain.marketing_images import image_problems

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff" + b"\0" * 16
WEBP = b"RIFF\0\0\0\0WEBP" + b"\0" * 8
TYPE_ID = "0b7e6f3a-3333-4c4c-8c8c-00000000000c"
AT = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

VALID = CompanyFields(
    display_name="Lakeside Portrait Co.",
    address_lines=("9 Harbor Road", "Suite 4"),
    locality="Portland",
    administrative_area="ME",
    postal_code="04101",
    region_code="US",
    phone_number="+1 207 555 0100",
    email="hello@lakeside.example",
    website_uri="https://lakeside.example",
    brand_color="#1f6feb",
    currency_code="USD",
    default_tax_rate_bps=825,
)


def violations(err: pytest.ExceptionInfo[InvalidArgument]) -> list[tuple[str, str]]:
    return [(v.field, v.description) for v in err.value.violations]


# --- the profile ---


def test_a_valid_profile_and_an_empty_one_have_no_problems() -> None:
    assert company.profile_problems(VALID) == {}
    assert company.profile_problems(CompanyFields()) == {}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"display_name": "x" * 121}, "display_name"),
        ({"display_name": "tab\there"}, "display_name"),
        ({"address_lines": ("a", "b", "c", "d", "e")}, "address.address_lines"),
        ({"address_lines": ("ok", "new\nline")}, "address.address_lines[1]"),
        ({"locality": "x" * 81}, "address.locality"),
        ({"postal_code": "\x00"}, "address.postal_code"),
        ({"region_code": "USA"}, "address.region_code"),
        ({"region_code": "us"}, "address.region_code"),
        ({"phone_number": "call me maybe"}, "phone_number"),
        ({"email": "not an address"}, "email"),
        ({"website_uri": "javascript:alert(1)"}, "website_uri"),
        ({"brand_color": "blue"}, "brand_color"),
        ({"currency_code": "usd"}, "currency_code"),
        ({"default_tax_rate_bps": 10_001}, "default_tax_rate_bps"),
        ({"default_tax_rate_bps": -1}, "default_tax_rate_bps"),
    ],
)
def test_each_bad_field_is_named_by_its_path(change: dict[str, object], path: str) -> None:
    assert list(company.profile_problems(replace(VALID, **change))) == [path]  # type: ignore[arg-type]


def test_a_name_of_spaces_only_is_refused() -> None:
    assert company.profile_problems(replace(VALID, display_name="   ")) == {"display_name": "must not be only spaces"}


def test_a_mask_takes_only_the_fields_it_names() -> None:
    incoming = CompanyFields(display_name="Other", locality="Bangor", address_lines=("1 Main",), brand_color="#000000")
    assert company.merged_fields(VALID, incoming, ["brand_color"]) == replace(VALID, brand_color="#000000")
    assert company.merged_fields(VALID, incoming, ["address.locality"]) == replace(VALID, locality="Bangor")
    whole_address = company.merged_fields(VALID, incoming, ["address"])
    assert whole_address == replace(
        VALID, address_lines=("1 Main",), locality="Bangor", administrative_area="", postal_code="", region_code=""
    )
    assert company.merged_fields(VALID, incoming, []) == VALID


@pytest.mark.parametrize("path", ["locality", "name", "logo_etag", "address.nope", "nope"])
def test_a_path_that_is_no_writable_field_is_a_programming_error(path: str) -> None:
    with pytest.raises(ValueError, match=path):
        company.merged_fields(VALID, VALID, [path])


def test_stored_fields_are_trimmed_and_spelled_one_way() -> None:
    given = replace(
        VALID,
        display_name="  Lakeside  ",
        address_lines=(" 9 Harbor Road ", "", "   "),
        locality=" Portland ",
        phone_number=" +1 207 ",
        brand_color="#1f6feb",
    )
    stored = company.normalized_fields(given)
    assert stored == replace(
        given,
        display_name="Lakeside",
        address_lines=("9 Harbor Road",),
        locality="Portland",
        phone_number="+1 207",
        brand_color="#1F6FEB",
    )
    assert company.normalized_fields(stored) == stored


def _profile(fields: CompanyFields, logo_etag: str = "") -> CompanyProfile:
    return CompanyProfile(fields, logo_etag, "image/png" if logo_etag else "", AT)


def test_the_audit_snapshot_records_what_the_message_recorded() -> None:
    """The audit trail is given dicts now (it was given CompanyProfile messages): the same
    differences, for changes of every kind of field."""
    before = _profile(VALID, logo_etag="e1")
    for after in (
        _profile(replace(VALID, brand_color="#2E7D32", address_lines=("1 Main",), region_code="")),
        _profile(CompanyFields(default_tax_rate_bps=0)),
        _profile(replace(VALID, display_name="Renamed"), logo_etag="e2"),
        before,
    ):
        as_messages = audit.diff(company_convert.profile_message(before), company_convert.profile_message(after))
        as_dicts = audit.diff(company.profile_snapshot(before), company.profile_snapshot(after))
        assert as_dicts == as_messages
    plain = audit.plain(company_convert.profile_message(before))
    del plain["update_time"]
    assert audit.plain(company.profile_snapshot(before)) == plain


# --- the preferences ---


def test_preferences_rules() -> None:
    defaults = SchedulingPreferences()
    assert (defaults.next_session_number, defaults.session_number_prefix) == (1000, "")
    assert company.preferences_problems(defaults) == {}
    assert company.preferences_problems(SchedulingPreferences(10**15 - 1, "x" * 20)) == {}
    assert company.preferences_problems(SchedulingPreferences(-1, "x" * 21)) == {
        "next_session_number": "must be 0 to 10^15",
        "session_number_prefix": "must be at most 20 printable characters",
    }
    assert list(company.preferences_problems(SchedulingPreferences(10**15, "S-\n"))) == [
        "next_session_number",
        "session_number_prefix",
    ]


def test_a_preferences_mask_takes_only_the_fields_it_names() -> None:
    incoming = SchedulingPreferences(7, "Q")
    assert company.merged_preferences(SchedulingPreferences(), incoming, ["next_session_number"]) == (
        SchedulingPreferences(7, "")
    )
    assert company.merged_preferences(SchedulingPreferences(), incoming, []) == SchedulingPreferences()
    with pytest.raises(ValueError, match="name"):
        company.merged_preferences(SchedulingPreferences(), incoming, ["name"])


# --- uploads ---


def test_a_logo_is_a_small_png_or_jpeg_of_the_format_it_claims() -> None:
    assert company.logo_problems("image/png", PNG) == {}
    assert company.logo_problems("image/jpeg", JPEG) == {}
    assert company.logo_problems("image/webp", WEBP) == {"content_type": "must be image/png or image/jpeg"}
    assert company.logo_problems("image/jpeg", PNG) == {"data": "is not a JPEG image"}
    assert company.logo_problems("image/png", b"") == {"data": "is required"}
    assert company.logo_problems("image/png", PNG + b"\0" * 256 * 1024) == {"data": "must be at most 256 KiB"}


def test_a_marketing_image_may_also_be_webp_and_larger() -> None:
    assert image_problems("image/webp", WEBP) == {}
    assert image_problems("image/png", PNG + b"\0" * 256 * 1024) == {}
    assert image_problems("image/png", PNG + b"\0" * 2 * 1024 * 1024) == {"data": "must be at most 2 MiB"}
    assert image_problems("image/svg+xml", PNG) == {"content_type": "must be image/jpeg, image/png or image/webp"}
    assert image_problems("image/webp", b"RIFF\0\0\0\0WAVE") == {"data": "is not a WEBP image"}


# --- the API edge ---


def test_an_empty_mask_means_every_writable_field() -> None:
    paths = mask_paths(
        pb.CompanyProfile.DESCRIPTOR, field_mask_pb2.FieldMask(), output_only=company_convert.PROFILE_OUTPUT_ONLY
    )
    assert paths == [
        "display_name",
        "address",
        "phone_number",
        "email",
        "website_uri",
        "brand_color",
        "currency_code",
        "default_tax_rate_bps",
    ]
    assert company.merged_fields(CompanyFields(), VALID, paths) == VALID


def test_a_mask_naming_no_field_or_an_output_only_one_is_refused() -> None:
    mask = field_mask_pb2.FieldMask(paths=["address.nope", "logo_etag", "update_time.seconds", "address.locality"])
    with pytest.raises(InvalidArgument) as refused:
        mask_paths(pb.CompanyProfile.DESCRIPTOR, mask, output_only=company_convert.PROFILE_OUTPUT_ONLY)
    assert violations(refused) == [
        ("update_mask", "address.nope is not a field of CompanyProfile"),
        ("update_mask", "logo_etag cannot be updated"),
        ("update_mask", "update_time.seconds cannot be updated"),
    ]


def test_a_marketing_image_is_named_under_its_type() -> None:
    session = company_convert.image_type(f"sessionTypes/{TYPE_ID}/marketingImage", "name")
    assert (session.kind, session.type_id, session.name) == ("session", TYPE_ID, f"sessionTypes/{TYPE_ID}")
    assert session.image_name == f"sessionTypes/{TYPE_ID}/marketingImage"
    appointment = company_convert.image_type(f"appointmentTypes/{TYPE_ID}/marketingImage", "name")
    assert (appointment.kind, appointment.name) == ("appointment", f"appointmentTypes/{TYPE_ID}")
    with pytest.raises(InvalidArgument) as refused:
        company_convert.image_type(f"sessionTypes/{TYPE_ID}", "marketing_image.name")
    assert [field for field, _ in violations(refused)] == ["marketing_image.name"]
    with pytest.raises(NotFound):
        company_convert.image_type("sessionTypes/not-a-uuid/marketingImage", "name")


def test_a_never_saved_profile_is_its_name_alone() -> None:
    assert company_convert.profile_message(None) == pb.CompanyProfile(name="companyProfile")
    saved = company_convert.profile_message(_profile(CompanyFields()))
    assert saved.HasField("address")
    assert saved.HasField("update_time")
