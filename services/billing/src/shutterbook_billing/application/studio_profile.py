"""Billing's copy of the company's profile (owned by scheduling): the studio's name, address,
contact and logo printed at the top of billing's documents. Kept from
`scheduling.company.changed`, which carries the whole profile and the logo's bytes; an older
version than the one held changes nothing (events may arrive twice or late)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from shutterbook.scheduling.v1 import scheduling_pb2
from shutterbook_billing import events
from shutterbook_billing.storage.models import StudioProfileRow
from shutterbook_kit.consumer import Delivery, subscribe
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


@dataclass(frozen=True)
class Studio:
    """What a document's heading shows of the studio; empty strings when the company has set no
    profile (the documents then fall back to the location's name and address)."""

    display_name: str = ""
    address: str = ""
    contact: str = ""
    logo_content_type: str = ""
    logo: bytes = b""


def postal_lines(address: scheduling_pb2.PostalAddress) -> str:
    city = " ".join(p for p in (address.locality, address.administrative_area, address.postal_code) if p)
    return "\n".join(p for p in (*address.address_lines, city) if p)


async def apply(uow: UnitOfWork, company_id: str, event: scheduling_pb2.CompanyProfileChangedEvent) -> None:
    profile = event.company_profile
    version = profile.update_time.ToDatetime(tzinfo=UTC) if profile.HasField("update_time") else utcnow()
    row = await uow.session.get(StudioProfileRow, company_id, with_for_update=True)
    if row is None:
        row = StudioProfileRow(company_id=company_id, source_updated_at=version)
        uow.session.add(row)
    elif version < row.source_updated_at:
        return
    row.display_name = profile.display_name
    row.address = postal_lines(profile.address)
    row.contact = " - ".join(p for p in (profile.phone_number, profile.email, profile.website_uri) if p)
    has_logo = event.HasField("logo") and bool(event.logo.data)
    row.logo_content_type = event.logo.content_type if has_logo else ""
    row.logo_data = event.logo.data if has_logo else None
    row.source_updated_at = version


async def studio_of(uow: UnitOfWork, company_id: str) -> Studio:
    row = await uow.session.get(StudioProfileRow, company_id)
    if row is None:
        return Studio()
    return Studio(row.display_name, row.address, row.contact, row.logo_content_type, row.logo_data or b"")


async def on_changed(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, scheduling_pb2.CompanyProfileChangedEvent)
    await apply(delivery.uow, delivery.envelope.company_id, event)


SUBSCRIPTIONS = [subscribe(events.COMPANY_CHANGED, on_changed)]
