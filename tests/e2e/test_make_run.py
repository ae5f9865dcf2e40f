"""`make run` from a fresh clone, as a user would start it: the environment is created (the
runtime packages only), NATS starts from the wheel, every process of the devstack's table
answers its health check, the banner comes only once the demo data is in (and /readyz says so),
a customer books on the booking page the banner names and the demo front desk it names logs
into the console and opens the confirmation in the Mailbox (issue 18's must-show, in Debian
chromium; screenshots in test-artifacts/make-run/1280x800/), a service killed with SIGKILL is
restarted by the supervisor and the suite keeps serving, and a Ctrl-C (SIGINT to the whole
process group, as a terminal sends it) stops the services first, then NATS: every service logs
"stopped", no log has a traceback, every port is free again."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from playwright.async_api import expect

from shutterbook_devstack.nats_server import free_port, port_open
from shutterbook_devstack.services import NATS_PORT_SETTING, SERVICES, port_settings
from shutterbook_kit.demo import DEMO_API_KEY
from tests.booking_page_browser import book_as_customer
from tests.browser_support import ARTIFACTS, launched_chromium, require_chromium, screenshot
from tests.console_browser import logged_in

REPO = Path(__file__).resolve().parents[2]
KILLED = "scheduling"  # the booking page reads through it
ONLINE_TYPES = ["Family Portrait", "Mini Session"]  # the demo's session types booked online
CUSTOMER = "ada.makerun@example.com"
SIZE = (1280, 800)


def _grpc_serving(port: int) -> bool:
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError as err:
        return 0, str(err).encode()


def _wait(what: str, check: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert process.poll() is None, f"make run exited early:\n{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s:\n{log.read_text()[-4000:]}"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.timeout(480)  # the start, a booking through a browser and its email, the stop
def test_make_run_from_a_fresh_clone(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    require_chromium()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    ports = {setting: free_port() for setting in [*port_settings(), "DEV_SMTP_PORT", "DEV_MAILBOX_PORT"]}
    port_of = {spec.name: ports[spec.port_setting] for spec in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHUTTERBOOK_", "VIRTUAL_ENV", "UV_PROJECT"))}
    env.update({f"SHUTTERBOOK_{setting}": str(port) for setting, port in ports.items()})
    log = tmp_path / "make-run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["make", "run", f"PYTHON={_base_python()}"],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    gateway = f"http://127.0.0.1:{port_of['gateway']}"
    try:
        _wait("the banner", lambda: b"Press Ctrl-C to stop." in log.read_bytes(), process, log, 240)
        output = log.read_text()
        assert f"{gateway}/docs" in output
        assert f"nats://127.0.0.1:{ports[NATS_PORT_SETTING]}" in output  # its own NATS, not the one on 4222
        assert f"http://127.0.0.1:{port_of['console']}/" in output
        assert "frontdesk@example.com" in output
        assert (clone / "var" / "clients.db").exists()
        # runtime packages only: no test or lint tools in the venv make run made
        assert not (clone / ".venv" / "bin" / "pytest").exists()
        assert not (clone / ".venv" / "bin" / "mypy").exists()

        assert f"mail goes to       smtp://127.0.0.1:{ports['DEV_SMTP_PORT']}" in output
        status, listing = _get(f"http://127.0.0.1:{ports['DEV_MAILBOX_PORT']}/messages")
        assert status == 200
        assert b'"messages"' in listing
        assert _get(f"http://127.0.0.1:{port_of['console']}/readyz")[0] == 200
        for spec in SERVICES:
            if spec.health.kind == "grpc":
                assert _grpc_serving(port_of[spec.name]), spec.name
        assert _get(f"{gateway}/healthz")[0] == 200
        # ready means the demo data it serves is there: the banner came after the seeding
        status, body = _get(f"{gateway}/readyz")
        assert status == 200, body
        assert json.loads(body)["demo_data"] == "seeded"
        assert _online_types(gateway) == ONLINE_TYPES

        # issue 18's must-show: what the banner prints is enough to book, log in and read mail
        asyncio.run(
            _booking_reaches_the_console_mailbox(
                booking_page=_banner_field(output, r"booking page\s+(\S+)"),
                console=_banner_field(output, r"staff console\s+(\S+)"),
                login=_banner_field(output, r"demo login\s+(\S+)\s+\(front desk\)"),
                password=_banner_field(output, r"demo password\s+(\S+)"),
                mailbox=_banner_field(output, r"\n  mailbox\s+(http\S+)"),
                process=process,
            )
        )

        # the supervisor restarts a service that dies, and the suite keeps serving
        pid_file = clone / "var" / "run" / f"{KILLED}.pid"
        killed_pid = int(pid_file.read_text())
        os.kill(killed_pid, signal.SIGKILL)
        _wait(
            f"{KILLED} restarted",
            lambda: f"{KILLED} restarted" in log.read_text() and int(pid_file.read_text()) != killed_pid,
            process,
            log,
            30,
        )
        _wait(f"{KILLED} SERVING again", lambda: _grpc_serving(port_of[KILLED]), process, log, 30)
        _wait("a booking-page read", lambda: _online_types(gateway) == ONLINE_TYPES, process, log, 30)
        output = log.read_text()
        assert f"{KILLED} exited (signal SIGKILL); restarting it in" in output
        assert f"{KILLED} is back" in output or _grpc_serving(port_of[KILLED])

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        process.wait(timeout=90)
        output = log.read_text()
        assert "stopped." in output, output[-4000:]
        assert "did not stop in time" not in output
        assert "stopped with" not in output, output[-4000:]
        for setting, port in ports.items():
            assert not port_open("127.0.0.1", port), f"{setting}: {port} still taken"
        for spec in SERVICES:
            text = (clone / "var" / "logs" / f"{spec.name}.log").read_text()
            assert "Traceback" not in text, f"{spec.name}.log:\n{text[-4000:]}"
            assert _messages(text).count("stopped") >= 1, f"{spec.name} never logged stopped:\n{text[-2000:]}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _banner_field(output: str, pattern: str) -> str:
    match = re.search(pattern, output)
    assert match, f"{pattern!r} not in the banner:\n{output[-4000:]}"
    return match.group(1)


async def _booking_reaches_the_console_mailbox(
    *, booking_page: str, console: str, login: str, password: str, mailbox: str, process: subprocess.Popen[bytes]
) -> None:
    """A customer books on the booking page; the confirmation reaches the SMTP sink exactly
    once; the front desk logs into the console, finds it in the Mailbox and opens it."""
    shots = ARTIFACTS / "make-run" / f"{SIZE[0]}x{SIZE[1]}"
    shots.mkdir(parents=True, exist_ok=True)
    async with launched_chromium() as browser:
        href = await book_as_customer(
            browser,
            booking_page.split("/book", 1)[0],
            type_name="Mini Session",
            email=CUSTOMER,
            zone="America/Chicago",
            name=("Ada", "Lovelace"),
            screenshots=str(shots),
        )
        booking_id = urlsplit(href).path.rsplit("/", 1)[-1]
        async with httpx.AsyncClient(timeout=5) as http:
            # the notifications service consumes the booking event (it may first retry until
            # the new client reaches it) and sends through the sink make run started
            for _ in range(600):
                assert process.poll() is None, "make run exited while the confirmation was awaited"
                listing = (await http.get(mailbox)).json()["messages"]
                if any(m["to"] == CUSTOMER for m in listing):
                    break
                await asyncio.sleep(0.2)
            assert [m["to"] for m in listing].count(CUSTOMER) == 1, listing

        async with logged_in(browser, console, SIZE, login, password) as (page, _):
            await expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
            await screenshot(page, "make-run", SIZE, "console-home")
            await page.get_by_role("link", name="Mailbox").click()
            # the sink lists every message the demo data sent too: a loaded machine takes a while
            await expect(page.get_by_role("heading", name="Mailbox")).to_be_visible(timeout=30_000)
            row = page.locator("table.mail-list tbody tr").filter(has_text=CUSTOMER)
            await expect(row).to_have_count(1, timeout=30_000)
            # newest first, so near the top (the demo data's own mail lies below): the top only
            await row.scroll_into_view_if_needed()
            await page.screenshot(path=str(shots / "mailbox-list.png"))
            await row.get_by_role("link").click()
            await expect(page.locator(".mail-to")).to_have_text(re.compile(re.escape(CUSTOMER)), timeout=30_000)
            await expect(page.locator("ul.attachments")).to_contain_text("booking.ics")
            text = page.locator("pre.mail-text")
            await expect(text).to_contain_text("Mini Session")
            await expect(text).to_contain_text(href if href.startswith("http") else booking_id)
            await expect(page.frame_locator("iframe.mail-html").locator("body")).to_contain_text("Mini Session")
            await screenshot(page, "make-run", SIZE, "mailbox-confirmation")


def _online_types(gateway: str) -> list[str]:
    status, body = _get(f"{gateway}/v1/session-types", {"X-Api-Key": DEMO_API_KEY})
    if status != 200:
        return []
    return sorted(t["name"] for t in json.loads(body)["types"])


def _messages(log_text: str) -> list[str]:
    """The messages of a service's JSON log lines (other lines, e.g. of a library, skipped)."""
    out = []
    for line in log_text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(str(record.get("message", "")))
    return out


def _base_python() -> str:
    """The interpreter the venv was made from: a fresh machine's Python, not our venv's."""
    return str(Path(sys.base_prefix) / "bin" / "python3")
