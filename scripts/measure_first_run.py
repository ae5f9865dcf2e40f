"""How long the first `make run` takes on a fresh clone with empty package caches.

    python3 scripts/measure_first_run.py [--source DIR] [--keep] [--timeout SECONDS]

Clones the repository (its committed HEAD) into a temporary folder, gives uv and pip empty
caches of their own (UV_CACHE_DIR, PIP_CACHE_DIR under that folder), runs `make run` on free
ports as a new user would, and prints how many seconds passed until each step appeared in its
output: the environment installed, the banner printed (which `make run` prints only once the
demo data is seeded). It then checks that the gateway is ready and serves the demo data,
stops the stack with SIGINT (Ctrl-C) and removes the folder. Exit 0 when the stack came up.

Run it with the machine's Python (not the project's venv: the clone makes its own). Beside
the seconds it prints the CPU seconds the whole process tree had used at each step: on a
shared machine the seconds depend on the others' load, the CPU seconds much less (on 2 idle
cores the wall time of a step is at least half its CPU time). PYTHONDONTWRITEBYTECODE is
taken out of the environment, as a new user's shell does not set it (`--no-bytecode` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BANNER_END = "Press Ctrl-C to stop."
# Lines of interest, in the order they appear: (label, text the line contains)
MARKS = [
    ("uv ready", "uv sync"),
    ("environment installed", "shutterbook-dev run"),
    ("every process up (NATS, migrations, services)", "every process is up"),
    ("banner printed, demo seeded", BANNER_END),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_settings(clone: Path) -> list[str]:
    """The `<NAME>_PORT` settings of every process `make run` starts, read from the clone's
    table as text (importing it needs the kit's dependencies, which this Python lacks), with
    NATS's and the mail sink's, so a stack already running on the defaults is no bother."""
    table = clone / "libs" / "devstack" / "src" / "shutterbook_devstack" / "services.py"
    found = re.findall(r'port_setting="([A-Z_]+)"', table.read_text()) if table.exists() else []
    if not found:  # a checkout from before the table
        found = ["CLIENTS_PORT", "SCHEDULING_PORT", "BILLING_PORT", "GATEWAY_PORT"]
    return [*found, "DEV_NATS_PORT", "DEV_SMTP_PORT", "DEV_MAILBOX_PORT"]


def _session_cpu_seconds(session: int) -> float:
    """CPU seconds (user + system) used so far by every process of `session`, with the
    children they have reaped (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError as err:
        return 0, str(err).encode()


def measure(source: Path, timeout: float, keep: bool, python: str, no_bytecode: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="shutterbook-first-run-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "--quiet", str(source), str(clone)], check=True)
    head = subprocess.run(["git", "-C", str(clone), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    print(f"clone of {source} at {head.stdout.strip()} in {clone}")
    ports = {setting: _free_port() for setting in _port_settings(clone)}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHUTTERBOOK_", "VIRTUAL_ENV", "UV_", "PIP_CACHE_DIR", "PYTHONPATH"))
    }
    env.update({f"SHUTTERBOOK_{setting}": str(port) for setting, port in ports.items()})
    if not no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["UV_CACHE_DIR"] = str(work / "uv-cache")
    env["PIP_CACHE_DIR"] = str(work / "pip-cache")
    log_path = work / "make-run.log"
    seen: dict[str, float] = {}
    cpu: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    lines: list[str] = []
    start = time.monotonic()
    process = subprocess.Popen(
        ["make", "run", f"PYTHON={python}"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def read() -> None:
        assert process.stdout is not None
        with open(log_path, "w") as log:
            for raw in process.stdout:
                line = raw.decode(errors="replace")
                log.write(line)
                log.flush()
                lines.append(line)
                for label, text in MARKS:
                    if label not in seen and text in line:
                        seen[label] = time.monotonic() - start
                        cpu[label] = _session_cpu_seconds(process.pid)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ok = False
    try:
        deadline = start + timeout
        while "banner printed, demo seeded" not in seen:
            if process.poll() is not None or time.monotonic() > deadline:
                print("make run did not come up; its output:\n" + "".join(lines)[-6000:], file=sys.stderr)
                return 1
            time.sleep(0.05)
        gateway = f"http://127.0.0.1:{ports.get('GATEWAY_PORT', 8000)}"
        ready, _ = _get(f"{gateway}/readyz")
        key = next((line.split()[-1] for line in lines if "demo partner key" in line), "")
        request = urllib.request.Request(f"{gateway}/v1/session-types", headers={"X-Api-Key": key})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        types = [t.get("name") for t in json.loads(body or b"{}").get("types", [])]
        ok = ready == 200 and status == 200 and bool(types)
        print(f"after the banner: /readyz {ready}, online session types {types or status}")
    finally:
        stop_start = time.monotonic()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        reader.join(timeout=5)
        stopped = time.monotonic() - stop_start
        print(f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} (above the core count: shared)")
        print("seconds  CPU s  step")
        for label, _ in MARKS:
            if label in seen:
                print(f"{seen[label]:7.1f}  {cpu.get(label, 0):5.1f}  {label}")
        if "environment installed" in seen and "banner printed, demo seeded" in seen:
            started = seen["banner printed, demo seeded"] - seen["environment installed"]
            print(f"{started:7.1f}         of it from start to banner (NATS, migrations, services, demo data)")
        print(f"{stopped:7.1f}         to stop after Ctrl-C")
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=REPO, help="repository to clone (default: this one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the banner")
    parser.add_argument("--keep", action="store_true", help="keep the clone, caches and log")
    parser.add_argument("--python", default=str(Path(sys.base_prefix) / "bin" / "python3"))
    parser.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set")
    args = parser.parse_args()
    return measure(args.source, args.timeout, args.keep, args.python, args.no_bytecode)


if __name__ == "__main__":
    sys.exit(main())
