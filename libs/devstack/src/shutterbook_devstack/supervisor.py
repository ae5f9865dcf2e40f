"""A development supervisor: start processes, know when they are up, restart one that dies
(with a growing backoff, saying so, as Kubernetes would), and stop them in order.

Every process runs in a process group of its own, so the terminal's Ctrl-C reaches only the
supervisor, which then stops them in the order it chooses (the services, then NATS). On
Linux each also gets SIGTERM if the supervisor itself dies, so nothing is left listening.
Processes are only ever started from the thread that runs the event loop (the parent-death
signal belongs to the thread that forked).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shutterbook_devstack.forked import ForkServer
from shutterbook_devstack.services import Health

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
# A process that ran this long before dying is restarted after the first backoff again.
BACKOFF_RESET_AFTER_SECONDS = 60.0
PR_SET_PDEATHSIG = 1
# While starting, a process that exits this many times without ever answering its health
# check is reported instead of restarted again.
START_ATTEMPTS = 3


def _tail(child: Child, lines: int = 15) -> str:
    try:
        text = child.log_path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(f"  {line}" for line in text.splitlines()[-lines:])


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def detached_child_setup() -> None:
    """`preexec_fn` of every supervised process: a process group of its own (Ctrl-C reaches
    the supervisor only) and, on Linux, SIGTERM when the supervisor dies."""
    os.setpgid(0, 0)
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def resolve_command(argv: Sequence[str]) -> list[str]:
    """A first element found beside this Python (a console script of the venv, or `python`)
    runs from there; anything else is looked up on PATH as usual."""
    beside = Path(sys.executable).parent / argv[0]
    return [str(beside) if beside.exists() else argv[0], *argv[1:]]


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


async def _grpc_serving(host: str, port: int) -> bool:
    """A fresh channel per check, and only once the port takes connections: a channel that
    failed to connect waits out gRPC's reconnect backoff (seconds, growing) before it tries
    again, which would delay noticing a service that just came up."""
    if not await _tcp_open(host, port):
        return False
    async with grpc.aio.insecure_channel(f"{host}:{port}") as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
        except grpc.aio.AioRpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


async def _http_ok(host: str, port: int, path: str) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=1.0)
        parts = status_line.split()
        return len(parts) >= 2 and parts[1] == b"200"
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


async def _tcp_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


class Process(Protocol):
    """What the supervisor uses of a running process (`subprocess.Popen` or `ForkedProcess`)."""

    @property
    def pid(self) -> int: ...
    @property
    def returncode(self) -> int | None: ...
    def poll(self) -> int | None: ...
    def wait(self) -> int: ...
    def send_signal(self, signum: int) -> None: ...
    def kill(self) -> None: ...


class Child:
    """One supervised process: started, checked, restarted, stopped. Given a `fork_server`, a
    console script of this venv is forked from it instead of exec'd (see `forked.py`)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        health: Health,
        env: Mapping[str, str],
        log_path: Path,
        pid_path: Path | None = None,
        host: str = "127.0.0.1",
        fork_server: ForkServer | None = None,
    ) -> None:
        self.name = name
        self.fork_server = fork_server
        self.argv = resolve_command(argv)
        self.port = port
        self.health = health
        self.env = dict(env)
        self.log_path = log_path
        self.pid_path = pid_path
        self.host = host
        self.process: Process | None = None
        self.up = False
        self.ever_up = False
        self.exits_before_up = 0
        self.restarts = 0
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.backoff = BACKOFF_FIRST_SECONDS
        self._log: IO[bytes] | None = None

    def spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        forked = None
        if self.fork_server is not None:
            forked = self.fork_server.spawn(self.name, self.argv, self.env, self.log_path)
        if forked is not None:
            self.process = forked
        else:
            if self._log is None:
                self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in close()
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                preexec_fn=detached_child_setup,  # only ever forked from the event loop's thread
            )
        self.started_at = time.monotonic()
        self.up = False
        if self.pid_path is not None:
            self.pid_path.parent.mkdir(parents=True, exist_ok=True)
            self.pid_path.write_text(f"{self.process.pid}\n")

    async def healthy(self) -> bool:
        if self.health.kind == "grpc":
            return await _grpc_serving(self.host, self.port)
        if self.health.kind == "http":
            return await _http_ok(self.host, self.port, self.health.path)
        return await _tcp_open(self.host, self.port)

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    async def close(self) -> None:
        if self.pid_path is not None:
            self.pid_path.unlink(missing_ok=True)
        if self._log is not None:
            self._log.close()
            self._log = None


