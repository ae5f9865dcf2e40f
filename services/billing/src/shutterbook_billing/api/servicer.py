"""gRPC API of the billing service: each method hands its request to a use case."""

from __future__ import annotations

from typing import Any

import grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook_billing.application import documents, invoices, payments, price_list, promotions
from shutterbook_billing.domain.payments import PaymentProvider
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database

Ctx = grpc.aio.ServicerContext[Any, Any]


def _company() -> str:
    return tenancy.current().company_id


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, db: Database, provider: PaymentProvider) -> None:
        self.db = db
        self.provider = provider

    async def CreatePriceListItem(
        self, request: billing_pb2.CreatePriceListItemRequest, context: Ctx
    ) -> billing_pb2.PriceListItem:
        return await price_list.create_price_list_item(self.db, _company(), request)

    async def GetPriceListItem(
        self, request: billing_pb2.GetPriceListItemRequest, context: Ctx
    ) -> billing_pb2.PriceListItem:
        return await price_list.get_price_list_item(self.db, _company(), request.name)

    async def ListPriceListItems(
        self, request: billing_pb2.ListPriceListItemsRequest, context: Ctx
    ) -> billing_pb2.ListPriceListItemsResponse:
        return await price_list.list_price_list_items(self.db, _company(), request)

    async def CreateInvoice(self, request: billing_pb2.CreateInvoiceRequest, context: Ctx) -> billing_pb2.Invoice:
        return await invoices.create_invoice(self.db, _company(), request)

    async def GetInvoice(self, request: billing_pb2.GetInvoiceRequest, context: Ctx) -> billing_pb2.Invoice:
        return await invoices.get_invoice(self.db, _company(), request.name)

    async def ListInvoices(
        self, request: billing_pb2.ListInvoicesRequest, context: Ctx
    ) -> billing_pb2.ListInvoicesResponse:
        return await invoices.list_invoices(self.db, _company(), request)

    async def VoidInvoice(self, request: billing_pb2.VoidInvoiceRequest, context: Ctx) -> billing_pb2.Invoice:
        return await invoices.void_invoice(self.db, _company(), request)

    async def EnsureSessionInvoice(
        self, request: billing_pb2.EnsureSessionInvoiceRequest, context: Ctx
    ) -> billing_pb2.Invoice:
        return await invoices.ensure_session_invoice(self.db, _company(), request)

    async def ApplyPromotion(self, request: billing_pb2.ApplyPromotionRequest, context: Ctx) -> billing_pb2.Invoice:
        return await promotions.apply_promotion(self.db, _company(), request)

    async def CreatePayment(self, request: billing_pb2.CreatePaymentRequest, context: Ctx) -> billing_pb2.Payment:
        return await payments.create_payment(self.db, self.provider, _company(), request)

    async def GetPayment(self, request: billing_pb2.GetPaymentRequest, context: Ctx) -> billing_pb2.Payment:
        return await payments.get_payment(self.db, _company(), request.name)

    async def ListPayments(
        self, request: billing_pb2.ListPaymentsRequest, context: Ctx
    ) -> billing_pb2.ListPaymentsResponse:
        return await payments.list_payments(self.db, _company(), request)

    async def RefundPayment(self, request: billing_pb2.RefundPaymentRequest, context: Ctx) -> billing_pb2.Payment:
        return await payments.refund_payment(self.db, self.provider, _company(), request)

    async def CreateDeposit(self, request: billing_pb2.CreateDepositRequest, context: Ctx) -> billing_pb2.Deposit:
        return await payments.create_deposit(self.db, self.provider, _company(), request)

    async def GetDeposit(self, request: billing_pb2.GetDepositRequest, context: Ctx) -> billing_pb2.Deposit:
        return await payments.get_deposit(self.db, _company(), request.name)

    async def ListDeposits(
        self, request: billing_pb2.ListDepositsRequest, context: Ctx
    ) -> billing_pb2.ListDepositsResponse:
        return await payments.list_deposits(self.db, _company(), request)

    async def ApplyDeposit(self, request: billing_pb2.ApplyDepositRequest, context: Ctx) -> billing_pb2.Payment:
        return await payments.apply_deposit(self.db, _company(), request)

    async def RefundDeposit(self, request: billing_pb2.RefundDepositRequest, context: Ctx) -> billing_pb2.Deposit:
        return await payments.refund_deposit(self.db, self.provider, _company(), request)

    async def CreatePromotion(self, request: billing_pb2.CreatePromotionRequest, context: Ctx) -> billing_pb2.Promotion:
        return await promotions.create_promotion(self.db, _company(), request)

    async def GetPromotion(self, request: billing_pb2.GetPromotionRequest, context: Ctx) -> billing_pb2.Promotion:
        return await promotions.get_promotion(self.db, _company(), request.name)

    async def RenderSessionConfirmation(
        self, request: billing_pb2.RenderSessionConfirmationRequest, context: Ctx
    ) -> billing_pb2.Document:
        return await documents.render_session_confirmation(self.db, _company(), request.invoice)

    async def RenderPaymentReceipt(
        self, request: billing_pb2.RenderPaymentReceiptRequest, context: Ctx
    ) -> billing_pb2.Document:
        return await documents.render_payment_receipt(self.db, _company(), request.payment)
