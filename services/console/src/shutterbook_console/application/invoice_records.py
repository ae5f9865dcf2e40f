"""The invoice record (`/invoices/{id}`): the invoice with its lines and totals (billing), its
payments and refunds, and its history (billing's audit trail of the invoice and of each of its
payments, newest first). A role without billing.read is refused before billing is asked; an
invoice of another company is billing's NOT_FOUND, one of a session at a location the staff
member does not work at is NOT_FOUND here too (the location asked of scheduling when billing's
invoice does not carry it)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.timestamp_pb2 import Timestamp

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.confirmation import postal_address
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.errors import NotFound, PermissionDenied
from shutterbook_kit.identity import Caller
from shutterbook_kit.permissions import Permission, grants

HISTORY = 50


@dataclass
class InvoiceRecord:
    invoice: billing_pb2.Invoice
    payments: list[billing_pb2.Payment]
    history: list[audit_pb2.AuditEntry]
    zone: str  # the session's location's IANA zone, or "UTC"

    def when(self, ts: Timestamp) -> str:
        """A time in the location's zone (or UTC), labelled with the zone."""
        if not ts.seconds:
            return ""
        moment = datetime.fromtimestamp(ts.seconds, UTC).astimezone(ZoneInfo(self.zone))
        return f"{moment:%Y-%m-%d %H:%M} {self.zone}"


def may_read_invoices(caller: Caller) -> bool:
    return Permission.BILLING_READ in grants(caller)


def may_void_invoices(caller: Caller) -> bool:
    """Shows the Void button (managers, owners); billing decides when one is sent anyway."""
    return Permission.BILLING_VOID in grants(caller)


async def void_invoice(up: Upstreams, caller: Caller, name: str, request_id: str) -> billing_pb2.Invoice:
    """VoidInvoice as the staff member; billing refuses one holding money or a role without
    billing.void. `request_id` (from the form) makes a double submit one void."""
    try:
        uuid.UUID(request_id)
    except ValueError:
        request_id = ""
    request = billing_pb2.VoidInvoiceRequest(name=name, request_id=request_id)
    return await up.call(up.billing.VoidInvoice, request, caller)


async def load_invoice(up: Upstreams, caller: Caller, name: str) -> InvoiceRecord:
    if not may_read_invoices(caller):
        raise PermissionDenied("your role does not show invoices and payments.")
    b = up.billing
    invoice, zone = await visible_invoice(up, caller, name)
    listed, own = await asyncio.gather(
        up.call(b.ListPayments, billing_pb2.ListPaymentsRequest(invoice=name, page_size=1000), caller),
        up.call(b.ListAuditEntries, audit_pb2.ListAuditEntriesRequest(parent=name, page_size=HISTORY), caller),
    )
    asks = [audit_pb2.ListAuditEntriesRequest(parent=p.name, page_size=HISTORY) for p in listed.payments]
    theirs = await asyncio.gather(*(up.call(b.ListAuditEntries, ask, caller) for ask in asks))
    entries = [*own.audit_entries, *(e for t in theirs for e in t.audit_entries)]
    entries.sort(key=lambda e: (e.create_time.seconds, e.create_time.nanos), reverse=True)
    payments = sorted(listed.payments, key=lambda p: (p.create_time.seconds, p.create_time.nanos))
    return InvoiceRecord(invoice, payments, entries, zone)


async def visible_invoice(up: Upstreams, caller: Caller, name: str) -> tuple[billing_pb2.Invoice, str]:
    """The invoice and its session's zone ("UTC" without one); one of a session at a location
    the staff member does not work at is NOT_FOUND."""
    invoice = await up.call(up.billing.GetInvoice, billing_pb2.GetInvoiceRequest(name=name), caller)
    location, zone = await _where(up, caller, invoice)
    if location and not caller.may_see_location(location.removeprefix("locations/")):
        raise NotFound("invoice not found")
    return invoice, _zone(zone)


async def _where(up: Upstreams, caller: Caller, invoice: billing_pb2.Invoice) -> tuple[str, str]:
    """The session's location and its zone: billing's copy when it has one, else scheduling's
    (an invoice made by CreateInvoice names its session only; its session details are filled
    in from scheduling here, for the page and the receipts). No session: none."""
    details = invoice.session_details
    if details.location or not invoice.session:
        return details.location, details.time_zone
    s = up.scheduling
    session = await up.call(s.GetSession, pb.GetSessionRequest(name=invoice.session), caller)
    place = await up.call(s.GetLocation, pb.GetLocationRequest(name=session.location), caller)
    details.session = session.name
    details.session_number = details.session_number or session.session_number
    details.location, details.time_zone = session.location, place.time_zone
    details.location_display_name, details.location_address = place.display_name, postal_address(place)
    return session.location, place.time_zone


def _zone(name: str) -> str:
    """The location's zone when it is a known one, else UTC."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name
