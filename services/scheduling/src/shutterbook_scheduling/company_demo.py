"""The demo studio's company profile for `make run`: a name, head-office address, contact,
brand colour, currency and tax rate, and a small logo drawn here (a PNG of a lens-like ring in
the brand colour), set through scheduling's own API. A profile already named is left as the
studio set it."""

from __future__ import annotations

import struct
import zlib

import grpc

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc

BRAND = (0x1F, 0x6F, 0xEB)
PROFILE = pb.CompanyProfile(
    display_name="Shutterbook Demo Studios",
    address=pb.PostalAddress(
        address_lines=["120 Main Street", "Suite 4"],
        locality="New York",
        administrative_area="NY",
        postal_code="10001",
        region_code="US",
    ),
    phone_number="+1 212 555 0142",
    email="hello@demo-studios.example",
    website_uri="https://demo-studios.example",
    brand_color="#1F6FEB",
    currency_code="USD",
    default_tax_rate_bps=825,
)


def logo_png(size: int = 64, color: tuple[int, int, int] = BRAND) -> bytes:
    """A `size` x `size` RGBA PNG: a filled ring with a dot in the middle (a lens), transparent
    around it."""
    centre = (size - 1) / 2
    outer, inner, dot = size / 2, size * 0.34, size * 0.16
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            r = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            opaque = r <= dot or inner <= r <= outer
            rows += bytes((*color, 255)) if opaque else b"\xff\xff\xff\x00"

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


async def seed_demo_company(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> None:
    stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    current = await stub.GetCompanyProfile(pb.GetCompanyProfileRequest(name="companyProfile"), metadata=metadata)
    if current.display_name:
        return
    await stub.UpdateCompanyProfile(pb.UpdateCompanyProfileRequest(company_profile=PROFILE), metadata=metadata)
    logo = pb.CompanyLogo(name="companyProfile/logo", content_type="image/png", data=logo_png())
    await stub.UpdateCompanyLogo(pb.UpdateCompanyLogoRequest(company_logo=logo), metadata=metadata)
