"""The client record: the client (clients), memberships by year, the groups it is in, the history (clients' audit
trail), the client's sessions and appointments at the staff member's locations (scheduling),
invoices, payments and the balance (billing). Saving sends UpdateClient with only the fields
that changed; a new client goes through CreateClient."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.domain.client_form import ClientForm, form_field
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import DomainError, FieldViolation, InvalidArgument
from shutterbook_kit.identity import Caller
from shutterbook_kit.permissions import Permission, grants

PAGE = 200
HISTORY = 50


@dataclass(frozen=True)
class Membership:
    organization: str
    year: int
    role: str


@dataclass
class Billing:
    invoices: list[billing_pb2.Invoice] = field(default_factory=list)
    payments: dict[str, list[billing_pb2.Payment]] = field(default_factory=dict)
    balance: dict[str, int] = field(default_factory=dict)  # currency -> minor units due
    deposits: list[billing_pb2.Deposit] = field(default_factory=list)  # the client's, oldest first
    refused: str = ""  # why invoices are not shown (role, billing down)


@dataclass
class ClientRecord:
    client: clients_pb2.Client
    memberships: list[Membership]
    groups: list[clients_pb2.ClientGroup]
    sessions: list[pb.Session]
    appointments: list[pb.Appointment]
    billing: Billing
    history: list[audit_pb2.AuditEntry]
    names: dict[str, str]  # types, statuses, locations, schedules: resource name -> display name
    may_edit: bool
    hidden_elsewhere: int = 0
    may_merge: bool = False  # sessions and appointments at locations the staff member does not work at


def may_edit_clients(caller: Caller) -> bool:
    return Permission.CLIENTS_WRITE in grants(caller)


def may_merge_clients(caller: Caller) -> bool:
    return Permission.CLIENTS_DELETE in grants(caller)


async def _memberships(up: Upstreams, caller: Caller, name: str) -> list[Membership]:
    c = up.clients
    listed, orgs = await asyncio.gather(
        up.call(c.ListMemberships, clients_pb2.ListMembershipsRequest(client=name, page_size=PAGE), caller),
        up.call(c.ListOrganizations, clients_pb2.ListOrganizationsRequest(page_size=1000), caller),
    )
    titles = {o.name: o.display_name for o in orgs.organizations}
    found = [Membership(titles.get(m.organization, m.organization), m.year, m.role) for m in listed.memberships]
    return sorted(found, key=lambda m: (-m.year, m.organization.lower()))


async def load_billing(up: Upstreams, caller: Caller, *, client: str = "", session: str = "") -> Billing:
    """The invoices of a client or of a session, each paid one's payments, and the balance due
    (void invoices left out); a role without billing.read, or billing down, is told why."""
    if Permission.BILLING_READ not in grants(caller):
        return Billing(refused="Your role does not show invoices and payments.")
    b = up.billing
    try:
        request = billing_pb2.ListInvoicesRequest(client=client, session=session, page_size=PAGE)
        invoices = await up.call(b.ListInvoices, request, caller)
        paid = [i for i in invoices.invoices if i.amount_paid.amount_minor]
        asks = [billing_pb2.ListPaymentsRequest(invoice=i.name, page_size=100) for i in paid]
        payments = await asyncio.gather(*(up.call(b.ListPayments, ask, caller) for ask in asks))
        deposits = (
            await up.call(b.ListDeposits, billing_pb2.ListDepositsRequest(client=client, page_size=PAGE), caller)
            if client
            else billing_pb2.ListDepositsResponse()
        )
    except UpstreamError as exc:
        return Billing(refused=f"Invoices are not available: {exc.message}.")
    balance: dict[str, int] = defaultdict(int)
    for invoice in invoices.invoices:
        if invoice.status != billing_pb2.INVOICE_STATUS_VOID:
            balance[invoice.balance.currency_code or invoice.currency_code] += invoice.balance.amount_minor
    return Billing(
        list(invoices.invoices),
        {i.name: list(p.payments) for i, p in zip(paid, payments, strict=True)},
        dict(balance),
        list(deposits.deposits),
    )


async def names(up: Upstreams, caller: Caller) -> dict[str, str]:
    """Display names of the session types, statuses, locations and schedules of the company."""
    s = up.scheduling
    types, statuses, locations, schedules = await asyncio.gather(
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=1000), caller),
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=1000), caller),
        up.call(s.ListLocations, pb.ListLocationsRequest(page_size=1000), caller),
        up.call(s.ListSchedules, pb.ListSchedulesRequest(page_size=1000), caller),
    )
    found: dict[str, str] = {}
    for items in (types.session_types, statuses.session_statuses, locations.locations, schedules.schedules):
        found |= {x.name: x.display_name for x in items}
    return found


async def load_client(up: Upstreams, caller: Caller, name: str) -> ClientRecord:
    """The record; sessions and appointments only at the caller's locations (the count of the
    others is kept, so the page can say some are not shown)."""
    c, s = up.clients, up.scheduling
    client = await up.call(c.GetClient, clients_pb2.GetClientRequest(name=name), caller)
    (memberships, groups), sessions, appointments, billing, history, known = await asyncio.gather(
        asyncio.gather(
            _memberships(up, caller, name),
            up.call(c.ListClientGroups, clients_pb2.ListClientGroupsRequest(client=name, page_size=PAGE), caller),
        ),
        up.call(s.ListSessions, pb.ListSessionsRequest(client=name, page_size=PAGE), caller),
        up.call(s.ListAppointments, pb.ListAppointmentsRequest(client=name, page_size=PAGE), caller),
        load_billing(up, caller, client=name),
        up.call(c.ListAuditEntries, audit_pb2.ListAuditEntriesRequest(parent=name, page_size=HISTORY), caller),
        names(up, caller),
    )
    mine = [x for x in sessions.sessions if caller.may_see_location(x.location.removeprefix("locations/"))]
    visits = [x for x in appointments.appointments if caller.may_see_location(x.location.removeprefix("locations/"))]
    hidden = len(sessions.sessions) - len(mine) + len(appointments.appointments) - len(visits)
    return ClientRecord(
        client,
        memberships,
        list(groups.client_groups),
        sorted(mine, key=lambda x: x.start_time.ToDatetime(), reverse=True),
        sorted(visits, key=lambda x: x.start_time.ToDatetime(), reverse=True),
        billing,
        list(history.audit_entries),
        known,
        may_edit_clients(caller),
        hidden,
        may_merge_clients(caller),
    )


def _as_form_errors(exc: DomainError, sent: ClientForm) -> DomainError:
    """The clients service's violations renamed to the form's fields."""
    violations = getattr(exc, "violations", [])
    if not violations:
        return exc
    renamed = [FieldViolation(form_field(v.field, sent.member_rows), v.description) for v in violations]
    if isinstance(exc, UpstreamError):
        return UpstreamError(exc.message, reason=exc.reason, violations=renamed, status=exc.status)
    return InvalidArgument(exc.message, violations=renamed)


async def save_client(up: Upstreams, caller: Caller, form: ClientForm) -> clients_pb2.Client:
    """UpdateClient with the changed fields (nothing changed: nothing sent)."""
    if not form.mask:
        return form.client
    request = clients_pb2.UpdateClientRequest(client=form.client)
    request.update_mask.paths.extend(form.mask)
    try:
        return await up.call(up.clients.UpdateClient, request, caller)
    except DomainError as exc:
        raise _as_form_errors(exc, form) from exc


async def create_client(up: Upstreams, caller: Caller, form: ClientForm, request_id: str) -> clients_pb2.Client:
    """CreateClient; `request_id` (from the form) makes a double submit create one client."""
    try:
        uuid.UUID(request_id)
    except ValueError:
        request_id = ""
    request = clients_pb2.CreateClientRequest(client=form.client, request_id=request_id)
    try:
        return await up.call(up.clients.CreateClient, request, caller)
    except DomainError as exc:
        raise _as_form_errors(exc, form) from exc
