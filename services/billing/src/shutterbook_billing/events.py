"""Every event billing publishes (on the BILLING stream) and every event it consumes:
subject and payload type, once.

The consumed events are declared by their producers in `shutterbook_kit.shared_events`
(scheduling's session bookings, clients' client changes) and re-exported here.
"""

from __future__ import annotations

from shutterbook.billing.v1.events_pb2 import (
    DepositAppliedEvent,
    DepositCreatedEvent,
    DepositRefundedEvent,
    InvoiceCreatedEvent,
    InvoiceLineAddedEvent,
    InvoiceLineRemovedEvent,
    InvoicePaidEvent,
    InvoiceReducedToFeeEvent,
    InvoiceVoidedEvent,
    PaymentReceivedEvent,
    PaymentRefundedEvent,
)
from shutterbook_kit import shared_events
from shutterbook_kit.events import EventType

# published
INVOICE_CREATED = EventType("billing.invoice.created", InvoiceCreatedEvent)
INVOICE_VOIDED = EventType("billing.invoice.voided", InvoiceVoidedEvent)
INVOICE_REDUCED_TO_FEE = EventType("billing.invoice.reduced_to_fee", InvoiceReducedToFeeEvent)
INVOICE_LINE_ADDED = EventType("billing.invoice.line_added", InvoiceLineAddedEvent)
INVOICE_LINE_REMOVED = EventType("billing.invoice.line_removed", InvoiceLineRemovedEvent)
INVOICE_PAID = EventType("billing.invoice.paid", InvoicePaidEvent)
PAYMENT_RECEIVED = EventType("billing.payment.received", PaymentReceivedEvent)
PAYMENT_REFUNDED = EventType("billing.payment.refunded", PaymentRefundedEvent)
DEPOSIT_CREATED = EventType("billing.deposit.created", DepositCreatedEvent)
DEPOSIT_APPLIED = EventType("billing.deposit.applied", DepositAppliedEvent)
DEPOSIT_REFUNDED = EventType("billing.deposit.refunded", DepositRefundedEvent)

# consumed (declared by their producers in shutterbook_kit.shared_events)
CLIENT_CREATED = shared_events.CLIENT_CREATED
CLIENT_UPDATED = shared_events.CLIENT_UPDATED
CLIENT_MERGED = shared_events.CLIENT_MERGED
SESSION_BOOKED = shared_events.SESSION_BOOKED
APPOINTMENT_BOOKED = shared_events.APPOINTMENT_BOOKED
COMPANY_CHANGED = shared_events.COMPANY_CHANGED
