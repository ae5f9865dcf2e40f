"""A promo code near its usage limit, redeemed concurrently, is never used more than its
limit (a conditional UPDATE in the redeeming transaction), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from shutterbook.billing.v1 import billing_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.billing_support import billing_service, create_invoice, error_field, free_line, md, new_client


async def test_concurrent_redemptions_respect_the_limit(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        promotion = await b.stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(
                promotion=billing_pb2.Promotion(
                    display_name="Three only", code="THREE", percent_off_bps=2000, usage_limit=3
                )
            ),
            metadata=md(),
        )
        invoices = [await create_invoice(b.stub, new_client(), [free_line("Session", 10000, 825)]) for _ in range(10)]
        results = await asyncio.gather(
            *(
                b.stub.ApplyPromotion(
                    billing_pb2.ApplyPromotionRequest(invoice=i.name, promo_code="three"), metadata=md()
                )
                for i in invoices
            ),
            return_exceptions=True,
        )
        applied = [r for r in results if isinstance(r, billing_pb2.Invoice)]
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(applied) == 3
        assert len(refused) == 7
        assert {error_field(r) for r in refused} == {("PROMO_CODE_USED_UP", "promo_code")}
        for invoice in applied:
            assert invoice.discount.amount_minor == 2000
            assert invoice.total.amount_minor == 8000 + 660  # tax on 8000 at 8.25 %
        after = await b.stub.GetPromotion(billing_pb2.GetPromotionRequest(name=promotion.name), metadata=md())
        assert after.usage_count == 3
        listed = await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=md())
        assert sum(1 for i in listed.invoices if i.promo_code == "THREE") == 3


async def test_list_promotions_pages_and_filters_by_session_type(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    portraits, weddings = f"sessionTypes/{uuid.uuid4()}", f"sessionTypes/{uuid.uuid4()}"
    async with billing_service(databases, nats_server.url) as b:
        for code, types in (
            ("SPRING", [portraits]),
            ("ANY10", []),
            ("WED", [weddings]),
            ("BOTH", [portraits, weddings]),
        ):
            await b.stub.CreatePromotion(
                billing_pb2.CreatePromotionRequest(
                    promotion=billing_pb2.Promotion(
                        display_name=code.title(), code=code, percent_off_bps=1000, eligible_session_types=types
                    )
                ),
                metadata=md(),
            )
        codes: list[str] = []
        token = ""
        for _ in range(5):  # bounded: 4 promotions, 2 a page
            page = await b.stub.ListPromotions(
                billing_pb2.ListPromotionsRequest(page_size=2, page_token=token), metadata=md()
            )
            codes += [p.code for p in page.promotions]
            token = page.next_page_token
            if not token:
                break
        assert codes == ["ANY10", "BOTH", "SPRING", "WED"]
        for_portraits = await b.stub.ListPromotions(
            billing_pb2.ListPromotionsRequest(eligible_session_type=portraits), metadata=md()
        )
        assert [p.code for p in for_portraits.promotions] == ["ANY10", "BOTH", "SPRING"]
        assert list(for_portraits.promotions[2].eligible_session_types) == [portraits]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await b.stub.ListPromotions(
                billing_pb2.ListPromotionsRequest(eligible_session_type="portraits", page_size=-1), metadata=md()
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(rpc_violations(err.value)) == {"eligible_session_type", "page_size"}
        other = await b.stub.ListPromotions(billing_pb2.ListPromotionsRequest(), metadata=md(str(uuid.uuid4())))
        assert list(other.promotions) == []  # another company sees none of them
