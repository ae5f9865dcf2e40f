"""The printable session confirmation, read back from the PDF: the studio, the location and its
address, the session number, the client, the local times in the location's zone; with an
invoice its lines, tax and balance; without one it still prints. No internal id anywhere."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from pypdf import PdfReader

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.confirmation import render, render_photographer
from shutterbook_console.application.studio import Studio, studio_of


def _ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _usd(minor: int) -> money_pb2.Money:
    return money_pb2.Money(amount_minor=minor, currency_code="USD")


SESSION = pb.Session(
    name="sessions/0b8a4c3e-1f2d-4e5a-9c7b-6d5e4f3a2b10",
    client="clients/7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    location="locations/11111111-2222-4333-8444-555555555555",
    session_number="1042",
    start_time=_ts(datetime(2026, 12, 7, 17, 0, tzinfo=UTC)),  # 09:00 in Los Angeles
    end_time=_ts(datetime(2026, 12, 7, 18, 0, tzinfo=UTC)),
    time_zone="America/Los_Angeles",
)
LOCATION = pb.Location(
    name=SESSION.location,
    display_name="Bayside Studio",
    time_zone="America/Los_Angeles",
    address=pb.PostalAddress(address_lines=["12 Harbor Road"], locality="San Diego", administrative_area="CA"),
)


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_confirmation_reads_as_a_customer_needs_it() -> None:
    invoice = bpb.Invoice(
        invoice_number="INV-000007",
        currency_code="USD",
        lines=[
            bpb.InvoiceLine(
                description="Family Session Fee", quantity=1, unit_price=_usd(15000), tax=_usd(1238), total=_usd(16238)
            )
        ],
        subtotal=_usd(15000),
        tax=_usd(1238),
        total=_usd(16238),
        amount_paid=_usd(5000),
        balance=_usd(11238),
    )
    text = _text(render(Studio("Sunny Studios"), SESSION, LOCATION, "Ada Lovelace", "Family Portrait", invoice))
    for expected in (
        "Sunny Studios",
        "Bayside Studio",
        "12 Harbor Road",
        "1042",
        "Ada Lovelace",
        "Family Portrait",
        "9:00 AM to 10:00 AM",
        "America/Los_Angeles",
        "Family Session Fee",
        "12.38 USD",
        "Balance due",
        "112.38 USD",
    ):
        assert expected in text, expected
    for internal in ("sessions/", "clients/", "locations/"):
        assert internal not in text


def test_it_prints_without_an_invoice() -> None:
    text = _text(render(Studio("Sunny Studios"), SESSION, LOCATION, "Ada Lovelace", "Family Portrait", None))
    assert "1042" in text
    assert "No invoice yet." in text
    assert "Balance due" not in text


def test_the_photographer_confirmation_names_the_crew_and_no_money() -> None:
    client = pb.KnownClient(display_name="Ada Lovelace", primary_email="ada@example.com")
    crew = {"Photographer": "John Doe (Bayside)", "Camera room": "Camera room (Bayside)"}
    text = _text(render_photographer(Studio("Sunny Studios"), SESSION, LOCATION, client, "Family Portrait", crew))
    for expected in (
        "Photographer confirmation",
        "1042",
        "John Doe (Bayside)",
        "Camera room (Bayside)",
        "ada@example.com",
    ):
        assert expected in text, expected
    assert "9:00 AM to 10:00 AM" in text
    assert "USD" not in text
    assert "clients/" not in text


def _png() -> bytes:
    """A real 4x4 PNG (a blue square)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x1f\x6f\xeb" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_the_company_profile_heads_the_confirmation() -> None:
    profile = pb.CompanyProfile(
        display_name="Lakeside Portrait Co.",
        address=pb.PostalAddress(
            address_lines=["9 Harbor Road"], locality="Portland", administrative_area="ME", postal_code="04101"
        ),
        phone_number="+1 207 555 0100",
        email="hello@lakeside.example",
    )
    content = render(studio_of(profile, "Console Name", _png()), SESSION, LOCATION, "Ada Lovelace", "Family", None)
    reader = PdfReader(io.BytesIO(content))
    text = reader.pages[0].extract_text()
    for expected in (
        "Lakeside Portrait Co.",
        "9 Harbor Road, Portland ME 04101",
        "+1 207 555 0100 - hello@lakeside.example",
        LOCATION.display_name,  # the location still says where the session is
    ):
        assert expected in text, expected
    assert "Console Name" not in text  # the profile's name wins over the console's setting
    assert len(reader.pages[0].images) == 1  # the logo


def test_without_a_profile_the_console_name_or_the_location_heads_it() -> None:
    text = _text(render(studio_of(pb.CompanyProfile(), "Console Name"), SESSION, LOCATION, "Ada", "Family", None))
    assert text.splitlines()[0] == "Console Name"
    text = _text(render(studio_of(pb.CompanyProfile(), ""), SESSION, LOCATION, "Ada", "Family", None))
    assert text.splitlines()[0] == LOCATION.display_name


def test_a_logo_that_does_not_decode_is_left_out_not_fatal() -> None:
    # scheduling checks a logo's signature, not every byte: a truncated PNG can be stored
    broken = Studio("Lakeside Portrait Co.", logo=b"\x89PNG\r\n\x1a\n" + b"truncated")
    reader = PdfReader(io.BytesIO(render(broken, SESSION, LOCATION, "Ada", "Family", None)))
    assert reader.pages[0].extract_text().startswith("Lakeside Portrait Co.")
    assert len(reader.pages[0].images) == 0
