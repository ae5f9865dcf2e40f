"""The company's partner API keys and publishable keys, administered at the booking gateway
(`/admin/...`, which verifies the staff member's signed caller token and holds the keys):
list, issue and revoke (owners), and the publishable key the "Copy Online Booking URL" links
carry (issued by the gateway on first use)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.identity import Caller

log = logging.getLogger(__name__)
TIMEOUT = 5.0


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    label: str
    kind: str  # "secret" or "publishable"
    active: bool
    created: str  # YYYY-MM-DD
    revoked: str  # YYYY-MM-DD or ""
    publishable_key: str  # in full for publishable keys (public by design)


@dataclass
class KeyAdminError(Exception):
    """The gateway refused or did not answer; `fields`: its field problems (field -> text)."""

    message: str
    status: int = 503
    fields: dict[str, str] | None = None


class KeyAdmin:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def _call(self, method: str, path: str, caller: Caller, body: dict[str, str] | None = None) -> Any:
        headers = dict(call_metadata(caller))
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT) as http:
                response = await http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("the booking gateway did not answer", extra={"error": type(exc).__name__})
            raise KeyAdminError("The booking gateway is not answering; try again in a moment.") from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            fields = {str(e.get("field", "")): str(e.get("detail", "")) for e in problem.get("errors", [])}
            message = {403: "Your role does not allow this.", 404: "There is no such active key."}.get(
                response.status_code, "The booking gateway refused this."
            )
            raise KeyAdminError(message, response.status_code, fields or None)
        return response.json()

    async def keys(self, caller: Caller) -> list[KeyRow]:
        found = await self._call("GET", "/admin/apiKeys", caller)
        return [
            KeyRow(
                k["key_id"],
                k["label"],
                k["kind"],
                k["state"] == "active",
                str(k["create_time"])[:10],
                str(k["revoke_time"] or "")[:10],
                k["publishable_key"],
            )
            for k in found["apiKeys"]
        ]

    async def issue(self, caller: Caller, label: str, kind: str) -> str:
        found = await self._call("POST", "/admin/apiKeys", caller, {"label": label, "kind": kind})
        return str(found["key"])

    async def revoke(self, caller: Caller, key_id: str) -> None:
        await self._call("POST", f"/admin/apiKeys/{key_id}/revoke", caller)

    async def booking_page_key(self, caller: Caller) -> str:
        found = await self._call("POST", "/admin/bookingPageKey", caller)
        return str(found["publishable_key"])
