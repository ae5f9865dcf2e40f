"""What notifications reads from other services over gRPC: a location's name and address
(scheduling, cached per process for a few minutes), the staff of a session, and what a
session owes (billing: its invoices that are not void)."""

from __future__ import annotations

import time

import grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2, scheduling_pb2_grpc
from shutterbook_kit.grpc_client import call_metadata, open_channel, retry_safe_methods
from shutterbook_kit.tenancy import CallContext
from shutterbook_notifications.application.sessions import StaffContact
from shutterbook_notifications.domain.account import AccountLine, SessionAccount
from shutterbook_notifications.domain.context import LocationFacts

CALLER = "service:notifications"
_TTL_SECONDS = 300.0


def address_text(loc: scheduling_pb2.Location) -> str:
    """The postal address on one line, without a first line that only repeats the location's
    name (letters print the name before the address)."""
    a = loc.address
    tail = " ".join(p for p in (a.administrative_area, a.postal_code) if p)
    lines = [line for line in a.address_lines if line.strip().casefold() != loc.display_name.strip().casefold()]
    return ", ".join(p for p in [*lines, a.locality, tail] if p)


class SchedulingClient:
    def __init__(self, target: str) -> None:
        service = scheduling_pb2.DESCRIPTOR.services_by_name["SchedulingService"]
        self.channel = open_channel(target, service.full_name, retry_safe_methods(service))
        self.stub = scheduling_pb2_grpc.SchedulingServiceStub(self.channel)
        self._cache: dict[tuple[str, str], tuple[float, LocationFacts]] = {}

    async def find(self, company_id: str, location_id: str) -> LocationFacts:
        """The location's name and address; an unknown location has neither. Raises when
        scheduling does not answer (the event is retried)."""
        if not location_id:
            return LocationFacts()
        key = (company_id, location_id)
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            loc = await self.stub.GetLocation(
                scheduling_pb2.GetLocationRequest(name=f"locations/{location_id}"),
                metadata=call_metadata(CallContext(company_id=company_id, caller=CALLER)),
                timeout=5.0,
            )
            found = LocationFacts(name=loc.display_name, address=address_text(loc))
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
            found = LocationFacts()
        self._cache[key] = (time.monotonic() + _TTL_SECONDS, found)
        return found

    async def session_staff(self, company_id: str, session_id: str) -> list[StaffContact]:
        """The photographer and assistant of a session who have an email address."""
        md = call_metadata(CallContext(company_id=company_id, caller=CALLER))
        try:
            session = await self.stub.GetSession(
                scheduling_pb2.GetSessionRequest(name=f"sessions/{session_id}"), metadata=md, timeout=5.0
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        found: list[StaffContact] = []
        for schedule_name in dict.fromkeys(n for n in (session.photographer, session.assistant) if n):
            schedule = await self.stub.GetSchedule(
                scheduling_pb2.GetScheduleRequest(name=schedule_name), metadata=md, timeout=5.0
            )
            if not schedule.staff_member:
                continue
            staff = await self.stub.GetStaffMember(
                scheduling_pb2.GetStaffMemberRequest(name=schedule.staff_member), metadata=md, timeout=5.0
            )
            if staff.email:
                found.append(StaffContact(staff.name.removeprefix("staffMembers/"), staff.display_name, staff.email))
        return found

    async def close(self) -> None:
        await self.channel.close()


def account_of(invoices: list[billing_pb2.Invoice]) -> SessionAccount | None:
    """The invoices that are not void, summed in the first one's currency (others left out)."""
    live = [i for i in invoices if i.status != billing_pb2.INVOICE_STATUS_VOID]
    if not live:
        return None
    currency = live[0].currency_code
    same = [i for i in live if i.currency_code == currency]
    return SessionAccount(
        currency_code=currency,
        lines=[
            AccountLine(line.description, line.quantity or 1, line.unit_price.amount_minor, line.total.amount_minor)
            for invoice in same
            for line in invoice.lines
        ],
        total_minor=sum(i.total.amount_minor for i in same),
        paid_minor=sum(i.amount_paid.amount_minor for i in same),
        balance_minor=sum(i.balance.amount_minor for i in same),
    )


class BillingClient:
    def __init__(self, target: str) -> None:
        service = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]
        self.channel = open_channel(target, service.full_name, retry_safe_methods(service))
        self.stub = billing_pb2_grpc.BillingServiceStub(self.channel)

    async def session_account(self, company_id: str, session_id: str) -> SessionAccount | None:
        """What the session owes; None when it has no invoice. Raises when billing does not
        answer (the event, or the staff request, is retried)."""
        reply = await self.stub.ListInvoices(
            billing_pb2.ListInvoicesRequest(session=f"sessions/{session_id}", page_size=50),
            metadata=call_metadata(CallContext(company_id=company_id, caller=CALLER)),
            timeout=5.0,
        )
        return account_of(list(reply.invoices))

    async def close(self) -> None:
        await self.channel.close()


class Upstreams:
    """Every read notifications makes of other services (`application.sessions.UpstreamReads`)."""

    def __init__(self, scheduling: SchedulingClient, billing: BillingClient) -> None:
        self.scheduling = scheduling
        self.billing = billing

    async def find(self, company_id: str, location_id: str) -> LocationFacts:
        return await self.scheduling.find(company_id, location_id)

    async def session_staff(self, company_id: str, session_id: str) -> list[StaffContact]:
        return await self.scheduling.session_staff(company_id, session_id)

    async def session_account(self, company_id: str, session_id: str) -> SessionAccount | None:
        return await self.billing.session_account(company_id, session_id)

    async def close(self) -> None:
        await self.scheduling.close()
        await self.billing.close()
