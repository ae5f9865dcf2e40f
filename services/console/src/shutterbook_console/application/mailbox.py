"""Development: the messages the local SMTP sink kept, read from its JSON listing
(`SHUTTERBOOK_CONSOLE_DEV_MAILBOX_URL`, `make run`: `http://127.0.0.1:8026/messages`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

MESSAGE_ID = re.compile(r"^[0-9A-Za-z-]{1,80}$")
TIMEOUT_SECONDS = 5.0
MAX_LISTED = 500  # the newest; a long-running development stack keeps more on disk


class MailboxUnavailable(Exception):
    """The sink's listing did not answer (not running, or not where the setting says)."""


@dataclass(frozen=True)
class MailboxMessage:
    id: str
    received_at: datetime
    sender: str
    to: str
    subject: str
    text: str = ""
    html: str = ""
    attachments: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> MailboxMessage:
        return cls(
            id=str(raw["id"]),
            received_at=datetime.fromisoformat(str(raw["received_at"])),
            sender=str(raw.get("from", "")),
            to=str(raw.get("to", "")),
            subject=str(raw.get("subject", "")),
            text=str(raw.get("text", "")),
            html=str(raw.get("html", "")),
            attachments=[str(name) for name in raw.get("attachments", [])],
        )


class DevMailbox:
    def __init__(self, listing_url: str) -> None:
        self.listing_url = listing_url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    async def _get(self, url: str) -> httpx.Response:
        try:
            return await self.http.get(url)
        except httpx.HTTPError as exc:
            raise MailboxUnavailable(type(exc).__name__) from exc

    async def messages(self) -> list[MailboxMessage]:
        """Every message the sink kept, newest first."""
        response = await self._get(self.listing_url)
        if response.status_code != 200:
            raise MailboxUnavailable(f"HTTP {response.status_code}")
        listed = [MailboxMessage.from_json(raw) for raw in response.json().get("messages", [])]
        return sorted(listed, key=lambda m: (m.received_at, m.id), reverse=True)[:MAX_LISTED]

    async def message(self, message_id: str) -> MailboxMessage | None:
        """One message with its text and HTML parts and attachment names; None if unknown."""
        if not MESSAGE_ID.match(message_id):
            return None
        response = await self._get(f"{self.listing_url}/{message_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MailboxUnavailable(f"HTTP {response.status_code}")
        return MailboxMessage.from_json(response.json())

    async def close(self) -> None:
        await self.http.aclose()
