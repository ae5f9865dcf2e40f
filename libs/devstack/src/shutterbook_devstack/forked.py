"""Service processes forked from one server that imported their shared libraries once.

Every service of `make run` is a Python that imports the same libraries (SQLAlchemy and
Alembic, grpcio and protobuf, Litestar and uvicorn, OpenTelemetry, the kit): about two thirds
of each one's start-up CPU, six times over on a 2-core machine. multiprocessing's
`forkserver` starts one clean Python (exec'd, not forked from this process: it holds none of
the supervisor's state, no event loop, no gRPC channel, no thread), imports `PRELOAD` there
once, and forks each service from it; the service then imports only its own modules.

A forked service behaves as an exec'd one for the supervisor (`ForkedProcess` has the part of
`subprocess.Popen` it uses): its own process group, SIGTERM if its parent goes, stdout and
stderr appended to its log, exactly the environment it is given, its console script's
`main` with its arguments. Commands that are not console scripts of this venv (nats-server)
are exec'd as before. `SHUTTERBOOK_DEV_FORK=0` turns forking off (every service exec'd).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

DISABLE_SETTING = "SHUTTERBOOK_DEV_FORK"
# What the fork server imports once: the libraries every service imports (a name this venv
# lacks is skipped). Only libraries and the kit: no service module, and nothing that reads
# the environment or starts anything when imported.
PRELOAD = (
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "aiosqlite",
    "alembic.command",
    "alembic.runtime.migration",
    "alembic.operations",
    "grpc.aio",
    "grpc_health.v1.health",
    "google.protobuf.json_format",
    "litestar",
    "uvicorn",
    "httpx",
    "nats",
    "opentelemetry.sdk.trace",
    "opentelemetry.instrumentation.grpc",
    "opentelemetry.instrumentation.sqlalchemy",
    "jinja2",
    "shutterbook_kit.cli",
    "shutterbook_kit.grpc_server",
    "shutterbook_kit.grpc_client",
    "shutterbook_kit.uow",
    "shutterbook_kit.relay",
    "shutterbook_kit.consumer",
    "shutterbook_kit.pagination",
    "shutterbook_kit.permissions",
)


class ForkedProcess:
    """A service forked by the fork server, seen through `subprocess.Popen`'s interface."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process
        assert process.pid is not None
        self.pid: int = process.pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not self._process.is_alive():
            self.returncode = self._process.exitcode
        return self.returncode

    def wait(self) -> int:
        self._process.join()
        code = self.poll()
        assert code is not None
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """Starts the fork server early (`warm`, while NATS starts) and forks services from it."""

    def __init__(self, preload: Sequence[str] = PRELOAD) -> None:
        self._context: multiprocessing.context.ForkServerContext = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))

    @staticmethod
    def enabled(environ: Mapping[str, str]) -> bool:
        return sys.platform.startswith("linux") and environ.get(DISABLE_SETTING, "1") != "0"

    def warm(self) -> None:
        """Start the server now; it imports `PRELOAD` while the caller goes on."""
        multiprocessing.forkserver.ensure_running()

    def spawn(self, name: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> ForkedProcess | None:
        """Fork `argv` (a console script of this venv, as `resolve_command` gives it) from the
        server; None when it is not one (the caller execs it)."""
        entry = console_script(argv[0])
        if entry is None:
            return None
        process = self._context.Process(
            target=run_entry_point, args=(entry, list(argv), dict(env), str(log_path)), name=name, daemon=True
        )
        process.start()
        return ForkedProcess(process)


def console_script(path: str) -> str | None:
    """`module:function` of the console script at `path`, when it is one of this venv's."""
    script = Path(path)
    if script.parent != Path(sys.executable).parent:
        return None
    for entry in importlib.metadata.entry_points(group="console_scripts", name=script.name):
        return str(entry.value)
    return None


def run_entry_point(entry: str, argv: list[str], env: dict[str, str], log_path: str) -> None:
    """In the forked service: detach as the supervisor's exec'd children do, write to the log,
    take the given environment and arguments, and run the console script's function."""
    from shutterbook_devstack.supervisor import detached_child_setup  # the one setup of every child

    detached_child_setup()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(env)
    sys.argv = argv
    module, _, attribute = entry.partition(":")
    target: object = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    assert callable(target)
    result = target()
    if isinstance(result, int) and result:
        raise SystemExit(result)
