"""What happens to a session's money when it is cancelled (issue 16): the session record asks
rather than leaving payments silently behind. `keep` leaves the invoice and its payments as
they are; `void` voids an invoice that holds no money (one that does is refused, naming it);
`refund` refunds what is left of every payment of the session's invoices (online payments
through the payment provider), then voids them. Every step is done as the staff member, so
billing's permissions and refund limit apply; a retry repeats, never doubles (request ids)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument
from shutterbook_kit.identity import Caller

ACTIONS = ("keep", "void", "refund")
NAMESPACE = uuid.UUID("7f3c2a1e-5d4b-4c6a-9e8f-1a2b3c4d5e6f")


@dataclass
class Settled:
    refunded_minor: int = 0
    currency_code: str = ""
    voided: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


async def settle_cancelled(up: Upstreams, caller: Caller, session: str, action: str) -> Settled:
    if action not in ACTIONS:
        raise InvalidArgument(
            "choose what happens to the money", violations=[FieldViolation("money", "keep, void or refund")]
        )
    done = Settled()
    if action == "keep":
        return done
    reply = await up.call(up.billing.ListInvoices, bpb.ListInvoicesRequest(session=session, page_size=100), caller)
    for invoice in reply.invoices:
        if invoice.status == bpb.INVOICE_STATUS_VOID:
            continue
        done.currency_code = invoice.currency_code
        if action == "refund":
            payments = await up.call(
                up.billing.ListPayments, bpb.ListPaymentsRequest(invoice=invoice.name, page_size=100), caller
            )
            for payment in payments.payments:
                left = payment.amount.amount_minor - payment.amount_refunded.amount_minor
                if left <= 0:
                    continue
                try:
                    await up.call(
                        up.billing.RefundPayment,
                        bpb.RefundPaymentRequest(
                            name=payment.name,
                            reason="session cancelled",
                            request_id=_id(payment.name, "cancel-refund"),
                        ),
                        caller,
                        timeout=20.0,
                    )
                except UpstreamError as exc:
                    done.problems.append(f"A payment of {invoice.invoice_number} was not refunded: {exc.message}.")
                    continue
                done.refunded_minor += left
        elif invoice.amount_paid.amount_minor > 0:
            done.problems.append(
                f"{invoice.invoice_number} holds payments: refund them (choose Refund) before it can be voided."
            )
            continue
        try:
            await up.call(
                up.billing.VoidInvoice,
                bpb.VoidInvoiceRequest(name=invoice.name, request_id=_id(invoice.name, "cancel-void")),
                caller,
            )
        except UpstreamError as exc:
            done.problems.append(f"{invoice.invoice_number} was not voided: {exc.message}.")
            continue
        done.voided.append(invoice.invoice_number)
    return done
