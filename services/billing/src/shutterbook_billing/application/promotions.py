"""Use cases: promotions and promo codes."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2
from shutterbook_billing.application import invoices
from shutterbook_billing.application.common import SOURCE, from_timestamp, money, precondition, timestamp
from shutterbook_billing.domain.money import BPS, Discount, check_currency, check_positive_amount
from shutterbook_billing.domain.promotions import redeem_refusal
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_billing.storage.models import PromotionRow
from shutterbook_billing.storage.promotions import PromotionRepository
from shutterbook_kit import audit
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


def to_proto(row: PromotionRow) -> billing_pb2.Promotion:
    promotion = billing_pb2.Promotion(
        name=f"promotions/{row.id}",
        display_name=row.display_name,
        code=row.code,
        start_time=timestamp(row.start_time),
        end_time=timestamp(row.end_time),
        usage_limit=row.usage_limit,
        usage_count=row.usage_count,
        eligible_session_types=[f"sessionTypes/{t}" for t in row.eligible_session_types],
        create_time=timestamp(row.created_at),
    )
    if row.percent_off_bps:
        promotion.percent_off_bps = row.percent_off_bps
    else:
        promotion.amount_off.CopyFrom(money(row.currency_code, row.amount_off_minor))
    return promotion


def _code(raw: str) -> str:
    return raw.strip().upper()


async def create_promotion(
    db: Database, company_id: str, request: billing_pb2.CreatePromotionRequest
) -> billing_pb2.Promotion:
    p = request.promotion
    v = Violations()
    validate_request_id(request.request_id, v)
    if not p.display_name.strip() or len(p.display_name) > 200:
        v.add("promotion.display_name", "is required, at most 200 characters")
    code = _code(p.code)
    if not code or len(code) > 64 or not all(ch.isalnum() or ch in "-_" for ch in code):
        v.add("promotion.code", "is required: 1 to 64 letters, digits, '-' or '_'")
    kind = p.WhichOneof("discount")
    if kind is None:
        v.add("promotion.discount", "set percent_off_bps or amount_off")
    elif kind == "percent_off_bps" and not 1 <= p.percent_off_bps <= BPS:
        v.add("promotion.percent_off_bps", f"must be between 1 and {BPS} basis points")
    elif kind == "amount_off":
        check_currency(p.amount_off.currency_code, "promotion.amount_off.currency_code", v)
        check_positive_amount(p.amount_off.amount_minor, "promotion.amount_off.amount_minor", v)
    if p.usage_limit < 0:
        v.add("promotion.usage_limit", "must not be negative (0: no limit)")
    now = utcnow()
    start = from_timestamp(p.start_time) if p.HasField("start_time") else now
    end = from_timestamp(p.end_time) if p.HasField("end_time") else None
    if end is not None and end <= start:
        v.add("promotion.end_time", "must be after the start time")
    types: list[str] = []
    for i, name in enumerate(p.eligible_session_types):
        type_id = parse_reference(name, "sessionTypes", field=f"promotion.eligible_session_types[{i}]", violations=v)
        if type_id is not None:
            types.append(type_id)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Promotion:
        promotions = PromotionRepository(uow.session)
        if await promotions.code_taken(company_id, code):
            raise AlreadyExists(f"promo code {code} is already used", metadata={"field": "promotion.code"})
        row = PromotionRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            display_name=p.display_name.strip(),
            code=code,
            percent_off_bps=p.percent_off_bps if kind == "percent_off_bps" else 0,
            amount_off_minor=p.amount_off.amount_minor if kind == "amount_off" else 0,
            currency_code=p.amount_off.currency_code if kind == "amount_off" else "",
            start_time=start,
            end_time=end,
            usage_limit=p.usage_limit,
            usage_count=0,
            eligible_session_types=types,
            created_at=now,
        )
        await promotions.insert(row)
        promotion = to_proto(row)
        uow.audit(company_id, promotion.name, "created", after=promotion)
        return promotion

    try:
        return await run_idempotent(
            db,
            company_id=company_id,
            scope="CreatePromotion",
            request=request,
            request_id=request.request_id,
            response_type=billing_pb2.Promotion,
            work=work,
            source=SOURCE,
        )
    except IntegrityError as exc:  # a concurrent create of the same code won
        raise AlreadyExists(f"promo code {code} is already used", metadata={"field": "promotion.code"}) from exc


async def get_promotion(db: Database, company_id: str, name: str) -> billing_pb2.Promotion:
    promotion_id = parse_name(name, "promotions")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await PromotionRepository(uow.session).get(company_id, promotion_id)
    if row is None:
        raise NotFound(f"{name} not found")
    return to_proto(row)


async def apply_promotion(
    db: Database, company_id: str, request: billing_pb2.ApplyPromotionRequest
) -> billing_pb2.Invoice:
    invoice_id = parse_name(request.invoice, "invoices", field="invoice")
    v = Violations()
    validate_request_id(request.request_id, v)
    code = _code(request.promo_code)
    if not code:
        v.add("promo_code", "is required")
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        row, lines = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=request.invoice)
        if row.status != invoices.OPEN:
            raise precondition("invoice", "INVOICE_NOT_OPEN", "only an open invoice takes a promotion")
        if row.promotion_id is not None:
            raise precondition("invoice", "PROMOTION_ALREADY_APPLIED", "the invoice already has a promotion")
        if row.paid_minor != 0:
            raise precondition("invoice", "INVOICE_HAS_PAYMENTS", "apply promotions before taking payments")
        promotions = PromotionRepository(uow.session)
        promo = await promotions.by_code(company_id, code)
        if promo is None:
            raise precondition("promo_code", "PROMO_CODE_UNKNOWN", f"no promo code {code}")
        refusal = redeem_refusal(
            now=utcnow(),
            start_time=promo.start_time,
            end_time=promo.end_time,
            usage_count=promo.usage_count,
            usage_limit=promo.usage_limit,
            eligible_session_types=promo.eligible_session_types,
            session_type_id=row.session_type_id,
        )
        if refusal is not None:
            raise precondition("promo_code", refusal.reason, refusal.message)
        if promo.amount_off_minor and promo.currency_code != row.currency_code:
            raise precondition(
                "promo_code", "CURRENCY_MISMATCH", f"the promotion is in {promo.currency_code}, the invoice not"
            )
        # the binding usage check: counted only while below the limit, in this transaction
        if not await promotions.count_use(company_id, promo.id):
            raise precondition("promo_code", "PROMO_CODE_USED_UP", "the promo code reached its usage limit")
        before = invoices.to_proto(row, lines)
        invoices.reprice(row, lines, Discount(promo.percent_off_bps, promo.amount_off_minor))
        row.promotion_id = promo.id
        row.promo_code = promo.code
        row.updated_at = utcnow()
        invoices.set_status(row)
        await InvoiceRepository(uow.session).save()
        invoice = invoices.to_proto(row, lines)
        uow.audit(company_id, invoice.name, "promotion_applied", before=before, after=invoice)
        uow.audit(company_id, f"promotions/{promo.id}", "redeemed", changes=audit.added({"invoice": invoice.name}))
        return invoice

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="ApplyPromotion",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Invoice,
        work=work,
        source=SOURCE,
    )


async def list_promotions(
    db: Database, company_id: str, request: billing_pb2.ListPromotionsRequest
) -> billing_pb2.ListPromotionsResponse:
    v = Violations()
    type_id = parse_reference(
        request.eligible_session_type, "sessionTypes", field="eligible_session_type", violations=v, required=False
    )
    if not 0 <= request.page_size <= 1000:
        v.add("page_size", "must be 0 (100) to 1000")
    v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        page = await PromotionRepository(uow.session).page(
            company_id, request.page_size, request.page_token, type_id or ""
        )
    return billing_pb2.ListPromotionsResponse(
        promotions=[to_proto(r) for r in page.items], next_page_token=page.next_page_token
    )
