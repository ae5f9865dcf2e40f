"""A session or appointment type's uploaded marketing image (reference page 05, "Online
Booking 2"): stored beside the type, named on it by its SHA-256 (`online.marketing_image_etag`,
so a new image gets a new URL and a served one may be cached for good), served online by the
booking gateway. Domain objects in and out, rows through the company repository (the shape is
described in application/company.py)."""

from __future__ import annotations

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, found
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import SOURCE, checked_upload
from shutterbook_scheduling.domain.marketing_images import BookingTypeRef, MarketingImage, image_problems
from shutterbook_scheduling.storage.company_repository import CompanyRepository


async def _etag_of_type(repo: CompanyRepository, company_id: str, booking_type: BookingTypeRef) -> str:
    return found(await repo.image_etag_of_type(company_id, booking_type), booking_type.name)


async def update_image(
    db: Database, company_id: str, booking_type: BookingTypeRef, content_type: str, data: bytes
) -> MarketingImage:
    """The type's image replaced (problems are INVALID_ARGUMENT under `marketing_image`)."""
    etag = checked_upload(content_type, data, image_problems, "marketing_image")
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = CompanyRepository(uow)
        before = await _etag_of_type(repo, company_id, booking_type)
        image = MarketingImage(content_type, data, etag, utcnow())
        await repo.save_image(company_id, booking_type, image)
        changes = {"online.marketing_image_etag": {"before": before, "after": etag}}
        uow.audit(company_id, booking_type.name, "updated", changes=changes)
        await uow.commit()
        return image


async def get_image(db: Database, company_id: str, booking_type: BookingTypeRef) -> MarketingImage:
    async with UnitOfWork(db, readonly=True) as uow:
        repo = CompanyRepository(uow)
        await _etag_of_type(repo, company_id, booking_type)
        return found(await repo.image(booking_type), booking_type.image_name)


async def delete_image(db: Database, company_id: str, booking_type: BookingTypeRef) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = CompanyRepository(uow)
        before = await _etag_of_type(repo, company_id, booking_type)
        if not await repo.delete_image(booking_type, utcnow()):
            raise NotFound(f"{booking_type.image_name} not found")
        changes = {"online.marketing_image_etag": {"before": before, "after": ""}}
        uow.audit(company_id, booking_type.name, "updated", changes=changes)
        await uow.commit()
