"""The known-client aggregate's repository (issue 13): every read, insert, lock and write of its
rows (`known_clients`, `known_family_members`; storage/models.py). Rows in, domain objects out
(domain/known_clients.py).

One repository module per aggregate: a use case makes `KnownClientRepository(uow)` inside its
unit of work and never touches `uow.session` or writes a statement itself. A change reads the
client's row locked first (`locked_for_change`), then applies versions and marks to it: the
repository writes the very row it read, in the same transaction (it keeps it by key), so a
change without the locked read before it is a programming error. An event's version for a
client learned already is applied in one UPDATE instead (`apply_event_version`: the common case
of a booking, whose hold applied the version first). `revision` counts every version and mark
applied (the reliability tests check that no event is applied twice); it is not part of the
domain object.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from shutterbook_kit.pagination import Page
from shutterbook_kit.schema import UtcDateTime, utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.known_clients import ClientVersion, KnownClient, KnownMember
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.models import KnownClientRow, KnownFamilyMemberRow

Key = tuple[str, str]  # (company id, client id)

# `apply_event_version`'s statement, built once (on every booking, when the client's event
# arrives); parameters not named as columns (an UPDATE's would clash with its SET). A Core
# UPDATE, on the tables' columns: an ORM-enabled one is copied and re-keyed by the ORM on
# every execution
_CLIENTS = KnownClientRow.metadata.tables[KnownClientRow.__tablename__]
_K = _CLIENTS.c
_THE_CLIENT = (_K.company_id == bindparam("company"), _K.client_id == bindparam("client"))
_VERSION_TIME = bindparam("version_time", type_=UtcDateTime())
_TAKES = _K.source_updated_at <= _VERSION_TIME  # `event_takes` on a learned row
_SEEN = _CLIENTS.alias("seen")
_MEMBERS = KnownFamilyMemberRow.__table__.c
_APPLY_EVENT_VERSION = (
    update(_CLIENTS)
    .where(
        *_THE_CLIENT,
        _K.display_name != "",  # learned (an empty row takes any version: the locked path)
        # unchanged since the statement's snapshot: on PostgreSQL an UPDATE that waited for a
        # concurrent writer's lock re-checks this against the row it wrote, while the
        # subqueries (here and in RETURNING) still read the snapshot; such a row is left to
        # the locked path, so the family members counted below are the locked row's
        _K.revision
        == select(_SEEN.c.revision)
        .where(_SEEN.c.company_id == bindparam("company"), _SEEN.c.client_id == bindparam("client"))
        .scalar_subquery(),
    )
    .values(
        revision=_K.revision + 1,
        display_name=case((_TAKES, bindparam("name")), else_=_K.display_name),
        primary_email=case((_TAKES, bindparam("email")), else_=_K.primary_email),
        source_updated_at=case((_TAKES, _VERSION_TIME), else_=_K.source_updated_at),
        learned_at=case((_TAKES, bindparam("now", type_=UtcDateTime())), else_=_K.learned_at),
    )
    .returning(
        _K.display_name,
        _K.primary_email,
        _K.source_updated_at,
        _K.learned_at,
        _K.revision,
        _K.deleted,
        _K.merged_into,
        # written as the version's time only by taking it (a version not taken is older)
        (_K.source_updated_at == _VERSION_TIME).label("took"),
        select(func.count())
        .where(_MEMBERS.company_id == bindparam("company"), _MEMBERS.client_id == bindparam("client"))
        .scalar_subquery()
        .label("family"),
    )
)
_WRITTEN = ("display_name", "primary_email", "source_updated_at", "learned_at", "revision")

# An event's version as the consumer's one statement on PostgreSQL (kit `OneStatement`, its
# inbox entry first: the revision counts, so a redelivery must not run it again), for a version
# without family members: `_APPLY_EVENT_VERSION` for a client learned already (a booking made
# it known first), `insert_taken` for a client new here (its event came first). `learned` locks
# the learned client's row and finds it unchanged since the statement's snapshot (its
# subqueries read the snapshot; a row a concurrent applier changed while this waited for its
# lock is passed by) with no family members held, so the UPDATE below is sure to apply and no
# family member is to be replaced; `made` inserts a client missing here (revision 1), and
# waits for, then leaves alone, one a concurrent booking is inserting. Otherwise nothing is
# written and the handler's unit of work applies the event (a client with family members, one
# just made known by a booking, one changed meanwhile).
EVENT_VERSION_READY = (
    "learned AS MATERIALIZED (SELECT k.revision FROM known_clients AS k"
    " WHERE k.company_id = :company AND k.client_id = :client AND k.display_name <> ''"
    " AND k.revision = (SELECT s.revision FROM known_clients AS s"
    " WHERE s.company_id = :company AND s.client_id = :client)"
    " AND NOT EXISTS (SELECT 1 FROM known_family_members AS m WHERE m.company_id = :company AND m.client_id = :client)"
    " FOR UPDATE OF k),"
    " made AS (INSERT INTO known_clients (company_id, client_id, display_name, primary_email, source_updated_at,"
    " learned_at, revision, deleted, merged_into)"
    " VALUES (:company, :client, :name, :email, :version_time, :now, 1, false, '') ON CONFLICT DO NOTHING RETURNING 1),"
    " ready AS (SELECT 1 FROM learned UNION ALL SELECT 1 FROM made),"
    # not ready, worth a second statement (kit `OneStatement.attempts`) unless the snapshot
    # shows the client held unlearned or with family members: the handler's either way
    " again AS (SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM known_clients AS h"
    " WHERE h.company_id = :company AND h.client_id = :client AND (h.display_name = ''"
    " OR EXISTS (SELECT 1 FROM known_family_members AS f WHERE f.company_id = :company AND f.client_id = :client))))"
)
_TAKES_SQL = "known_clients.source_updated_at <= :version_time"
EVENT_VERSION_EFFECT = (
    "updated AS (UPDATE known_clients SET revision = known_clients.revision + 1,"
    + ", ".join(
        f" {column} = CASE WHEN {_TAKES_SQL} THEN :{value} ELSE known_clients.{column} END"
        for column, value in (
            ("display_name", "name"),
            ("primary_email", "email"),
            ("source_updated_at", "version_time"),
            ("learned_at", "now"),
        )
    )
    + " WHERE known_clients.company_id = :company AND known_clients.client_id = :client"
    " AND EXISTS (SELECT 1 FROM inbox_new) AND EXISTS (SELECT 1 FROM learned) RETURNING 1),"
    " effect AS (SELECT 1 FROM updated UNION ALL SELECT 1 FROM made)"
)
EVENT_VERSION_TYPES = {"version_time": UtcDateTime(), "now": UtcDateTime()}


def event_version_params(company_id: str, version: ClientVersion) -> dict[str, Any] | None:
    """`EVENT_VERSION_EFFECT`'s parameters; None for a version it does not apply (family members
    come with it, or a delete time): the handler's unit of work does."""
    if version.members or version.deleted:
        return None
    return {
        "company": company_id,
        "client": version.client_id,
        "version_time": version.update_time,
        "name": version.display_name,
        "email": version.primary_email,
        "now": utcnow(),
    }


