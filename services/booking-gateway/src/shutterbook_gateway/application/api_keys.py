"""Partner API keys: `sbk_<key id>_<secret>` (secret: partner servers, every route) and
`pbk_<key id>_<secret>` (publishable: booking pages, only the catalog and the booking routes,
only from the origins the studio lists). The key id finds the row, the prefix must be the
row's kind, the secret's hash must match (compared in constant time), and a revoked key is
refused. Rows are cached per process (`KeyCache`); revoking emits `gateway.api_key.revoked`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import select

from shutterbook.gateway.v1 import events_pb2
from shutterbook_gateway.events import API_KEY_REVOKED
from shutterbook_gateway.storage.models import PartnerApiKeyRow
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

PREFIX = "sbk"
PUBLISHABLE_PREFIX = "pbk"
KIND_OF_PREFIX = {PREFIX: "secret", PUBLISHABLE_PREFIX: "publishable"}
# A revoked key is refused by every gateway process within this many seconds while NATS is up:
# the relay's idle poll (0.5 s) and the event's delivery, with room for a loaded machine. With
# NATS away, within the key cache's TTL (SHUTTERBOOK_GATEWAY_KEY_CACHE_SECONDS) instead.
REVOCATION_SECONDS = 5.0


@dataclass(frozen=True)
class Partner:
    key_id: str
    company_id: str
    location_ids: tuple[str, ...]
    publishable: bool = False
    allowed_origins: tuple[str, ...] = ()
    service: str = ""  # set when the gateway acts on its own for this key's bookings (recovery)

    def caller(self) -> Caller:
        """Who the services see: the key (kind PARTNER for a secret key, PUBLISHABLE for a
        booking page's key, scoped to its locations), or the gateway itself (kind SERVICE)
        settling this key's bookings."""
        if self.service:
            return Caller(self.company_id, CallerKind.SERVICE, self.service, display_name=f"partner:{self.key_id}")
        return Caller(
            self.company_id,
            CallerKind.PUBLISHABLE if self.publishable else CallerKind.PARTNER,
            self.key_id,
            location_ids=frozenset(self.location_ids) if self.location_ids else None,
        )

    def settling(self) -> Partner:
        """The gateway itself settling this key's booking (releasing its hold, refunding what it
        charged): compensation never needs the key to hold refund or void rights."""
        return replace(self, service=self.service or "gateway-saga")

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The gRPC metadata of calls made for this partner: a caller token signed by the gateway."""
        return call_metadata(self.caller())


def sha256_hex(secret: str) -> str:
    """How the gateway keeps secrets it must recognise (API keys, manage tokens): 256-bit random
    values, so a fast hash is as safe as a slow one."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(raw: str) -> tuple[str, str] | None:
    """(key id, secret) of a secret or publishable key, or None when it is neither."""
    parts = raw.strip().split("_", 2)  # the secret may itself hold underscores
    if len(parts) != 3 or parts[0] not in KIND_OF_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def is_secret_key(raw: str) -> bool:
    return raw.strip().startswith(PREFIX + "_") and split_key(raw) is not None


async def issue_key(
    db: Database,
    company_id: str,
    label: str,
    *,
    location_ids: list[str] | None = None,
    key_id: str | None = None,
    secret: str | None = None,
    publishable: bool = False,
    allowed_origins: list[str] | None = None,
) -> str:
    """Create a key and return it in full: the only time the secret is seen."""
    key_id = key_id or secrets.token_hex(8)
    secret = secret or secrets.token_urlsafe(32)
    full = f"{PUBLISHABLE_PREFIX if publishable else PREFIX}_{key_id}_{secret}"
    async with UnitOfWork(db) as uow:
        uow.session.add(
            PartnerApiKeyRow(
                key_id=key_id,
                company_id=company_id,
                label=label,
                secret_sha256=sha256_hex(secret),
                location_ids=location_ids or [],
                kind="publishable" if publishable else "secret",
                allowed_origins=allowed_origins or [],
                created_at=utcnow(),
                publishable_key=full if publishable else "",
            )
        )
        await uow.commit()
    return full


@dataclass(frozen=True)
class KeyRecord:
    """What the gateway knows of a key's row: enough to check a presented key without the database."""

    key_id: str
    company_id: str
    kind: str
    secret_sha256: str
    location_ids: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    revoked: bool

    def partner(self) -> Partner:
        return Partner(
            key_id=self.key_id,
            company_id=self.company_id,
            location_ids=self.location_ids,
            publishable=self.kind == "publishable",
            allowed_origins=self.allowed_origins,
        )


def check_key(record: KeyRecord | None, raw: str, secret: str) -> Partner | None:
    """The partner when `raw` (whose secret is `secret`) is the live key `record` describes."""
    if record is None or record.revoked or not hmac.compare_digest(record.secret_sha256, sha256_hex(secret)):
        return None
    if KIND_OF_PREFIX[raw.strip().split("_", 1)[0]] != record.kind:  # a publishable key's id with sbk_
        return None
    return record.partner()


async def load_key(db: Database, key_id: str) -> KeyRecord | None:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(PartnerApiKeyRow, key_id)
    if row is None:
        return None
    return KeyRecord(
        key_id=row.key_id,
        company_id=row.company_id,
        kind=row.kind,
        secret_sha256=row.secret_sha256,
        location_ids=tuple(row.location_ids),
        allowed_origins=tuple(row.allowed_origins),
        revoked=row.revoked_at is not None,
    )


async def authenticate(db: Database, raw: str, cache: KeyCache | None = None) -> Partner | None:
    """The partner behind a presented key, or None. With a cache, the key's row is read from the
    database at most once per `cache.ttl_seconds` (and again after its revocation event)."""
    parsed = split_key(raw)
    if parsed is None:
        return None
    key_id, secret = parsed
    if cache is None:
        return check_key(await load_key(db, key_id), raw, secret)
    record = cache.get(key_id)
    if record is None:
        record = await load_key(db, key_id)
        if record is not None:  # unknown ids are not kept: random ids must not fill the cache
            cache.put(record)
    return check_key(record, raw, secret)


class KeyCache:
    """Key rows held in this process for `ttl_seconds` (README, "API keys"): a revoked key is
    forgotten when its `gateway.api_key.revoked` event arrives, and at the latest when its
    entry expires. At most `max_entries` rows (the oldest go first)."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, KeyRecord]] = {}

    def get(self, key_id: str) -> KeyRecord | None:
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[key_id]
            return None
        return entry[1]

    def put(self, record: KeyRecord) -> None:
        if self.ttl_seconds <= 0:
            return
        self._entries.pop(record.key_id, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[record.key_id] = (self.clock() + self.ttl_seconds, record)

    def forget(self, key_id: str) -> None:
        self._entries.pop(key_id, None)

    def clear(self) -> None:
        self._entries.clear()


async def list_keys(db: Database, company_id: str | None = None) -> list[PartnerApiKeyRow]:
    """Every key (never its secret), newest first, optionally of one company."""
    query = select(PartnerApiKeyRow).order_by(PartnerApiKeyRow.created_at.desc())
    if company_id:
        query = query.where(PartnerApiKeyRow.company_id == company_id)
    async with UnitOfWork(db, readonly=True) as uow:
        return list((await uow.session.scalars(query)).all())


async def revoke_key(db: Database, key_id: str, company_id: str | None = None) -> bool:
    """Revoke an active key (only of `company_id` when given); False when there is none."""
    async with UnitOfWork(db, source="gateway") as uow:
        row = await uow.session.get(PartnerApiKeyRow, key_id)
        if row is None or row.revoked_at is not None or (company_id is not None and row.company_id != company_id):
            return False
        row.revoked_at = utcnow()
        # every gateway process drops the key from its cache when this arrives
        revoked = events_pb2.ApiKeyRevokedEvent(key_id=key_id)
        revoked.revoke_time.FromDatetime(row.revoked_at)
        uow.emit(API_KEY_REVOKED, row.company_id, revoked)
        await uow.commit()
    return True


BOOKING_PAGE_LABEL = "Online booking page"


async def booking_page_key(db: Database, company_id: str) -> str:
    """The company's publishable key for its booking URLs: the newest active one kept in full,
    or a new one issued now (the console's "Copy Online Booking URL" on first use)."""
    query = (
        select(PartnerApiKeyRow)
        .where(
            PartnerApiKeyRow.company_id == company_id,
            PartnerApiKeyRow.kind == "publishable",
            PartnerApiKeyRow.revoked_at.is_(None),
            PartnerApiKeyRow.publishable_key != "",
        )
        .order_by(PartnerApiKeyRow.created_at.desc())
    )
    async with UnitOfWork(db, readonly=True) as uow:
        rows = (await uow.session.scalars(query)).all()
    for row in rows:  # a key for some locations only would not book the others
        if not row.location_ids:
            return row.publishable_key
    return await issue_key(db, company_id, BOOKING_PAGE_LABEL, publishable=True)
