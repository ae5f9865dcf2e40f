"""`make run` from a fresh clone, as a user would start it: the environment is created,
NATS starts from the wheel, all four services answer their health checks, and a Ctrl-C
(SIGINT to the whole process group, as a terminal sends it) stops everything cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shutterbook_devstack.nats_server import free_port, port_open

REPO = Path(__file__).resolve().parents[2]


def _grpc_serving(port: int) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def _http_json(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=3) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_make_run_from_a_fresh_clone(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    ports = {name: free_port() for name in ("gateway", "clients", "scheduling", "billing", "dev_nats")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHUTTERBOOK_", "VIRTUAL_ENV", "UV_PROJECT"))}
    env.update({f"SHUTTERBOOK_{name.upper()}_PORT": str(port) for name, port in ports.items()})
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
    try:
        deadline = time.monotonic() + 240
        while b"Press Ctrl-C to stop." not in log.read_bytes():
            assert process.poll() is None, f"make run exited early:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"make run did not come up:\n{log.read_text()[-4000:]}"
            time.sleep(0.5)
        output = log.read_text()
        assert f"http://127.0.0.1:{ports['gateway']}/docs" in output
        assert f"nats://127.0.0.1:{ports['dev_nats']}" in output  # its own NATS, not the one on 4222
        assert (clone / "var" / "clients.db").exists()

        for service in ("clients", "scheduling", "billing"):
            assert _grpc_serving(ports[service]), service
        assert _http_json(f"http://127.0.0.1:{ports['gateway']}/healthz")[0] == 200
        status, body = _http_json(f"http://127.0.0.1:{ports['gateway']}/readyz")
        assert status == 200
        assert b'"ready"' in body

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        process.wait(timeout=60)
        output = log.read_text()
        assert "stopped." in output, output[-4000:]
        assert "did not stop in time" not in output
        for name, port in ports.items():
            assert not port_open("127.0.0.1", port), f"{name} still listening on {port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _base_python() -> str:
    """The interpreter the venv was made from: a fresh machine's Python, not our venv's."""
    return str(Path(sys.base_prefix) / "bin" / "python3")
