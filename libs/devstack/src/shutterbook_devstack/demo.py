"""Demo data for `make run`, created through the services' own gRPC APIs once they are up,
so the events flow as they would for real data (clients -> scheduling's and billing's
directories, booked sessions -> auto-created invoices). Each service's demo functions are
idempotent, so a second `make run` creates nothing new.

What does not depend on each other runs side by side: the clients, and the price list then
the studio's catalogue (locations, staff, rooms, types). Then the invoices, the bookings
(whose clients are handed to scheduling with EnsureKnownClient, not awaited through their
events; a few location-days at once) and the console's staff accounts, then the online time
slots (after the bookings, whose rooms they must not take).
The events the demo caused go on flowing for a few seconds after this returns (the
directories learning the clients, the demo sessions' invoices); nothing the booking page
shows waits on them.
"""

from __future__ import annotations

import asyncio

import grpc

from shutterbook.clients.v1 import clients_pb2
from shutterbook_billing import demo as billing_demo
from shutterbook_clients import demo as clients_demo
from shutterbook_console import demo as console_demo
from shutterbook_kit.demo import DEMO_COMPANY_ID
from shutterbook_scheduling import demo as scheduling_demo
from shutterbook_scheduling import online_demo


async def seed_demo(
    ports: dict[str, int], *, host: str = "127.0.0.1", console_database_url: str | None = None
) -> list[str]:
    """Seed the demo company in every service; returns what was seeded, for the banner. The
    console's demo staff go straight into its database: `console_database_url`, or the one
    its settings name (`make run`: var/console.db)."""
    channels = {name: grpc.aio.insecure_channel(f"{host}:{port}") for name, port in ports.items()}
    company = DEMO_COMPANY_ID
    try:

        async def catalogue() -> tuple[dict[str, str], scheduling_demo.DemoCatalogue]:
            items = await billing_demo.seed_demo_catalogue(channels["billing"], company)
            return items, await scheduling_demo.seed_demo_catalogue(channels["scheduling"], company, items)

        clients: list[clients_pb2.Client]
        clients, (items, studio) = await asyncio.gather(
            clients_demo.seed_demo_clients(channels["clients"], company), catalogue()
        )
        names = [c.name for c in clients]
        _, _, staff = await asyncio.gather(
            billing_demo.seed_demo_invoices(channels["billing"], company, names, items),
            scheduling_demo.seed_demo_bookings(channels["scheduling"], company, studio, clients),
            console_demo.seed_demo_staff(channels["scheduling"], company, console_database_url),
        )
        slots = await online_demo.seed_demo_slots(channels["scheduling"], company)
    finally:
        for channel in channels.values():
            await channel.close()
    return [
        f"{len(clients)} clients",
        f"{len(items)} price list items, invoices, payments, a deposit",
        "locations, staff, rooms, types, sessions, appointments",
        f"{slots} online time slots",
        f"{staff} console staff",
    ]
