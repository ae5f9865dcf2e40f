"""The development supervisor of `make run` on real processes: it knows when a process is up
(its health check), restarts one that dies with a growing backoff and says so, and stops
them all with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from shutterbook_devstack.forked import ForkedProcess, ForkServer
from shutterbook_devstack.nats_server import EmbeddedNats, free_port, port_open
from shutterbook_devstack.run import banner
from shutterbook_devstack.services import (
    GRPC_HEALTH,
    NATS_DEFAULT_PORT,
    SERVICES,
    TCP_HEALTH,
    http_health,
    port_settings,
)
from shutterbook_devstack.supervisor import BACKOFF_FIRST_SECONDS, START_ATTEMPTS, Child, Supervisor, resolve_command
from shutterbook_devstack.testing import DatabaseFactory


def _http_server(port: int, tmp_path: Path) -> Child:
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(tmp_path), str(port)]
    return Child(
        "web",
        argv,
        port=port,
        health=http_health("/"),
        env=os.environ,
        log_path=tmp_path / "logs" / "web.log",
        pid_path=tmp_path / "run" / "web.pid",
    )


async def test_a_dead_process_is_restarted_with_backoff_and_stopped_at_the_end(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append)
    child = supervisor.add(_http_server(free_port(), tmp_path))
    supervisor.start([child])
    never = asyncio.Event()
    await supervisor.wait_up([child], timeout=30, stop=never)
    assert child.process is not None
    first_pid = child.process.pid
    assert (tmp_path / "run" / "web.pid").read_text().strip() == str(first_pid)

    os.kill(first_pid, signal.SIGKILL)
    for _ in range(600):  # bounded: 30 s
        await supervisor.tend()
        if child.up and child.process is not None and child.process.pid != first_pid:
            break
        await asyncio.sleep(0.05)
    assert child.up, said
    assert child.process is not None
    assert child.process.pid != first_pid
    assert said[0].startswith(f"web exited (signal SIGKILL); restarting it in {BACKOFF_FIRST_SECONDS:.1f} s")
    assert said[1] == f"web restarted (pid {child.process.pid})"
    assert said[2] == "web is back: its health check passes"
    assert child.backoff == BACKOFF_FIRST_SECONDS * 2  # the next restart waits longer
    assert (tmp_path / "run" / "web.pid").read_text().strip() == str(child.process.pid)

    problems = await supervisor.stop([child], timeout=10, force=never)
    assert problems == []
    assert child.process is None
    assert not port_open("127.0.0.1", child.port)
    assert not (tmp_path / "run" / "web.pid").exists()
    assert len(said) == 3  # stopping is not dying: no restart


async def test_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append)
    port = free_port()
    script = (
        "import signal, socket, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
        "time.sleep(60)\n"
    )
    child = supervisor.add(
        Child(
            "stubborn",
            [sys.executable, "-c", script],
            port=port,
            health=TCP_HEALTH,
            env=os.environ,
            log_path=tmp_path / "stubborn.log",
        )
    )
    supervisor.start([child])
    await supervisor.wait_up([child], timeout=30, stop=asyncio.Event())
    problems = await supervisor.stop([child], timeout=0.5, force=asyncio.Event())
    assert problems == ["stubborn did not stop in time; killed"]
    assert not port_open("127.0.0.1", port)


async def test_a_process_that_never_comes_up_is_reported_with_its_log(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append)
    script = "import sys; print('cannot open the database', file=sys.stderr); sys.exit(3)"
    child = supervisor.add(
        Child(
            "broken",
            [sys.executable, "-c", script],
            port=free_port(),
            health=TCP_HEALTH,
            env=os.environ,
            log_path=tmp_path / "broken.log",
        )
    )
    supervisor.start([child])
    with pytest.raises(RuntimeError, match=f"exited {START_ATTEMPTS} times without coming up: broken") as raised:
        await supervisor.wait_up([child], timeout=60, stop=asyncio.Event())
    assert "cannot open the database" in str(raised.value)
    assert said[0] == f"broken exited (exit code 3); restarting it in 0.5 s (restart 1; log: {child.log_path})"
    await supervisor.stop([child], timeout=5, force=asyncio.Event())


def test_the_service_table_is_consistent(tmp_path: Path) -> None:
    """Every entry of `make run`'s table has its own name, port and setting, a command the venv
    has, and banner lines and environment that format."""
    names = [spec.name for spec in SERVICES]
    assert len(set(names)) == len(names)
    settings = port_settings()
    assert len(set(settings)) == len(settings)
    defaults = [spec.default_port for spec in SERVICES] + [NATS_DEFAULT_PORT]
    assert len(set(defaults)) == len(defaults)
    for spec in SERVICES:
        assert Path(resolve_command(spec.command)[0]).exists(), spec.command
    ports = {spec.name: spec.default_port for spec in SERVICES}
    text = banner(SERVICES, ports, tmp_path, "nats://127.0.0.1:4322", ["3 clients"])
    for spec in SERVICES:
        for line in spec.banner:
            assert line.split("{", 1)[0].strip() in text
        for value in spec.env.values():
            fill = {"var": tmp_path, "port": ports[spec.name], "ports": {**ports, "nats": NATS_DEFAULT_PORT}}
            value.format(**fill, mailbox="http://127.0.0.1:8026/messages")
    assert text.strip().endswith("Press Ctrl-C to stop.")


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="make run forks its services on Linux only")
async def test_a_service_forked_from_the_fork_server_serves_restarts_and_stops(
    tmp_path: Path, sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """`make run`'s way: the clients service forked from the fork server (which imported the
    shared libraries once), with its own environment, log and process group, restarted
    through the fork server after a SIGKILL, stopped by SIGTERM."""
    said: list[str] = []
    supervisor = Supervisor(said.append)
    port = free_port()
    env = {
        **os.environ,
        "SHUTTERBOOK_CLIENTS_DATABASE_URL": await sqlite_databases.new("clients"),
        "SHUTTERBOOK_NATS_URL": nats_server.url,
        "SHUTTERBOOK_CLIENTS_PORT": str(port),  # only the child's environment says where to listen
    }
    log = tmp_path / "logs" / "clients.log"
    child = supervisor.add(
        Child(
            "clients",
            ["shutterbook-clients", "serve", "--migrate"],
            port=port,
            health=GRPC_HEALTH,
            env=env,
            log_path=log,
            fork_server=ForkServer(),
        )
    )
    never = asyncio.Event()
    supervisor.start([child])
    await supervisor.wait_up([child], timeout=60, stop=never)
    first = child.process
    assert isinstance(first, ForkedProcess)
    assert _parent_of(first.pid) != os.getpid()  # the fork server's child, not ours
    assert os.getpgid(first.pid) == first.pid  # a process group of its own: Ctrl-C is not its
    assert log.read_text().strip(), "the service writes to its own log"

    os.kill(first.pid, signal.SIGKILL)
    for _ in range(1200):  # bounded: 60 s
        await supervisor.tend()
        if child.up and child.process is not None and child.process.pid != first.pid:
            break
        await asyncio.sleep(0.05)
    assert child.up, said
    assert isinstance(child.process, ForkedProcess)
    assert said[0].startswith("clients exited (signal SIGKILL); restarting it")

    problems = await supervisor.stop([child], timeout=20, force=never)
    assert problems == []
    assert not port_open("127.0.0.1", port)
    assert "stopped" in log.read_text()