def _memo_key(company_id: str, client_id: str) -> tuple[str, str, str]:
    return ("known_client", company_id, client_id)


def _known(row: KnownClientRow) -> KnownClient:
    return KnownClient(
        client_id=row.client_id,
        display_name=row.display_name,
        primary_email=row.primary_email,
        source_time=row.source_updated_at,
        learned_at=row.learned_at,
        deleted=row.deleted,
        merged_into=row.merged_into,
    )


class KnownClientRepository:
    """The known-client aggregate's rows within one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._locked: dict[Key, KnownClientRow] = {}

    # --- reads ---

    async def get(self, company_id: str, client_id: str) -> KnownClient | None:
        """The client as held (None: never heard of), from the session's identity map when loaded.

        Where the unit of work memoizes (`uow.memo`: the online booking paths) the client as this
        unit of work last read or wrote it here is the answer (`_remember`): a booking's second
        look at its client (its plan's) takes no statement, also after the booking made the
        client known with one INSERT (which loads no row)."""
        if self.uow.memo is not None:
            remembered: KnownClient | None = self.uow.memo.get(_memo_key(company_id, client_id))
            if remembered is not None:
                return remembered
        row = await self.uow.session.get(KnownClientRow, (company_id, client_id))
        return None if row is None else self._remember(company_id, _known(row))

    def _remember(self, company_id: str, known: KnownClient) -> KnownClient:
        """`known` memoized for `get` where the unit of work memoizes; every read and change of
        a client's row here returns through it, so what `get` answers is what this unit of work
        holds (its row stays locked by the change, or was read in it)."""
        if self.uow.memo is not None:
            self.uow.memo[_memo_key(company_id, known.client_id)] = known
        return known

    async def locked(self, company_id: str, client_id: str) -> KnownClient | None:
        """The client as held, its row locked until the unit of work ends (PostgreSQL: FOR
        UPDATE; SQLite: the write transaction) so that callers acting for one client (counting
        its holds) queue; None (nothing locked) for a client never heard of."""
        row = await self.uow.session.scalar(
            select(KnownClientRow)
            .where(KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id)
            .with_for_update()
        )
        return None if row is None else self._remember(company_id, _known(row))

    async def member_ids(self, company_id: str, client_id: str) -> set[str]:
        """The ids of the client's family members (who its sessions may list as participants)."""
        found = await self.uow.session.scalars(
            select(KnownFamilyMemberRow.member_id).where(
                KnownFamilyMemberRow.company_id == company_id, KnownFamilyMemberRow.client_id == client_id
            )
        )
        return set(found.all())

    async def members(self, company_id: str, client_id: str) -> tuple[KnownMember, ...]:
        """The client's family members, by name (then id)."""
        rows = await self.uow.session.scalars(
            select(KnownFamilyMemberRow)
            .where(KnownFamilyMemberRow.company_id == company_id, KnownFamilyMemberRow.client_id == client_id)
            .order_by(KnownFamilyMemberRow.display_name, KnownFamilyMemberRow.member_id)
        )
        return tuple(KnownMember(m.member_id, m.display_name) for m in rows.all())

    async def with_members(self, company_id: str, known: KnownClient) -> KnownClient:
        """`known` with its family members read."""
        members = await self.members(company_id, known.client_id)
        return replace(known, members=members)

    async def page(self, company_id: str, page_size: int, page_token: str) -> Page[KnownClient]:
        """A page of the company's known clients (learned ones), the most recently learned first,
        each with its family members."""
        rows = await lists.known_clients_page(self.uow.session, company_id, page_size, page_token)
        items = [await self.with_members(company_id, _known(r)) for r in rows.items]
        return Page(items, rows.next_page_token)

    # --- changes (on the row read by `locked_for_change`) ---

    async def locked_for_change(
        self, company_id: str, client_id: str, source_time: datetime, *, found: bool = False
    ) -> KnownClient:
        """The client as held, its row made empty first (no name, revision 0, `source_time`) if
        missing, and locked until the unit of work ends. `found`: this unit of work has just
        found the row there (`insert_taken` returned None; rows are never deleted), so it is
        read locked without the INSERT first (and made empty only if it is missing after all).

        Race-free: INSERT ... ON CONFLICT DO NOTHING leaves an existing row (or one a concurrent
        transaction is inserting: PostgreSQL waits for it) alone, then SELECT ... FOR UPDATE
        serializes whoever compares and applies versions (on SQLite, BEGIN IMMEDIATE already
        has). Reading and then adding the row let an event and EnsureKnownClient both insert it."""
        row = await self._read_locked(company_id, client_id) if found else None
        if row is None:
            await self.uow.insert_missing(
                KnownClientRow,
                {
                    "company_id": company_id,
                    "client_id": client_id,
                    "display_name": "",
                    "primary_email": "",
                    "source_updated_at": source_time,
                    "learned_at": utcnow(),
                    "revision": 0,
                    "deleted": False,
                    "merged_into": "",
                },
            )
            row = await self._read_locked(company_id, client_id)
        assert row is not None
        self._locked[(company_id, client_id)] = row
        return self._remember(company_id, _known(row))

    async def _read_locked(self, company_id: str, client_id: str) -> KnownClientRow | None:
        row: KnownClientRow | None = await self.uow.session.scalar(
            select(KnownClientRow)
            .where(KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id)
            .with_for_update()
            # a copy loaded earlier in this session may be stale: read the locked row
            .execution_options(populate_existing=True)
        )
        return row

    async def insert_taken(self, company_id: str, version: ClientVersion) -> KnownClient | None:
        """The client made with `version` taken (revision 1, learned now, its family members),
        as `locked_for_change` then `take_version` would make a missing row, in one INSERT ...
        ON CONFLICT DO NOTHING; the row new in this transaction stays locked until it ends.
        None, nothing written, when the row exists (or a concurrent transaction inserted it
        first: PostgreSQL waits for it): the caller then reads it locked and decides."""
        now = utcnow()
        made = await self.uow.insert_missing(
            KnownClientRow,
            {
                "company_id": company_id,
                "client_id": version.client_id,
                "display_name": version.display_name,
                "primary_email": version.primary_email,
                "source_updated_at": version.update_time,
                "learned_at": now,
                "revision": 1,
                "deleted": version.deleted,
                "merged_into": "",
            },
        )
        if not made:
            return None
        self._add_members(company_id, version)
        await self.uow.session.flush()  # as `take_version`: a constraint fails here, not at commit
        known = KnownClient(
            client_id=version.client_id,
            display_name=version.display_name,
            primary_email=version.primary_email,
            source_time=version.update_time,
            learned_at=now,
            deleted=version.deleted,
        )
        return self._remember(company_id, known)

    async def apply_event_version(self, company_id: str, version: ClientVersion) -> KnownClient | None:
        """An event's version applied to a learned client as `locked_for_change` then
        `apply_version` (taking it as `event_takes` decides) would, in one UPDATE ... RETURNING:
        one revision counted and, unless the version is older than the one held, the version
        taken (its name, email and time, learned now). The UPDATE locks the row until the unit
        of work ends (PostgreSQL: a concurrent applier's statement waits for it; SQLite: the
        write transaction). The family members are read only when a version is taken and
        some are held or come with it, and replaced only when they differ.

        None, nothing written, for a row missing or not learned yet, or changed by a concurrent
        transaction since the statement began: the caller then takes the locked path."""
        now = utcnow()
        await self.uow.session.flush()  # pending rows first, as an ORM statement's autoflush would
        got = (
            await self.uow.session.execute(
                _APPLY_EVENT_VERSION,
                {
                    "company": company_id,
                    "client": version.client_id,
                    "version_time": version.update_time,
                    "name": version.display_name,
                    "email": version.primary_email,
                    "now": now,
                },
            )
        ).one_or_none()
        if got is None:
            return None
        self._written(company_id, version.client_id, got)
        if got.took and (got.family or version.members):
            await self._replace_members(company_id, version, held=bool(got.family))
        applied = KnownClient(
            client_id=version.client_id,
            display_name=got.display_name,
            primary_email=got.primary_email,
            source_time=got.source_updated_at,
            learned_at=got.learned_at,
            deleted=got.deleted,
            merged_into=got.merged_into,
        )
        return self._remember(company_id, applied)

    def _written(self, company_id: str, client_id: str, got: Row[Any]) -> None:
        """A copy of the row this unit of work loaded before takes what the built-once UPDATE
        wrote (its parameters cannot be evaluated in Python: it does not synchronize itself)."""
        loaded = self.uow.session.identity_map.get(identity_key(KnownClientRow, (company_id, client_id)))
        if loaded is not None:
            for name in _WRITTEN:
                set_committed_value(loaded, name, getattr(got, name))

    async def _replace_members(self, company_id: str, version: ClientVersion, *, held: bool) -> None:
        """The version's family members in place of the ones held (the row locked), unless they
        are the same ones (then nothing is written)."""

        if held:
            found = await self.uow.session.execute(
                select(KnownFamilyMemberRow.member_id, KnownFamilyMemberRow.display_name).where(
                    KnownFamilyMemberRow.company_id == company_id,
                    KnownFamilyMemberRow.client_id == version.client_id,
                )
            )
            if sorted(tuple(m) for m in found.all()) == sorted((m.member_id, m.display_name) for m in version.members):
                return
            await self._delete_members(company_id, version.client_id)
        self._add_members(company_id, version)
        await self.uow.session.flush()  # as `take_version`: a constraint fails here, not at commit

    def _row(self, company_id: str, client_id: str) -> KnownClientRow:
        if (company_id, client_id) not in self._locked:
            raise RuntimeError("read the known client locked (locked_for_change) before changing it")
        return self._locked[(company_id, client_id)]

    async def apply_version(self, company_id: str, version: ClientVersion, *, take: bool) -> KnownClient:
        """Count one revision on the locked row; with `take`, store the version: its name, email
        and time, learned now, and its family members in place of the ones held."""
        row = self._row(company_id, version.client_id)
        # family rows are written here only, each time after a revision counted: a row at
        # revision 0 (just made empty by `locked_for_change`) has none to delete
        had_family = row.revision > 0
        row.revision += 1
        if take:
            row.display_name = version.display_name
            row.primary_email = version.primary_email
            row.source_updated_at = version.update_time
            row.learned_at = utcnow()
            await self.uow.session.flush()
            if had_family:
                await self._delete_members(company_id, version.client_id)
            self._add_members(company_id, version)
        return self._remember(company_id, _known(row))

    def _add_members(self, company_id: str, version: ClientVersion) -> None:
        """The version's family members, added to the session (written at its next flush)."""
        self.uow.session.add_all(
            KnownFamilyMemberRow(
                company_id=company_id,
                client_id=version.client_id,
                member_id=member.member_id,
                display_name=member.display_name,
            )
            for member in version.members
        )

    async def _delete_members(self, company_id: str, client_id: str) -> None:
        await self.uow.session.execute(
            delete(KnownFamilyMemberRow).where(
                KnownFamilyMemberRow.company_id == company_id, KnownFamilyMemberRow.client_id == client_id
            )
        )

    async def take_version(self, company_id: str, version: ClientVersion) -> KnownClient:
        """`apply_version` taking the version, the client marked deleted if the version is, all
        written out now (a constraint fails here, not at commit)."""
        await self.apply_version(company_id, version, take=True)
        row = self._row(company_id, version.client_id)
        if version.deleted:
            row.deleted = True
        await self.uow.session.flush()
        return self._remember(company_id, _known(row))

    def mark_deleted(self, company_id: str, client_id: str) -> KnownClient:
        """The locked client marked deleted (kept: its sessions still name it)."""
        row = self._row(company_id, client_id)
        row.deleted = True
        return self._remember(company_id, _known(row))

    def mark_merged(self, company_id: str, client_id: str, into: str) -> KnownClient:
        """One revision counted on the locked client, merged into the client `into`."""
        row = self._row(company_id, client_id)
        row.revision += 1
        row.merged_into = into
        return self._remember(company_id, _known(row))
