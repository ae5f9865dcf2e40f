"""The company aggregate at the API edge: request messages to domain objects (domain/company.py,
domain/marketing_images.py) and update masks to plain lists of paths; domain objects to
response messages. One converter module for the aggregate (profile, logo, preferences, the
types' marketing images).

The `scheduling.company.changed` event is a protobuf message too, so it is built here:
`announce_change` is passed down to the changing use cases (application/company.py's
`Announce`), which call it inside their unit of work once the change is made; it builds the
event and emits it there, in the change's transaction."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_kit.masks import mask_paths
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.proto_values import ts
from shutterbook_scheduling.application.setup import APPOINTMENT_TYPES, SESSION_TYPES
from shutterbook_scheduling.domain.company import (
    LOGO_NAME,
    PREFERENCES_NAME,
    PROFILE_NAME,
    Company,
    CompanyFields,
    CompanyLogo,
    CompanyProfile,
    SchedulingPreferences,
)
from shutterbook_scheduling.domain.marketing_images import IMAGE_SUFFIX, BookingTypeRef, MarketingImage

PROFILE_OUTPUT_ONLY = frozenset({"name", "logo_etag", "logo_content_type", "update_time"})


def check_name(name: str, expected: str, field: str) -> None:
    """A singleton's name must be exactly its one name (INVALID_ARGUMENT on `field`)."""
    if name != expected:
        v = Violations()
        v.add(field, f"must be {expected}")
        v.raise_if_any()


# --- the profile ---


def profile_fields(msg: pb.CompanyProfile) -> CompanyFields:
    a = msg.address
    return CompanyFields(
        display_name=msg.display_name,
        address_lines=tuple(a.address_lines),
        locality=a.locality,
        administrative_area=a.administrative_area,
        postal_code=a.postal_code,
        region_code=a.region_code,
        phone_number=msg.phone_number,
        email=msg.email,
        website_uri=msg.website_uri,
        brand_color=msg.brand_color,
        currency_code=msg.currency_code,
        default_tax_rate_bps=msg.default_tax_rate_bps,
    )


def profile_update(request: pb.UpdateCompanyProfileRequest) -> tuple[CompanyFields, list[str]]:
    """The incoming fields and the paths to take from them (mask problems are INVALID_ARGUMENT
    on `update_mask`)."""
    paths = mask_paths(pb.CompanyProfile.DESCRIPTOR, request.update_mask, output_only=PROFILE_OUTPUT_ONLY)
    return profile_fields(request.company_profile), paths


def profile_message(profile: CompanyProfile | None) -> pb.CompanyProfile:
    """The profile; one never saved is its name alone."""
    if profile is None:
        return pb.CompanyProfile(name=PROFILE_NAME)
    f = profile.fields
    msg = pb.CompanyProfile(
        name=PROFILE_NAME,
        display_name=f.display_name,
        address=pb.PostalAddress(
            address_lines=list(f.address_lines),
            locality=f.locality,
            administrative_area=f.administrative_area,
            postal_code=f.postal_code,
            region_code=f.region_code,
        ),
        phone_number=f.phone_number,
        email=f.email,
        website_uri=f.website_uri,
        brand_color=f.brand_color,
        currency_code=f.currency_code,
        default_tax_rate_bps=f.default_tax_rate_bps,
        logo_etag=profile.logo_etag,
        logo_content_type=profile.logo_content_type,
    )
    msg.update_time.CopyFrom(ts(profile.update_time))
    return msg


# --- the logo ---


def logo_upload(request: pb.UpdateCompanyLogoRequest) -> tuple[str, bytes]:
    """The upload's content type and bytes, once its name is the logo's."""
    incoming = request.company_logo
    check_name(incoming.name, LOGO_NAME, "company_logo.name")
    return incoming.content_type, incoming.data


def logo_message(logo: CompanyLogo, *, with_data: bool) -> pb.CompanyLogo:
    msg = pb.CompanyLogo(name=LOGO_NAME, content_type=logo.content_type, etag=logo.etag, size_bytes=len(logo.data))
    if logo.update_time is not None:
        msg.update_time.CopyFrom(ts(logo.update_time))
    if with_data:
        msg.data = logo.data
    return msg


# --- the event ---


def changed_event(company: Company) -> pb.CompanyProfileChangedEvent:
    """`scheduling.company.changed`: the whole profile, and the logo with its bytes if any."""
    event = pb.CompanyProfileChangedEvent(company_profile=profile_message(company.profile))
    if company.logo is not None:
        event.logo.CopyFrom(logo_message(company.logo, with_data=True))
    return event


def announce_change(uow: UnitOfWork, company_id: str, company: Company) -> None:
    """Emit `scheduling.company.changed` for the company as changed, in `uow`."""
    uow.emit(events.COMPANY_CHANGED, company_id, changed_event(company))


# --- the scheduling preferences ---


def preferences_update(
    request: pb.UpdateSchedulingPreferencesRequest,
) -> tuple[SchedulingPreferences, list[str]]:
    paths = mask_paths(pb.SchedulingPreferences.DESCRIPTOR, request.update_mask, output_only=frozenset({"name"}))
    incoming = request.scheduling_preferences
    return SchedulingPreferences(incoming.next_session_number, incoming.session_number_prefix), paths


def preferences_message(preferences: SchedulingPreferences) -> pb.SchedulingPreferences:
    return pb.SchedulingPreferences(
        name=PREFERENCES_NAME,
        next_session_number=preferences.next_session_number,
        session_number_prefix=preferences.session_number_prefix,
    )


# --- the marketing images of types ---


def image_type(name: str, field: str) -> BookingTypeRef:
    """`sessionTypes/{id}/marketingImage` (or `appointmentTypes/...`) -> the type it belongs to;
    another shape is INVALID_ARGUMENT on `field`, an id that is no UUID NOT_FOUND."""
    parent = name.removesuffix(IMAGE_SUFFIX) if name.endswith(IMAGE_SUFFIX) else ""
    spec = APPOINTMENT_TYPES if parent.startswith(f"{APPOINTMENT_TYPES.collection}/") else SESSION_TYPES
    type_id = parse_name(parent, spec.collection, field=field)
    assert spec.kind is not None
    return BookingTypeRef(spec.kind, type_id, parent)


def image_upload(request: pb.UpdateMarketingImageRequest) -> tuple[BookingTypeRef, str, bytes]:
    incoming = request.marketing_image
    return image_type(incoming.name, "marketing_image.name"), incoming.content_type, incoming.data


def image_message(booking_type: BookingTypeRef, image: MarketingImage, *, with_data: bool) -> pb.MarketingImage:
    msg = pb.MarketingImage(
        name=booking_type.image_name,
        content_type=image.content_type,
        etag=image.etag,
        size_bytes=len(image.data),
        update_time=ts(image.update_time),
    )
    if with_data:
        msg.data = image.data
    return msg
