"""Use cases: price list items."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook_billing.application.common import SOURCE
from shutterbook_billing.domain.money import check_currency, check_price, check_tax_rate
from shutterbook_billing.storage.models import PriceListItemRow
from shutterbook_billing.storage.price_list import PriceListRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

MUTABLE_PATHS = ("display_name", "sku", "unit_price", "tax_rate_bps")


def to_proto(row: PriceListItemRow) -> billing_pb2.PriceListItem:
    return billing_pb2.PriceListItem(
        name=f"priceListItems/{row.id}",
        display_name=row.display_name,
        sku=row.sku,
        unit_price=money_pb2.Money(currency_code=row.currency_code, amount_minor=row.unit_price_minor),
        tax_rate_bps=row.tax_rate_bps,
    )


async def create_price_list_item(
    db: Database, company_id: str, request: billing_pb2.CreatePriceListItemRequest
) -> billing_pb2.PriceListItem:
    item = request.price_list_item
    v = Violations()
    validate_request_id(request.request_id, v)
    if not item.display_name.strip():
        v.add("price_list_item.display_name", "is required")
    if not item.sku.strip() or len(item.sku) > 64:
        v.add("price_list_item.sku", "is required, at most 64 characters")
    check_currency(item.unit_price.currency_code, "price_list_item.unit_price.currency_code", v)
    check_price(item.unit_price.amount_minor, "price_list_item.unit_price.amount_minor", v)
    check_tax_rate(item.tax_rate_bps, "price_list_item.tax_rate_bps", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.PriceListItem:
        price_list = PriceListRepository(uow.session)
        if await price_list.sku_taken(company_id, item.sku.strip()):
            raise AlreadyExists(f"sku {item.sku!r} is already used", metadata={"field": "price_list_item.sku"})
        row = PriceListItemRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            display_name=item.display_name.strip(),
            sku=item.sku.strip(),
            currency_code=item.unit_price.currency_code,
            unit_price_minor=item.unit_price.amount_minor,
            tax_rate_bps=item.tax_rate_bps,
            created_at=utcnow(),
        )
        await price_list.insert(row)
        created = to_proto(row)
        uow.audit(company_id, created.name, "created", after=created)
        return created

    try:
        return await run_idempotent(
            db,
            company_id=company_id,
            scope="CreatePriceListItem",
            request=request,
            request_id=request.request_id,
            response_type=billing_pb2.PriceListItem,
            work=work,
            source=SOURCE,
        )
    except IntegrityError as exc:  # a concurrent create of the same sku won
        raise AlreadyExists(f"sku {item.sku!r} is already used", metadata={"field": "price_list_item.sku"}) from exc


async def get_price_list_item(db: Database, company_id: str, name: str) -> billing_pb2.PriceListItem:
    item_id = parse_name(name, "priceListItems")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await PriceListRepository(uow.session).get(company_id, item_id)
    if row is None:
        raise NotFound(f"{name} not found")
    return to_proto(row)


async def list_price_list_items(
    db: Database, company_id: str, request: billing_pb2.ListPriceListItemsRequest
) -> billing_pb2.ListPriceListItemsResponse:
    async with UnitOfWork(db, readonly=True) as uow:
        page = await PriceListRepository(uow.session).page(company_id, request.page_size, request.page_token)
    return billing_pb2.ListPriceListItemsResponse(
        price_list_items=[to_proto(r) for r in page.items], next_page_token=page.next_page_token
    )


def _mask(paths: list[str], v: Violations) -> tuple[str, ...]:
    """The update_mask paths (every writable field when empty); an unknown path is a violation.
    `unit_price.amount_minor` and `unit_price.currency_code` stand for `unit_price`."""
    chosen: list[str] = []
    for i, path in enumerate(paths):
        path = "unit_price" if path.startswith("unit_price.") else path
        if path not in MUTABLE_PATHS:
            v.add(f"update_mask.paths[{i}]", f"unknown or immutable field; one of: {', '.join(MUTABLE_PATHS)}")
        chosen.append(path)
    return tuple(dict.fromkeys(chosen)) if paths else MUTABLE_PATHS


async def update_price_list_item(
    db: Database, company_id: str, request: billing_pb2.UpdatePriceListItemRequest
) -> billing_pb2.PriceListItem:
    item = request.price_list_item
    v = Violations()
    paths = _mask(list(request.update_mask.paths), v)
    if "display_name" in paths and not item.display_name.strip():
        v.add("price_list_item.display_name", "is required")
    if "sku" in paths and (not item.sku.strip() or len(item.sku) > 64):
        v.add("price_list_item.sku", "is required, at most 64 characters")
    if "unit_price" in paths:
        check_currency(item.unit_price.currency_code, "price_list_item.unit_price.currency_code", v)
        check_price(item.unit_price.amount_minor, "price_list_item.unit_price.amount_minor", v)
    if "tax_rate_bps" in paths:
        check_tax_rate(item.tax_rate_bps, "price_list_item.tax_rate_bps", v)
    v.raise_if_any()
    item_id = parse_name(item.name, "priceListItems", field="price_list_item.name")
    taken = AlreadyExists(f"sku {item.sku!r} is already used", metadata={"field": "price_list_item.sku"})
    try:
        async with UnitOfWork(db, source=SOURCE) as uow:
            price_list = PriceListRepository(uow.session)
            row = await price_list.get(company_id, item_id)
            if row is None:
                raise NotFound(f"{item.name} not found")
            before = to_proto(row)
            if (
                "sku" in paths
                and item.sku.strip() != row.sku
                and await price_list.sku_taken(company_id, item.sku.strip())
            ):
                raise taken
            if "display_name" in paths:
                row.display_name = item.display_name.strip()
            if "sku" in paths:
                row.sku = item.sku.strip()
            if "unit_price" in paths:
                row.currency_code, row.unit_price_minor = item.unit_price.currency_code, item.unit_price.amount_minor
            if "tax_rate_bps" in paths:
                row.tax_rate_bps = item.tax_rate_bps
            await uow.session.flush()
            updated = to_proto(row)
            uow.audit(company_id, updated.name, "updated", before=before, after=updated)
            await uow.commit()
            return updated
    except IntegrityError as exc:  # a concurrent change to the same sku won
        raise taken from exc
