"""Studio setup, company: read and save the company profile and its logo in scheduling, which
owns them (and announces each change to billing and the booking page)."""

from __future__ import annotations

from typing import Any

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.studio import LOGO, PROFILE
from shutterbook_console.domain.company_form import percent_of
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller


async def get_profile(up: Upstreams, caller: Caller) -> pb.CompanyProfile:
    return await up.call(up.scheduling.GetCompanyProfile, pb.GetCompanyProfileRequest(name=PROFILE), caller)


def address_values(a: pb.PostalAddress) -> dict[str, str]:
    """An address as the setup forms show it (two street lines)."""
    lines = [*a.address_lines, "", ""]
    return {
        "address_line_1": lines[0],
        "address_line_2": lines[1],
        "locality": a.locality,
        "administrative_area": a.administrative_area,
        "postal_code": a.postal_code,
        "region_code": a.region_code,
    }


def postal_address(values: dict[str, Any]) -> pb.PostalAddress:
    """The address of a setup form's parsed `values`."""
    return pb.PostalAddress(
        address_lines=values["address_lines"],
        locality=values["locality"],
        administrative_area=values["administrative_area"],
        postal_code=values["postal_code"],
        region_code=values["region_code"],
    )


def form_values(profile: pb.CompanyProfile) -> dict[str, str]:
    """The profile as the form shows it."""
    return {
        "display_name": profile.display_name,
        **address_values(profile.address),
        "phone_number": profile.phone_number,
        "email": profile.email,
        "website_uri": profile.website_uri,
        "brand_color": profile.brand_color,
        "currency_code": profile.currency_code,
        "tax_rate": percent_of(profile.default_tax_rate_bps) if profile.default_tax_rate_bps else "",
    }


async def save_profile(up: Upstreams, caller: Caller, values: dict[str, Any]) -> pb.CompanyProfile:
    """Every field of the form at once (an empty mask: every writable field)."""
    profile = pb.CompanyProfile(
        display_name=values["display_name"],
        address=postal_address(values),
        phone_number=values["phone_number"],
        email=values["email"],
        website_uri=values["website_uri"],
        brand_color=values["brand_color"],
        currency_code=values["currency_code"],
        default_tax_rate_bps=values["default_tax_rate_bps"],
    )
    request = pb.UpdateCompanyProfileRequest(company_profile=profile)
    return await up.call(up.scheduling.UpdateCompanyProfile, request, caller)


async def get_logo(up: Upstreams, caller: Caller) -> pb.CompanyLogo:
    return await up.call(up.scheduling.GetCompanyLogo, pb.GetCompanyLogoRequest(name=LOGO), caller)


async def save_logo(up: Upstreams, caller: Caller, content_type: str, data: bytes) -> None:
    logo = pb.CompanyLogo(name=LOGO, content_type=content_type, data=data)
    await up.call(up.scheduling.UpdateCompanyLogo, pb.UpdateCompanyLogoRequest(company_logo=logo), caller)


async def delete_logo(up: Upstreams, caller: Caller) -> None:
    await up.call(up.scheduling.DeleteCompanyLogo, pb.DeleteCompanyLogoRequest(name=LOGO), caller)
