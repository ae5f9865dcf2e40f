"""The studio at the top of the console's printable documents (session and photographer
confirmations, payment and deposit receipts): the company profile kept by scheduling (name,
address, contact, logo). A company without a profile prints the console's configured studio
name (CONSOLE_STUDIO_NAME) or, failing that, the location's name, as before."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.identity import Caller

PROFILE = "companyProfile"
LOGO = "companyProfile/logo"


@dataclass(frozen=True)
class Studio:
    """What a document's heading shows of the studio; empty strings when unknown."""

    name: str = ""
    address: str = ""  # one line: street lines, city, region and postal code
    contact: str = ""  # phone, email and web site, " - " between them
    logo: bytes = b""  # PNG or JPEG


def one_line(address: pb.PostalAddress) -> str:
    city = " ".join(p for p in (address.locality, address.administrative_area, address.postal_code) if p)
    return ", ".join(p for p in (*address.address_lines, city) if p)


def studio_of(profile: pb.CompanyProfile, fallback_name: str, logo: bytes = b"") -> Studio:
    if not profile.display_name:
        return Studio(name=fallback_name, logo=logo)
    contact = " - ".join(p for p in (profile.phone_number, profile.email, profile.website_uri) if p)
    return Studio(profile.display_name, one_line(profile.address), contact, logo)


async def _logo(up: Upstreams, caller: Caller) -> bytes:
    try:
        logo = await up.call(up.scheduling.GetCompanyLogo, pb.GetCompanyLogoRequest(name=LOGO), caller)
    except UpstreamError as exc:
        if exc.status == grpc.StatusCode.NOT_FOUND:  # removed since the profile was read
            return b""
        raise
    return logo.data


async def studio_for_documents(up: Upstreams, caller: Caller, fallback_name: str) -> Studio:
    """The company's profile as a heading, its logo included; a profile scheduling cannot give
    (unreachable, refused) prints the fallback name rather than no document at all."""
    try:
        profile = await up.call(up.scheduling.GetCompanyProfile, pb.GetCompanyProfileRequest(name=PROFILE), caller)
        logo = await _logo(up, caller) if profile.logo_etag else b""
    except UpstreamError:
        return Studio(name=fallback_name)
    return studio_of(profile, fallback_name, logo)


__all__ = ["Studio", "one_line", "studio_for_documents", "studio_of"]
