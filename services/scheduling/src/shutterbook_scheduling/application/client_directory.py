"""Scheduling's directory of clients (the known-client aggregate, domain/known_clients.py): kept
from the clients service's events, read by sessions (a session's client must be known here, its
participants must be the client's family members) and by the API.

Every applied event counts one revision on the client's row. Deletes are soft (the row
stays, marked), and a merge re-points the merged client's sessions and appointments to
the survivor, in the same transaction as the inbox entry.

EnsureKnownClient applies a client version at once, as its event will (for a caller that has
just created or found the client and must book without waiting for the event); a version not
newer than the one held changes nothing, not even the revision count.

The shape of application/company.py: the use cases read and write through the aggregate's
repository (storage/known_client_repository.py; what names a client elsewhere through
storage/client_refs.py) and keep no SQL; KnownClient messages are made at the API edge
(api/known_client_convert.py). The clients service's events are read at the edge too
(api/client_events.py, which subscribes to them): the handlers here take the company, the
client's version (`ClientVersion`) and, for a merge, the merged client's id. EnsureKnownClient's
and a hold's client are checked and read at the API edge (`known_client_convert.check_client`)
and arrive as a `ClientVersion` as well.
"""

from __future__ import annotations

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.pagination import Page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.known_clients import ClientVersion, KnownClient, ensure_takes, event_takes
from shutterbook_scheduling.storage.client_refs import ClientRefs
from shutterbook_scheduling.storage.known_client_repository import KnownClientRepository


async def upsert_known_client(uow: UnitOfWork, company_id: str, version: ClientVersion) -> KnownClient:
    """Apply a client version; an older version than the one held changes nothing but the count.
    The client's row stays locked (PostgreSQL) until the unit of work ends."""
    return await _upsert(KnownClientRepository(uow), company_id, version)


async def client_created(uow: UnitOfWork, company_id: str, version: ClientVersion) -> KnownClient:
    """`clients.client.created`: a client's first version, as `upsert_known_client` applies it,
    its INSERT tried first. A created client is new here, or being made known by the booking
    that created it (the gateway books right after): the INSERT then waits for that booking
    and finds its row, and one UPDATE applies the event (2 statements; the UPDATE first would
    find no row while the booking runs: 3). A client new here is one INSERT."""
    repo = KnownClientRepository(uow)
    made = await repo.insert_taken(company_id, version)
    return made if made is not None else await _apply_found(repo, company_id, version)


async def client_deleted(uow: UnitOfWork, company_id: str, version: ClientVersion) -> None:
    """`clients.client.deleted`: the client's last version applied, then the client marked deleted."""
    repo = KnownClientRepository(uow)
    known = await _upsert_locked(repo, company_id, version)  # the row read, to mark it
    repo.mark_deleted(company_id, known.client_id)


async def client_merged(uow: UnitOfWork, company_id: str, survivor_version: ClientVersion, merged_id: str) -> None:
    """`clients.client.merged`: the survivor's version applied, the merged client marked merged
    into it and its sessions and appointments re-pointed to it, in this unit of work."""
    repo = KnownClientRepository(uow)
    survivor = await _upsert(repo, company_id, survivor_version)
    await repo.locked_for_change(company_id, merged_id, utcnow())
    repo.mark_merged(company_id, merged_id, survivor.client_id)
    await ClientRefs(uow).repoint(company_id, merged_id, survivor.client_id)


async def _upsert(repo: KnownClientRepository, company_id: str, version: ClientVersion) -> KnownClient:
    # a client learned already (a hold or EnsureKnownClient applied this version first, the
    # common case): one UPDATE counts the revision and takes the version unless it is older
    applied = await repo.apply_event_version(company_id, version)
    if applied is not None:
        return applied
    # a client new here (its event came before any hold or booking of it): made with the
    # version taken in one INSERT, as EnsureKnownClient makes one (revision 1, learned now)
    made = await repo.insert_taken(company_id, version)
    if made is not None:
        return made
    # the row is there after all: a concurrent transaction (a booking carrying the client's
    # details, the common case) inserted it while the UPDATE above ran, and the INSERT waited
    # for it to commit. A new statement sees it (PostgreSQL, READ COMMITTED): the UPDATE once
    # more (it counts and decides as the locked path would); the locked path only when that
    # finds the row unlearned (one statement more there) or changed meanwhile again
    return await _apply_found(repo, company_id, version)


async def _apply_found(repo: KnownClientRepository, company_id: str, version: ClientVersion) -> KnownClient:
    """An event's version on a row just found there: the UPDATE, else the locked path."""
    applied = await repo.apply_event_version(company_id, version)
    return applied if applied is not None else await _upsert_locked(repo, company_id, version, found=True)


async def _upsert_locked(
    repo: KnownClientRepository, company_id: str, version: ClientVersion, *, found: bool = False
) -> KnownClient:
    """The locked path of an event's version (`found`: the row was just found there)."""
    held = await repo.locked_for_change(company_id, version.client_id, version.update_time, found=found)
    return await repo.apply_version(company_id, version, take=event_takes(held, version))


async def ensure_version_in(uow: UnitOfWork, company_id: str, version: ClientVersion) -> KnownClient:
    """Apply the client version in this unit of work, as `clients.client.created`/`updated` does
    (a version with a delete time as `clients.client.deleted` does), unless the version held is
    the same or newer: then nothing changes. The client's row stays locked (PostgreSQL) until
    the unit of work ends."""
    return (await ensure_version_new_in(uow, company_id, version))[0]


async def ensure_version_new_in(uow: UnitOfWork, company_id: str, version: ClientVersion) -> tuple[KnownClient, bool]:
    """`ensure_version_in`, and whether the client is new here (made by this unit of work: no
    hold, session or appointment can name it yet)."""
    repo = KnownClientRepository(uow)
    made = await repo.insert_taken(company_id, version)  # a client new here: one statement
    if made is not None:
        return made, True
    return await _ensure_held(repo, company_id, version), False


async def _ensure_held(repo: KnownClientRepository, company_id: str, version: ClientVersion) -> KnownClient:
    # the row is there (`insert_taken` found it): read locked, no INSERT first
    held = await repo.locked_for_change(company_id, version.client_id, version.update_time, found=True)
    # decided on the locked row: a concurrent event or call applying this version first
    # leaves nothing to do here
    if ensure_takes(held, version):
        return await repo.take_version(company_id, version)
    return held


async def ensure_known_client(db: Database, company_id: str, version: ClientVersion) -> KnownClient:
    """`ensure_version_in` in a unit of work of its own. Returns the client as known now, with
    its family members."""
    async with UnitOfWork(db, source="scheduling") as uow:
        known = await ensure_version_in(uow, company_id, version)
        result = await KnownClientRepository(uow).with_members(company_id, known)
        await uow.commit()
        return result


async def get_known_client(db: Database, company_id: str, name: str) -> KnownClient:
    """The client `knownClients/{id}` with its family members; NOT_FOUND before its first version."""
    client_id = parse_name(name, "knownClients")
    async with UnitOfWork(db, readonly=True) as uow:
        repo = KnownClientRepository(uow)
        known = await repo.get(company_id, client_id)
        if known is None or not known.learned:
            raise NotFound(f"{name} not found")
        return await repo.with_members(company_id, known)


async def list_known_clients(db: Database, company_id: str, page_size: int, page_token: str) -> Page[KnownClient]:
    """A page of the company's known clients, the most recently learned first."""
    async with UnitOfWork(db, readonly=True) as uow:
        return await KnownClientRepository(uow).page(company_id, page_size, page_token)