class Supervisor:
    """Keeps `children` running. `say` reports what it does (restarts, recoveries)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.children: list[Child] = []
        self.say = say
        self.stopping = False

    def add(self, child: Child) -> Child:
        self.children.append(child)
        return child

    def start(self, children: Sequence[Child]) -> None:
        for child in children:
            child.spawn()

    async def tend(self) -> None:
        """One round: notice exits, restart what is due, check health of what is not up yet."""
        now = time.monotonic()
        pending: list[Child] = []
        for child in self.children:
            process = child.process
            exit_code = process.poll() if process is not None else None
            if process is not None and exit_code is not None:
                child.process, child.up = None, False
                if self.stopping:
                    continue
                if not child.ever_up:
                    child.exits_before_up += 1
                if now - child.started_at >= BACKOFF_RESET_AFTER_SECONDS:
                    child.backoff = BACKOFF_FIRST_SECONDS
                child.restart_at = now + child.backoff
                self.say(
                    f"{child.name} exited ({describe_exit(exit_code)}); restarting it in "
                    f"{child.backoff:.1f} s (restart {child.restarts + 1}; log: {child.log_path})"
                )
                child.backoff = min(child.backoff * 2, BACKOFF_MAX_SECONDS)
            elif process is None and child.restart_at is not None and now >= child.restart_at and not self.stopping:
                child.restart_at = None
                child.restarts += 1
                child.spawn()
                assert child.process is not None
                self.say(f"{child.name} restarted (pid {child.process.pid})")
            elif process is not None and not child.up:
                pending.append(child)
        if pending:
            results = await asyncio.gather(*(c.healthy() for c in pending))
            for child, ok in zip(pending, results, strict=True):
                if ok and child.process is not None and child.process.poll() is None:
                    child.up = child.ever_up = True
                    if child.restarts:
                        self.say(f"{child.name} is back: its health check passes")

    async def wait_up(self, children: Sequence[Child], timeout: float, stop: asyncio.Event) -> None:
        """Until every one of `children` is up (restarting any that die meanwhile; one that
        exits `START_ATTEMPTS` times without ever coming up is a failure, not worth waiting for)."""
        deadline = time.monotonic() + timeout
        while not all(c.up for c in children):
            if stop.is_set():
                return
            failing = [c for c in children if c.exits_before_up >= START_ATTEMPTS]
            if failing:
                names = ", ".join(f"{c.name} (log: {c.log_path})" for c in failing)
                raise RuntimeError(f"exited {START_ATTEMPTS} times without coming up: {names}\n{_tail(failing[0])}")
            if time.monotonic() > deadline:
                late = ", ".join(f"{c.name} (log: {c.log_path})" for c in children if not c.up)
                raise RuntimeError(f"not up in {timeout:.0f} s: {late}")
            await self.tend()
            await asyncio.sleep(0.05)

    async def stop(self, children: Sequence[Child], timeout: float, force: asyncio.Event) -> list[str]:
        """SIGTERM `children` at once and wait for them (SIGKILL after `timeout`, or at once
        when `force` is set: a second Ctrl-C). Returns the problems seen."""
        self.stopping = True
        problems: list[str] = []
        for child in children:
            child.restart_at = None
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            process, killed = child.process, False
            while process is not None and process.poll() is None:
                if force.is_set() or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    killed = True
                    problems.append(f"{child.name} did not stop in time; killed")
                else:
                    await asyncio.sleep(0.05)
            code = process.poll() if process is not None else None
            if code is not None and not killed and code not in (0, -signal.SIGTERM):
                problems.append(f"{child.name} stopped with {describe_exit(code)}")
            child.process = None
            await child.close()
        return problems
