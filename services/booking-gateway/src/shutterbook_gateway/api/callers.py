"""Who is calling: the verified partner behind the API key (looked up once per request, through
the process's key cache, `app.state.key_cache`), and
the client's address (X-Forwarded-For believed only from configured proxies)."""

from __future__ import annotations

import ipaddress

from litestar.datastructures import Headers
from litestar.types import Scope

from shutterbook_gateway.application.api_keys import KeyCache, Partner, authenticate
from shutterbook_gateway.settings import Network
from shutterbook_kit.db import Database

API_KEY_HEADER = "x-api-key"
_PARTNER = "shutterbook.partner"  # key in the connection's scope state


async def verified_partner(scope: Scope, db: Database) -> Partner | None:
    """The partner whose key this request carries, if the key is valid; checked once per request."""
    state = scope.setdefault("state", {})
    if _PARTNER not in state:
        raw = Headers.from_scope(scope).get(API_KEY_HEADER, "")
        cache: KeyCache | None = getattr(scope["litestar_app"].state, "key_cache", None)
        state[_PARTNER] = await authenticate(db, raw, cache) if raw else None
    partner: Partner | None = state[_PARTNER]
    return partner


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The peer's address; when the peer is a trusted proxy, the right-most address of
    X-Forwarded-For that is not itself a trusted proxy (anything left of it is the client's
    say, and a client may say anything)."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted:
        return str(peer)

    def is_trusted(text: str) -> bool:
        addr = _address(text)
        return addr is not None and any(addr in net for net in trusted)

    if not is_trusted(peer):
        return str(peer)
    forwarded = ",".join(Headers.from_scope(scope).getall("x-forwarded-for", []))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            addr = _address(hop)
            return str(addr) if addr is not None else str(peer)  # a garbled hop: the proxy is the client
    return str(peer)
