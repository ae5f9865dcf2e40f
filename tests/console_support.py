"""The console served by uvicorn in this test process on a free loopback port, with its mail
caught, and helpers to log in the way a browser does (CSRF cookie first, then the header)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

import httpx

from shutterbook_console import main as console_main
from shutterbook_console.app import CSRF_COOKIE, CSRF_HEADER
from shutterbook_console.application.accounts import NewStaff, create_staff
from shutterbook_console.application.mailer import PasswordResetMail
from shutterbook_console.domain.staff import StaffAccount
from shutterbook_console.settings import ConsoleSettings
from shutterbook_devstack.nats_server import free_port
from shutterbook_devstack.testing import service_settings
from shutterbook_kit.db import Database

COMPANY = "0b8a4c3e-1f2d-4e5a-9c7b-6d5e4f3a2b10"
OTHER_COMPANY = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
LOCATION_A = "11111111-2222-4333-8444-555555555555"
LOCATION_B = "66666666-7777-4888-9999-aaaaaaaaaaaa"
PASSWORD = "a long enough password"


@dataclass
class RecordingMailer:
    """Keeps what the console would have mailed."""

    sent: list[PasswordResetMail] = field(default_factory=list)

    async def send_password_reset(self, mail: PasswordResetMail) -> None:
        self.sent.append(mail)


@dataclass
class Console:
    url: str
    db: Database
    mailer: RecordingMailer
    settings: ConsoleSettings

    async def staff(
        self, email: str, roles: list[str], *, company: str = COMPANY, locations: list[str] | None = None, **kw: str
    ) -> StaffAccount:
        name = kw.pop("name", email.split("@")[0].title())
        where = [LOCATION_A] if locations is None else locations
        new = NewStaff(name, email, kw.pop("password", PASSWORD), roles, where, kw.pop("schedule", ""))
        return await create_staff(self.db, company, new)

    def client(self, **kw: object) -> httpx.AsyncClient:
        # Idle connections are let go after 2 s, before the server's 5 s keep-alive closes
        # them: a request sent on a connection the server is closing fails with ReadError
        # (seen after a test waited about 5 s between two requests).
        kw.setdefault("limits", httpx.Limits(keepalive_expiry=2.0))
        return httpx.AsyncClient(base_url=self.url, **kw)  # type: ignore[arg-type]


async def csrf(http: httpx.AsyncClient) -> dict[str, str]:
    """The CSRF header a page's script would send (any GET sets the cookie)."""
    if CSRF_COOKIE not in http.cookies:
        (await http.get("/login")).raise_for_status()
    return {CSRF_HEADER: http.cookies[CSRF_COOKIE]}


def field_error(page: str, name: str) -> str:
    """The message a console page shows beside field `name` ("" for none), as plain text."""
    found = re.search(rf'id="{re.escape(name)}-error">(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>|⚠", "", found.group(1))).strip() if found else ""


def field_value(page: str, name: str) -> str:
    """The value a console page's text field `name` shows ("" for none)."""
    found = re.search(rf'id="{re.escape(name)}" name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


async def log_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/v1/session", json={"email": email, "password": password}, headers=await csrf(http))


@asynccontextmanager
async def console(
    database_url: str,
    *,
    scheduling: str = "127.0.0.1:1",
    clients: str = "127.0.0.1:1",
    billing: str = "127.0.0.1:1",
    record_mail: bool = True,
    **overrides: object,
) -> AsyncIterator[Console]:
    """`overrides` replace ConsoleSettings fields (public_url, lock_after_failures, smtp, ...);
    `scheduling`, `clients`, `billing`: the upstreams (nowhere by default: ids stand in);
    `record_mail=False`: the console's own mailer (SMTP when `smtp` is set) instead of a recorder."""
    port = free_port()
    service = service_settings(
        "console",
        database_url,
        "nats://127.0.0.1:1",
        port=port,
        upstreams={"scheduling": scheduling, "clients": clients, "billing": billing},
    )
    settings = replace(ConsoleSettings.from_env(service), **overrides)  # type: ignore[arg-type]
    mailer = RecordingMailer()
    server = await console_main.server(settings, mailer=mailer if record_mail else None)
    task = asyncio.create_task(server.serve())
    db = Database(database_url)
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        assert server.started, "the console did not start"
        yield Console(f"http://127.0.0.1:{port}", db, mailer, settings)
    finally:
        server.should_exit = True
        await task
        await db.dispose()
