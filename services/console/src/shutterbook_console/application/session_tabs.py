"""The session record's detail tabs: the appointments linked to the session (scheduling) and its
invoices with their payments (billing; a role without billing.read is told so instead)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.client_records import Billing, load_billing
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

PAGE = 100


@dataclass
class SessionTabs:
    appointments: list[pb.Appointment]
    billing: Billing


async def session_tabs(up: Upstreams, caller: Caller, session: str) -> SessionTabs:
    request = pb.ListAppointmentsRequest(session=session, page_size=PAGE)
    appointments, billing = await asyncio.gather(
        up.call(up.scheduling.ListAppointments, request, caller), load_billing(up, caller, session=session)
    )
    return SessionTabs(sorted(appointments.appointments, key=lambda a: a.start_time.ToDatetime()), billing)
