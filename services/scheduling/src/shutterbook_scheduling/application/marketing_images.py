"""A session or appointment type's uploaded marketing image (reference page 05, "Online
Booking 2"): stored beside the type, named on it by its SHA-256 (`online.marketing_image_etag`,
so a new image gets a new URL and a served one may be cached for good), served online by the
booking gateway."""

from __future__ import annotations

from sqlalchemy import select

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import SOURCE, checked_upload, ts
from shutterbook_scheduling.application.setup import APPOINTMENT_TYPES, SESSION_TYPES, DocSpec, load_doc
from shutterbook_scheduling.domain.marketing_images import image_problems
from shutterbook_scheduling.storage.image_models import MarketingImageRow
from shutterbook_scheduling.storage.models import BookingTypeRow

SINGLETON = "/marketingImage"


def _type_of(name: str, field: str) -> tuple[DocSpec, str, str]:
    """`sessionTypes/{id}/marketingImage` -> (the type's spec, its id, its name)."""
    parent = name.removesuffix(SINGLETON) if name.endswith(SINGLETON) else ""
    spec = APPOINTMENT_TYPES if parent.startswith("appointmentTypes/") else SESSION_TYPES
    type_id = parse_name(parent, spec.collection, field=field)
    return spec, type_id, parent


def _message(name: str, row: MarketingImageRow, *, with_data: bool) -> pb.MarketingImage:
    image = pb.MarketingImage(
        name=name,
        content_type=row.content_type,
        etag=row.etag,
        size_bytes=len(row.data),
        update_time=ts(row.updated_at),
    )
    if with_data:
        image.data = row.data
    return image


async def _load_type(uow: UnitOfWork, spec: DocSpec, company_id: str, type_id: str, parent: str) -> BookingTypeRow:
    row = await load_doc(uow, spec, company_id, type_id)
    if not isinstance(row, BookingTypeRow):
        raise NotFound(f"{parent} not found")
    return row


async def update_image(db: Database, company_id: str, request: pb.UpdateMarketingImageRequest) -> pb.MarketingImage:
    incoming = request.marketing_image
    spec, type_id, parent = _type_of(incoming.name, "marketing_image.name")
    etag = checked_upload(incoming.content_type, incoming.data, image_problems, "marketing_image")
    async with UnitOfWork(db, source=SOURCE) as uow:
        type_row = await _load_type(uow, spec, company_id, type_id, parent)
        row = await uow.session.get(MarketingImageRow, type_id)
        before = type_row.online_marketing_image_etag
        if row is None:
            row = MarketingImageRow(type_id=type_id, company_id=company_id)
            uow.session.add(row)
        row.content_type, row.data, row.etag, row.updated_at = incoming.content_type, incoming.data, etag, utcnow()
        type_row.online_marketing_image_etag = etag
        type_row.updated_at = row.updated_at
        changes = {"online.marketing_image_etag": {"before": before, "after": etag}}
        uow.audit(company_id, parent, "updated", changes=changes)
        await uow.commit()
        return _message(incoming.name, row, with_data=False)


async def get_image(db: Database, company_id: str, name: str) -> pb.MarketingImage:
    spec, type_id, parent = _type_of(name, "name")
    async with UnitOfWork(db, readonly=True) as uow:
        await _load_type(uow, spec, company_id, type_id, parent)
        row = await uow.session.scalar(select(MarketingImageRow).where(MarketingImageRow.type_id == type_id))
        if row is None:
            raise NotFound(f"{name} not found")
        return _message(name, row, with_data=True)


async def delete_image(db: Database, company_id: str, name: str) -> None:
    spec, type_id, parent = _type_of(name, "name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        type_row = await _load_type(uow, spec, company_id, type_id, parent)
        row = await uow.session.get(MarketingImageRow, type_id)
        if row is None:
            raise NotFound(f"{name} not found")
        await uow.session.delete(row)
        changes = {"online.marketing_image_etag": {"before": type_row.online_marketing_image_etag, "after": ""}}
        type_row.online_marketing_image_etag = ""
        type_row.updated_at = utcnow()
        uow.audit(company_id, parent, "updated", changes=changes)
        await uow.commit()
