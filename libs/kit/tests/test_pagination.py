"""The keyset pagination helper against a real database (SQLite, and PostgreSQL where
SHUTTERBOOK_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.errors import InvalidArgument, Violations
from shutterbook_kit.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    check_page,
    cursor_instant,
    cursor_text,
    keyset_page,
    next_token,
    parse_page,
    read_keyset,
    sequence_page,
)
from shutterbook_kit.schema import UtcDateTime

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(36))
    name: Mapped[str] = mapped_column(sa.String(50))
    number: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def thing(i: int, *, company: str = "a", created: int | None = None, name: str | None = None) -> Thing:
    return Thing(
        id=f"id-{i:03d}",
        company_id=company,
        name=name if name is not None else f"n{i % 3}",
        number=i,
        created_at=T0 + timedelta(minutes=created if created is not None else i),
    )


@pytest.fixture
async def db(databases: DatabaseFactory) -> AsyncIterator[Database]:
    database = Database(await databases.new("kit"))
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    # ties on created_at (7, 8, 9 at the same minute) so the id must break them
    rows = [thing(i, created=5 if i in (7, 8, 9) else None) for i in range(1, 26)]
    rows += [thing(i, company="b") for i in range(100, 104)]
    async with database.sessions() as session, session.begin():
        session.add_all(rows)
    try:
        yield database
    finally:
        await database.dispose()


async def walk(db: Database, stmt: sa.Select[Any], keys: list[Any], size: int) -> list[list[Any]]:
    pages: list[list[Any]] = []
    token = ""
    for _ in range(50):
        async with db.sessions() as session:
            page = await keyset_page(session, stmt, keys, size, token)
        pages.append(page.items)
        token = page.next_page_token
        if not token:
            return pages
    raise AssertionError("too many pages")


def ids(pages: list[list[Thing]]) -> list[str]:
    return [t.id for page in pages for t in page]


async def test_pages_follow_the_keys_without_repeats_or_gaps(db: Database) -> None:
    stmt = sa.select(Thing).where(Thing.company_id == "a")
    async with db.sessions() as session:
        whole = list(await session.scalars(stmt.order_by(Thing.created_at, Thing.id)))
    pages = await walk(db, stmt, [Thing.created_at, Thing.id], 4)
    assert [len(p) for p in pages] == [4, 4, 4, 4, 4, 4, 1]
    assert ids(pages) == [t.id for t in whole]
    assert len(set(ids(pages))) == 25
    # descending, and mixed directions (name ascending, then number descending)
    down = await walk(db, stmt, [Thing.number.desc()], 10)
    assert [t.number for p in down for t in p] == list(range(25, 0, -1))
    mixed = await walk(db, stmt, [Thing.name, Thing.number.desc()], 3)
    expected = sorted(whole, key=lambda t: (t.name, -t.number))
    assert ids(mixed) == [t.id for t in expected]


async def test_an_exact_last_page_ends_with_no_token_and_an_empty_list_is_one_page(db: Database) -> None:
    stmt = sa.select(Thing).where(Thing.company_id == "b")
    pages = await walk(db, stmt, [Thing.id], 2)
    assert [len(p) for p in pages] == [2, 2]
    nothing = await walk(db, sa.select(Thing).where(Thing.company_id == "none"), [Thing.id], 2)
    assert nothing == [[]]


async def test_a_select_of_several_columns_and_an_expression_key(db: Database) -> None:
    score = sa.case((Thing.number % 2 == 0, 1), else_=0)
    stmt = sa.select(Thing, score.label("score")).where(Thing.company_id == "a")
    pages = await walk(db, stmt, [score.desc(), Thing.id], 5)
    flat = [(t.number, s) for page in pages for t, s in page]
    assert [s for _, s in flat] == [1] * 12 + [0] * 13
    assert [n for n, _ in flat] == [*range(2, 26, 2), *range(1, 26, 2)]


async def test_page_size_rules(db: Database) -> None:
    stmt = sa.select(Thing)
    async with db.sessions() as session:
        assert len((await keyset_page(session, stmt, [Thing.id], 0, "")).items) == 29  # 0: the default, 100
        assert len((await keyset_page(session, stmt, [Thing.id], 5000, "")).items) == 29
        with pytest.raises(InvalidArgument) as negative:
            await keyset_page(session, stmt, [Thing.id], -1, "")
    assert [v.field for v in negative.value.violations] == ["page_size"]
    assert (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == (100, 1000)


async def test_a_token_is_bound_to_its_query(db: Database) -> None:
    of_a = sa.select(Thing).where(Thing.company_id == "a")
    of_b = sa.select(Thing).where(Thing.company_id == "b")
    async with db.sessions() as session:
        first = await keyset_page(session, of_a, [Thing.id], 2, "")
        assert first.next_page_token
        second = await keyset_page(session, of_a, [Thing.id], 2, first.next_page_token)
        assert [t.id for t in second.items] == ["id-003", "id-004"]
        for other_stmt, other_keys in ((of_b, [Thing.id]), (of_a, [Thing.id.desc()]), (of_a, [Thing.number])):
            with pytest.raises(InvalidArgument) as other:
                await keyset_page(session, other_stmt, other_keys, 2, first.next_page_token)
            assert [v.field for v in other.value.violations] == ["page_token"]


def forge(token: str, cursor: Any) -> str:
    """The token with its position replaced (same query): what a tampering client sends."""
    decoded = json.loads(base64.urlsafe_b64decode(token))
    decoded["c"] = cursor
    return base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode()


async def test_a_token_we_never_wrote_is_invalid_argument_not_a_failed_query(db: Database) -> None:
    stmt = sa.select(Thing).where(Thing.company_id == "a")
    keys = [Thing.created_at, Thing.id]
    async with db.sessions() as session:
        token = (await keyset_page(session, stmt, keys, 2, "")).next_page_token
        good = forge(token, [{"dt": (T0 + timedelta(minutes=20)).isoformat()}, "id-020"])
        assert [t.id for t in (await keyset_page(session, stmt, keys, 2, good)).items] == ["id-021", "id-022"]
        for cursor in (
            [{"dt": "not a time"}, "id-001"],
            [{"dt": "2026-03-01T09:00:00"}, "id-001"],  # naive: the column holds UTC instants
            [5, "id-001"],
            ["id-001"],
            {"t": 1},
            None,
            [{"dt": T0.isoformat()}, 7],
        ):
            with pytest.raises(InvalidArgument) as bad:
                await keyset_page(session, stmt, keys, 2, forge(token, cursor))
            assert [v.field for v in bad.value.violations] == ["page_token"], cursor
        for junk in ("not-a-token", "bm9wZQ==", base64.urlsafe_b64encode(b"[1]").decode()):
            with pytest.raises(InvalidArgument) as bad:
                await keyset_page(session, stmt, keys, 2, junk)
            assert [v.field for v in bad.value.violations] == ["page_token"]


async def test_read_keyset_pages_a_statement_its_owner_runs(db: Database) -> None:
    """A statement keyset_page cannot run whole (its limit belongs on an inner select): the kit
    reads the position and writes the tokens, bound to the query's description and its order."""
    keys = [Thing.created_at, Thing.id]

    async def page_of(size: int, token: str, query: dict[str, Any]) -> tuple[list[str], str]:
        keyset = read_keyset(size, token, keys, query)
        inner = sa.select(Thing.id, Thing.created_at).where(Thing.company_id == query["company"])
        if keyset.after is not None:
            inner = inner.where(sa.tuple_(Thing.created_at, Thing.id) > sa.tuple_(*keyset.after))
        chosen = inner.order_by(*keys).limit(keyset.size + 1).subquery()
        async with db.sessions() as session:
            rows = list(await session.execute(sa.select(chosen).order_by(chosen.c.created_at, chosen.c.id)))
        more, rows = len(rows) > keyset.size, rows[: keyset.size]
        return [r.id for r in rows], keyset.token((rows[-1].created_at, rows[-1].id)) if more else ""

    seen: list[str] = []
    token = ""
    for _ in range(10):
        found, token = await page_of(10, token, {"company": "a"})
        seen += found
        if not token:
            break
    async with db.sessions() as session:
        whole = list(await session.scalars(sa.select(Thing.id).where(Thing.company_id == "a").order_by(*keys)))
    assert seen == whole
    assert read_keyset(0, "", keys, {}).size == DEFAULT_PAGE_SIZE
    assert read_keyset(MAX_PAGE_SIZE + 1, "", keys, {}).after is None
    _, token = await page_of(2, "", {"company": "a"})
    for size, bad_token, query, field in (
        (-1, "", {"company": "a"}, "page_size"),
        (2, token, {"company": "b"}, "page_token"),  # another query's
        (2, forge(token, [5, "id-001"]), {"company": "a"}, "page_token"),  # a position we never wrote
        (2, "not-a-token", {"company": "a"}, "page_token"),
    ):
        with pytest.raises(InvalidArgument) as bad:
            read_keyset(size, bad_token, keys, query)
        assert [v.field for v in bad.value.violations] == [field]
    with pytest.raises(InvalidArgument):
        read_keyset(2, token, [Thing.created_at.desc(), Thing.id.desc()], {"company": "a"})  # another order's


