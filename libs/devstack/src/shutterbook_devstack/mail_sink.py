"""The development SMTP sink: an aiosmtpd server on loopback that keeps every message it is
given as one `.eml` file under a folder (`make run`: `var/mailbox/`), and the listing the
console's Mailbox page reads, as a function (`list_mailbox`) or over HTTP (`MailboxHttp`:
`GET /messages`, `GET /messages/{id}`, `GET /messages/{id}.eml`). The tests use it as their
real SMTP server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    """aiosmtpd handler: write the message, then answer 250 (so it is never accepted unsaved);
    a recipient in `refusals` gets that answer to its RCPT instead (e.g. a 550 bounce)."""

    def __init__(self, folder: Path, accept_delay_seconds: float = 0.0, refusals: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.accept_delay_seconds = accept_delay_seconds
        self.refusals = refusals if refusals is not None else {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        refusal = self.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.accept_delay_seconds:  # a slow relay (tests)
            await asyncio.sleep(self.accept_delay_seconds)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        content = envelope.original_content or envelope.content
        tmp.write_bytes(content if isinstance(content, bytes) else str(content).encode())
        tmp.rename(self.folder / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


class MailSink:
    """`accept_delay_seconds`: how long the sink takes to answer each message's DATA (a slow
    relay, for tests; 0 in development). `refusals`: address -> the SMTP answer its RCPT gets,
    as a recipient's server would give it (`"550 5.1.1 no such mailbox"`: a bounce; `"452 ..."`:
    try later); tests may change it while the sink runs."""

    def __init__(
        self, folder: Path, *, host: str = "127.0.0.1", port: int = 8025, accept_delay_seconds: float = 0.0
    ) -> None:
        self.folder = folder
        self.host = host
        self.port = port
        self.accept_delay_seconds = accept_delay_seconds
        self.refusals: dict[str, str] = {}
        self._controller: Controller | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handler = _Keep(self.folder, self.accept_delay_seconds, self.refusals)
        self._controller = Controller(handler, hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[MailboxEntry]:
        return list_mailbox(self.folder)


@dataclass(frozen=True)
class MailboxEntry:
    id: str  # the file's name without .eml
    received_at: datetime
    sender: str
    to: str
    subject: str
    path: Path

    def message(self) -> EmailMessage:
        return read_message(self.path)


def read_message(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def list_mailbox(folder: Path) -> list[MailboxEntry]:
    """Every message in the folder, newest first."""
    if not folder.is_dir():
        return []
    return [_entry(path) for path in sorted(folder.glob("*.eml"), reverse=True)]


def find_message(folder: Path, message_id: str) -> MailboxEntry | None:
    """One message by its id (the file's name without .eml), reading that file alone: the
    demo data alone leaves a couple of hundred messages in `make run`'s folder."""
    path = folder / f"{message_id}.eml"
    if "/" in message_id or message_id.startswith(".") or not path.is_file():
        return None
    return _entry(path)


def _entry(path: Path) -> MailboxEntry:
    msg = read_message(path)
    received = datetime.strptime(path.name.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return MailboxEntry(
        id=path.stem,
        received_at=received,
        sender=str(msg.get("From", "")),
        to=str(msg.get("To", "")),
        subject=str(msg.get("Subject", "")).strip(),
        path=path,
    )


def message_json(entry: MailboxEntry, *, full: bool = False) -> dict[str, Any]:
    """What the Mailbox page shows of a message (with its bodies and attachment names if `full`)."""
    out: dict[str, Any] = {
        "id": entry.id,
        "received_at": entry.received_at.isoformat(),
        "from": entry.sender,
        "to": entry.to,
        "subject": entry.subject,
    }
    if full:
        msg = entry.message()
        plain, html = msg.get_body(preferencelist=("plain",)), msg.get_body(preferencelist=("html",))
        out["text"] = str(plain.get_content()) if plain is not None else ""
        out["html"] = str(html.get_content()) if html is not None else ""
        out["attachments"] = [part.get_filename() or "" for part in msg.iter_attachments()]
    return out


_ID = re.compile(r"^/messages/([0-9A-Za-z-]+?)(\.eml)?$")


class MailboxHttp:
    """A read-only JSON listing of the sink's folder on loopback, for the console's Mailbox page."""

    def __init__(self, folder: Path, *, host: str = "127.0.0.1", port: int = 8026) -> None:
        self.folder = folder
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        folder = self.folder

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] == "/messages":
                    listing = [message_json(e) for e in list_mailbox(folder)]
                    self._send(200, json.dumps({"messages": listing}).encode(), "application/json")
                    return
                match = _ID.match(self.path)
                entry = find_message(folder, match.group(1)) if match else None
                if match is None or entry is None:
                    self._send(404, b'{"detail": "no such message"}', "application/json")
                elif match.group(2):
                    self._send(200, entry.path.read_bytes(), "message/rfc822")
                else:
                    self._send(200, json.dumps(message_json(entry, full=True)).encode(), "application/json")

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="mailbox-http", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
