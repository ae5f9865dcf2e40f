"""Demo data for `make run`: a secret partner key and the booking page's publishable key for
the demo company (idempotent)."""

from __future__ import annotations

from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_gateway.storage.models import PartnerApiKeyRow
from shutterbook_kit.db import Database
from shutterbook_kit.demo import (
    DEMO_API_KEY_ID,
    DEMO_API_KEY_SECRET,
    DEMO_COMPANY_ID,
    DEMO_PUBLISHABLE_KEY_ID,
    DEMO_PUBLISHABLE_KEY_SECRET,
)
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.uow import UnitOfWork


async def seed_demo(settings: ServiceSettings) -> None:
    db = Database(settings.database_url)
    try:
        async with UnitOfWork(db, readonly=True) as uow:
            exists = await uow.session.get(PartnerApiKeyRow, DEMO_API_KEY_ID)
            page_key = await uow.session.get(PartnerApiKeyRow, DEMO_PUBLISHABLE_KEY_ID)
        if exists is None:
            await issue_key(db, DEMO_COMPANY_ID, "demo partner", key_id=DEMO_API_KEY_ID, secret=DEMO_API_KEY_SECRET)
        if page_key is None:
            await issue_key(
                db,
                DEMO_COMPANY_ID,
                "demo booking page",
                key_id=DEMO_PUBLISHABLE_KEY_ID,
                secret=DEMO_PUBLISHABLE_KEY_SECRET,
                publishable=True,
            )
    finally:
        await db.dispose()
