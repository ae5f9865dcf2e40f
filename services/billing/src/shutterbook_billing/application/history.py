"""The audit trail of invoices, payments, deposits, promotions and price list items: read per
record (`shutterbook_kit.audit.list_audit_entries`) by the collections named here."""

from __future__ import annotations

from typing import Any

from shutterbook_billing.storage.models import DepositRow, InvoiceRow, PaymentRow, PriceListItemRow, PromotionRow

# The records whose history this service keeps, by collection (an invoice's lines and
# promotion are part of its history; a refund is part of its payment's and invoice's).
RECORDS: dict[str, Any] = {
    "invoices": InvoiceRow,
    "payments": PaymentRow,
    "deposits": DepositRow,
    "promotions": PromotionRow,
    "priceListItems": PriceListItemRow,
}