def test_check_page_collects_with_the_other_fields() -> None:
    v = Violations()
    check_page(-3, "###", v)
    assert [i.field for i in v.items] == ["page_size", "page_token"]
    check_page(10, "")  # fine: nothing raised
    with pytest.raises(InvalidArgument):
        check_page(-1, "")


def test_sequence_pages_are_bound_to_their_query() -> None:
    items = list(range(7))
    first: Page[int] = sequence_page(items, 3, "", {"kind": "x"})
    second = sequence_page(items, 3, first.next_page_token, {"kind": "x"})
    third = sequence_page(items, 3, second.next_page_token, {"kind": "x"})
    assert (first.items, second.items, third.items, third.next_page_token) == ([0, 1, 2], [3, 4, 5], [6], "")
    with pytest.raises(InvalidArgument) as other:
        sequence_page(items, 3, first.next_page_token, {"kind": "y"})
    assert [v.field for v in other.value.violations] == ["page_token"]
    with pytest.raises(InvalidArgument):
        sequence_page(items, 3, forge(first.next_page_token, -1), {"kind": "x"})
    assert sequence_page(items, 0, "", {}).items == items


def test_check_page_knows_a_sequence_list_query_before_any_work() -> None:
    token = sequence_page(list(range(5)), 2, "", {"kind": "x"}).next_page_token
    check_page(2, token, query={"kind": "x"})
    v = Violations()
    check_page(2, token, v, query={"kind": "y"})
    assert [(i.field, i.description) for i in v.items] == [("page_token", "belongs to a different query")]


def test_a_crafted_cursor_is_the_page_tokens_invalid_argument() -> None:
    # tokens are not signed: a client can write one with a cursor the list never issued
    for crafted in ({"at": "yesterday", "id": "x"}, {"id": "x"}, {"at": 5, "id": "x"}, {"at": "2026-01-01T00:00:00"}):
        cursor = parse_page(10, next_token(crafted)).cursor
        assert cursor is not None

        def read(cursor: dict[str, Any] = cursor) -> None:
            cursor_instant(cursor, "at")
            cursor_text(cursor, "id")

        with pytest.raises(InvalidArgument) as err:
            read()
        assert [v.field for v in err.value.violations] == ["page_token"]
    good = parse_page(10, next_token({"at": "2026-01-01T00:00:00+00:00", "id": "x"})).cursor
    assert good is not None
    assert (cursor_instant(good, "at").year, cursor_text(good, "id")) == (2026, "x")
