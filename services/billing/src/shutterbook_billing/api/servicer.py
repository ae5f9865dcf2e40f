"""gRPC API of the billing service: each method hands its request to a use case."""

from __future__ import annotations

from typing import Any

import grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.common.v1 import audit_pb2, money_pb2
from shutterbook_billing.application import (
    booking_invoices,
    cancellations,
    client_directory,
    deposits,
    documents,
    history,
    invoice_lines,
    invoices,
    payments,
    price_list,
    promotions,
)
from shutterbook_billing.domain.payments import PaymentProvider
from shutterbook_kit import audit, tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import PermissionDenied
from shutterbook_kit.permissions import Permission, grants

Ctx = grpc.aio.ServicerContext[Any, Any]


def _company() -> str:
    return tenancy.current().company_id


def refund_limit(limit_minor: int) -> int | None:
    """The refund limit of the caller: `limit_minor` for staff without `billing.refund_any`
    (front desk), None (no limit) for everyone else."""
    caller = tenancy.current_caller()
    if caller is None or Permission.BILLING_REFUND_ANY in grants(caller):
        return None
    return limit_minor


def check_refund_limit(amount: money_pb2.Money | None, limit_minor: int) -> int | None:
    """Staff without `billing.refund_any` (front desk) refund at most `limit_minor` (each
    refund here; all the refunds of an invoice or deposit together in the use case), and must
    say how much (a refund of "all that is left" may be more). Returns the caller's limit."""
    limit = refund_limit(limit_minor)
    if limit is None:
        return None
    if amount is None or amount.amount_minor <= 0 or amount.amount_minor > limit_minor:
        raise PermissionDenied(
            f"refunds above {limit_minor} minor units, or without an amount, need a manager",
            reason="REFUND_LIMIT",
            metadata={"limit_minor": str(limit_minor)},
        )
    return limit


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, db: Database, provider: PaymentProvider, *, refund_limit_minor: int = 10_000) -> None:
        self.db = db
        self.provider = provider
        self.refund_limit_minor = refund_limit_minor

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

    async def UpdatePriceListItem(
        self, request: billing_pb2.UpdatePriceListItemRequest, context: Ctx
    ) -> billing_pb2.PriceListItem:
        return await price_list.update_price_list_item(self.db, _company(), request)

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

    async def ReduceInvoiceToFee(
        self, request: billing_pb2.ReduceInvoiceToFeeRequest, context: Ctx
    ) -> billing_pb2.Invoice:
        return await cancellations.reduce_invoice_to_fee(self.db, _company(), request)

    async def EnsureSessionInvoice(
        self, request: billing_pb2.EnsureSessionInvoiceRequest, context: Ctx
    ) -> billing_pb2.Invoice:
        return await booking_invoices.ensure_session_invoice(self.db, _company(), request)

    async def EnsureAppointmentInvoice(
        self, request: billing_pb2.EnsureAppointmentInvoiceRequest, context: Ctx
    ) -> billing_pb2.Invoice:
        return await booking_invoices.ensure_appointment_invoice(self.db, _company(), request)

    async def EnsureKnownClient(
        self, request: billing_pb2.EnsureKnownClientRequest, context: Ctx
    ) -> billing_pb2.EnsureKnownClientResponse:
        return await client_directory.ensure_known_client(self.db, _company(), request)

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
        limit = check_refund_limit(request.amount if request.HasField("amount") else None, self.refund_limit_minor)
        return await payments.refund_payment(self.db, self.provider, _company(), request, limit_minor=limit)

    async def CreateDeposit(self, request: billing_pb2.CreateDepositRequest, context: Ctx) -> billing_pb2.Deposit:
        return await deposits.create_deposit(self.db, self.provider, _company(), request)

    async def GetDeposit(self, request: billing_pb2.GetDepositRequest, context: Ctx) -> billing_pb2.Deposit:
        return await deposits.get_deposit(self.db, _company(), request.name)

    async def ListDeposits(
        self, request: billing_pb2.ListDepositsRequest, context: Ctx
    ) -> billing_pb2.ListDepositsResponse:
        return await deposits.list_deposits(self.db, _company(), request)

    async def ApplyDeposit(self, request: billing_pb2.ApplyDepositRequest, context: Ctx) -> billing_pb2.Payment:
        return await payments.apply_deposit(self.db, _company(), request)

    async def RefundDeposit(self, request: billing_pb2.RefundDepositRequest, context: Ctx) -> billing_pb2.Deposit:
        limit = check_refund_limit(request.amount if request.HasField("amount") else None, self.refund_limit_minor)
        return await deposits.refund_deposit(self.db, self.provider, _company(), request, limit_minor=limit)

    async def CreatePromotion(self, request: billing_pb2.CreatePromotionRequest, context: Ctx) -> billing_pb2.Promotion:
        return await promotions.create_promotion(self.db, _company(), request)

    async def GetPromotion(self, request: billing_pb2.GetPromotionRequest, context: Ctx) -> billing_pb2.Promotion:
        return await promotions.get_promotion(self.db, _company(), request.name)

    async def ListPromotions(
        self, request: billing_pb2.ListPromotionsRequest, context: Ctx
    ) -> billing_pb2.ListPromotionsResponse:
        return await promotions.list_promotions(self.db, _company(), request)

    async def RenderSessionConfirmation(
        self, request: billing_pb2.RenderSessionConfirmationRequest, context: Ctx
    ) -> billing_pb2.Document:
        return await documents.render_session_confirmation(self.db, _company(), request.invoice)

    async def RenderPaymentReceipt(
        self, request: billing_pb2.RenderPaymentReceiptRequest, context: Ctx
    ) -> billing_pb2.Document:
        return await documents.render_payment_receipt(self.db, _company(), request.payment)

    async def ListAuditEntries(
        self, request: audit_pb2.ListAuditEntriesRequest, context: Ctx
    ) -> audit_pb2.ListAuditEntriesResponse:
        return await audit.list_audit_entries(self.db, _company(), request, history.RECORDS)

    async def AddInvoiceLine(self, request: billing_pb2.AddInvoiceLineRequest, context: Ctx) -> billing_pb2.Invoice:
        return await invoice_lines.add_invoice_line(self.db, _company(), request)

    async def RemoveInvoiceLine(
        self, request: billing_pb2.RemoveInvoiceLineRequest, context: Ctx
    ) -> billing_pb2.Invoice:
        return await invoice_lines.remove_invoice_line(self.db, _company(), request)
