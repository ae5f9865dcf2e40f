"""The permission each RPC of the billing service needs (checked by the kit's interceptor).

Refunds also have a per-call check where the amount is known: staff without
`billing.refund_any` (front desk) may refund at most the configured limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from shutterbook.billing.v1 import billing_pb2
from shutterbook_kit.permissions import Permission

_SERVICE = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name
_READ = Permission.BILLING_READ
_CHARGE = Permission.BILLING_CHARGE
_METHODS: dict[str, Permission] = {
    "CreatePriceListItem": Permission.BILLING_SETUP,
    "GetPriceListItem": _READ,
    "ListPriceListItems": _READ,
    "UpdatePriceListItem": Permission.BILLING_SETUP,
    "CreateInvoice": _CHARGE,
    "GetInvoice": _READ,
    "ListInvoices": _READ,
    "VoidInvoice": Permission.BILLING_VOID,
    "ReduceInvoiceToFee": Permission.BILLING_VOID,
    "AddInvoiceLine": _CHARGE,
    "RemoveInvoiceLine": _CHARGE,
    "EnsureSessionInvoice": _CHARGE,
    "EnsureAppointmentInvoice": _CHARGE,
    "EnsureKnownClient": Permission.CLIENTS_WRITE,
    "ApplyPromotion": _CHARGE,
    "CreatePayment": _CHARGE,
    "GetPayment": _READ,
    "ListPayments": _READ,
    "RefundPayment": Permission.BILLING_REFUND,
    "CreateDeposit": _CHARGE,
    "GetDeposit": _READ,
    "ListDeposits": _READ,
    "ApplyDeposit": _CHARGE,
    "RefundDeposit": Permission.BILLING_REFUND,
    "CreatePromotion": Permission.BILLING_SETUP,
    "GetPromotion": _READ,
    "ListPromotions": _READ,
    "RenderSessionConfirmation": _READ,
    "RenderPaymentReceipt": _READ,
    "ListAuditEntries": _READ,
}
PERMISSIONS: Mapping[str, Permission] = {f"{_SERVICE}.{name}": p for name, p in _METHODS.items()}
