"""The console in front of the real clients, scheduling and billing services, seeded with the
`make run` demo studio (clients with families and memberships, two locations, sessions,
appointments, invoices and payments) and its demo staff. For the record and hub tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from shutterbook_console import main as console_main
from shutterbook_devstack.demo import seed_demo
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID
from tests.billing_support import Billing, billing_service
from tests.console_support import Console, console
from tests.helpers import Slice, clients_and_scheduling

DEMO_META = company_metadata(DEMO_COMPANY_ID)


@dataclass
class ConsoleStack:
    console: Console
    services: Slice
    billing: Billing


@asynccontextmanager
async def console_stack(
    databases: DatabaseFactory, nats_url: str, *, booking_page_url: str = "", booking_page_key: str = ""
) -> AsyncIterator[ConsoleStack]:
    """`booking_page_*`: where the type editor's "Copy Online Booking URL" points."""
    async with (
        clients_and_scheduling(databases, nats_url) as services,
        billing_service(databases, nats_url, slow_seconds=0.0) as billing,
    ):
        console_db = await databases.new("console", migrate_with=console_main.MIGRATIONS)
        await seed_demo(
            {"clients": services.clients_port, "scheduling": services.scheduling_port, "billing": billing.port},
            console_database_url=console_db,
        )
        async with console(
            console_db,
            scheduling=f"127.0.0.1:{services.scheduling_port}",
            clients=f"127.0.0.1:{services.clients_port}",
            billing=f"127.0.0.1:{billing.port}",
            booking_page_url=booking_page_url,
            booking_page_key=booking_page_key,
        ) as c:
            yield ConsoleStack(c, services, billing)


@pytest.fixture(name="stack", scope="module")
async def module_console_stack(
    module_sqlite_databases: DatabaseFactory, module_nats_server: EmbeddedNats
) -> AsyncIterator[ConsoleStack]:
    """`stack`: one demo console stack for all the tests of the module that imports this (seeding
    the demo takes long); each test works on records of its own or asserts only what it did."""
    async with console_stack(module_sqlite_databases, module_nats_server.url) as s:
        yield s
