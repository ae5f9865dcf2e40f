"""gRPC API of the billing service."""

from __future__ import annotations

from typing import Any

import grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook_billing.application import price_list
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def CreatePriceListItem(
        self, request: billing_pb2.CreatePriceListItemRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> billing_pb2.PriceListItem:
        return await price_list.create_price_list_item(self.db, tenancy.current().company_id, request)

    async def GetPriceListItem(
        self, request: billing_pb2.GetPriceListItemRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> billing_pb2.PriceListItem:
        return await price_list.get_price_list_item(self.db, tenancy.current().company_id, request.name)
