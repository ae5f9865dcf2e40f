"""The whole stack for the Scheduling Wizard's tests: clients, scheduling and billing (sandbox
payment provider) with the demo studio seeded as `make run` does, the console's demo staff, and
the console pointed at all three."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import grpc
import pytest

from shutterbook_console import main as console_main
from shutterbook_console.demo import seed_demo_staff
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.demo import DEMO_COMPANY_ID, DEMO_PUBLISHABLE_KEY
from tests.console_support import Console, console
from tests.notifications_support import notifications_service
from tests.stack_support import Stack, booking_stack


@asynccontextmanager
async def wizard_stack(
    databases: DatabaseFactory,
    nats_url: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    studio_name: str = "",
    smtp: MailSink | None = None,
    portal: bool = False,
) -> AsyncIterator[tuple[Stack, Console]]:
    """`smtp`: notifications runs too (mailing through that sink), and the console calls it.
    `portal`: the console's booking page address is the gateway's, with the demo publishable key
    (the picture day letters link there)."""
    console_db = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    monkeypatch.setenv("SHUTTERBOOK_CONSOLE_DATABASE_URL", console_db)  # where the demo seeding puts staff
    async with booking_stack(databases, nats_url, demo=True) as stack:
        scheduling = f"127.0.0.1:{stack.services.scheduling_port}"
        async with grpc.aio.insecure_channel(scheduling) as channel:
            await seed_demo_staff(channel, DEMO_COMPANY_ID, console_db)
        async with AsyncExitStack() as more:
            extra: dict[str, Any] = {}
            if portal:
                extra.update(booking_page_url=stack.base_url, booking_page_key=DEMO_PUBLISHABLE_KEY)
            if smtp is not None:
                n = await more.enter_async_context(
                    notifications_service(
                        databases, nats_url, smtp, stack.services.scheduling_port, billing_port=stack.billing.port
                    )
                )
                extra["notifications_addr"] = f"127.0.0.1:{n.port}"
            c = await more.enter_async_context(
                console(
                    console_db,
                    scheduling=scheduling,
                    clients=f"127.0.0.1:{stack.services.clients_port}",
                    billing=f"127.0.0.1:{stack.billing.port}",
                    studio_name=studio_name,
                    **extra,
                )
            )
            yield stack, c
