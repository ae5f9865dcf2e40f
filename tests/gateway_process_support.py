"""The gateway as its own OS process (so its memory is its own), and raw HTTP/1.1 clients
for what httpx will not send: chunked bodies of any size and headers sent slowly."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shutterbook_devstack.nats_server import free_port
from tests.helpers import start_service_process


@dataclass
class GatewayProcess:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]

    def rss_bytes(self) -> int:
        """Resident set size of the gateway process (Linux /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


@asynccontextmanager
async def gateway_process(
    database_url: str, upstreams: dict[str, str], log: Path, **env: str
) -> AsyncIterator[GatewayProcess]:
    port = free_port()
    addrs = {f"SHUTTERBOOK_{name.upper()}_ADDR": addr for name, addr in upstreams.items()}
    process = start_service_process("gateway", database_url, "nats://127.0.0.1:1", port, log, **addrs, **env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            for _ in range(300):  # at most ~30 s
                if process.poll() is not None:
                    raise AssertionError(f"the gateway exited; see {log}")
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the gateway did not start")
        yield GatewayProcess(base_url=base_url, port=port, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def parse_response(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2 :]
        body = out
    return RawResponse(status, headers, body)


async def send_chunked(
    port: int, path: str, headers: dict[str, str], *, total_bytes: int, chunk_bytes: int = 1 << 20, seconds: float = 60
) -> tuple[RawResponse | None, int]:
    """POST a chunked body of up to `total_bytes` (bounded by `seconds`), stopping as soon as
    the server answers; returns the response (None if the connection broke first) and the
    bytes sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode())
    chunk = b"%x\r\n" % chunk_bytes + b'{"a":"' + b"x" * (chunk_bytes - 6) + b"\r\n"
    answer = asyncio.create_task(_read_response(reader, seconds))
    sent = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        while sent < total_bytes and not answer.done() and loop.time() < deadline:
            writer.write(chunk)
            await writer.drain()
            sent += chunk_bytes
            await asyncio.sleep(0)  # drain() need not yield: let the reader see an early answer
        if not answer.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    try:
        raw = await asyncio.wait_for(answer, timeout=max(deadline - loop.time(), 5))
    except (ConnectionError, OSError, TimeoutError):
        raw = b""
    finally:
        writer.close()
    return (parse_response(raw) if raw else None), sent


async def _read_response(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Bytes of one response: up to its Content-Length, the end of its chunks, or the close."""
    raw = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        try:
            part = await asyncio.wait_for(reader.read(1 << 16), timeout=max(deadline - loop.time(), 0.01))
        except TimeoutError:
            break
        if not part:
            break
        raw += part
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            continue
        lines = head.lower().split(b"\r\n")
        length = [ln for ln in lines if ln.startswith(b"content-length:")]
        if length and len(body) >= int(length[0].split(b":")[1]):
            break
        if b"transfer-encoding: chunked" in lines and body.endswith(b"0\r\n\r\n"):
            break
    return raw


async def send_raw(port: int, data: bytes, *, seconds: float = 10) -> RawResponse:
    """Send these bytes as they are and read the answer (bounded)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return parse_response(await _read_response(reader, seconds))
    finally:
        writer.close()
