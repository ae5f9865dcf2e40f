"""AIP-158 pagination, once for every list.

`page_size`: 0 means `DEFAULT_PAGE_SIZE`, above `MAX_PAGE_SIZE` means the maximum, negative
is INVALID_ARGUMENT on `page_size`. `page_token`: opaque, and bound to the query that issued
it; a token of another query (other filters, another company) or one this service never
wrote is INVALID_ARGUMENT on `page_token`.

- `keyset_page(session, select, keys, page_size, page_token)` pages a SQLAlchemy select by
  its ordering keys (the last one unique, e.g. the id): the next page starts after the last
  row's keys, so a page costs the same however deep it is, and rows added or removed while
  a client pages neither repeat nor skip others. The token is bound to the compiled select
  itself, so every filter (and the company) is part of its query without further thought.
- `sequence_page(items, page_size, page_token, query)` pages a list already in memory (the
  gateway's catalog, fetched whole from upstream), bound to the `query` mapping given.
- `check_page(page_size, page_token, violations)` validates the two fields up front, so a
  request reports them together with its other bad fields.

- `read_keyset(page_size, page_token, keys, query)` is `keyset_page`'s token handling for a
  statement its owner runs (one that must limit an inner select): the position to continue
  from, the page size, and the next page's token from the last row's keys.

`parse_page` / `next_token` are the older dict-cursor form of the same tokens, for lists
that build their own keyset condition (notifications, the console's accounts).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, NoReturn, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from shutterbook_kit.errors import FieldViolation, InvalidArgument, Violations

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

T = TypeVar("T")
U = TypeVar("U")

# An ordering key: a mapped attribute, a column or a labelled expression, maybe `.desc()`.
Key = ColumnElement[Any] | QueryableAttribute[Any]

_NOT_OURS = "is not a token this service issued"
_OTHER_QUERY = "belongs to a different query"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items and the token of the next page ("" at the end)."""

    items: list[T]
    next_page_token: str


@dataclass(frozen=True)
class PageRequest:
    size: int
    cursor: Any


class _BadToken(ValueError):
    def __init__(self, description: str = _NOT_OURS) -> None:
        super().__init__(description)
        self.description = description


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _query_key(query: Mapping[str, Any] | None) -> str:
    return _fingerprint(json.dumps(dict(query or {}), sort_keys=True, default=str))


def _encode(query_key: str, cursor: Any) -> str:
    raw = json.dumps({"c": cursor, "q": query_key}, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(token: str) -> tuple[str, Any]:
    """The (query key, cursor) a token holds; `_BadToken` if it is not one of ours."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        if decoded["c"] is None:
            raise _BadToken()
        return str(decoded["q"]), decoded["c"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _BadToken() from None


def _size(page_size: int) -> int:
    return DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)


def page_size_of(page_size: int) -> int:
    """How many items a page of the requested `page_size` holds (0: the default)."""
    return _size(page_size)


def check_page(
    page_size: int, page_token: str, violations: Violations | None = None, *, query: Mapping[str, Any] | None = None
) -> None:
    """Validate `page_size` and the form of `page_token` (and, given the `query` of a
    `sequence_page` list, that the token is one of its own) before any work is done.
    Problems go to `violations` when given (the caller raises them with its other fields),
    else they are raised here. A `keyset_page` token's query is checked when it is read."""
    v = violations if violations is not None else Violations()
    if page_size < 0:
        v.add("page_size", "must not be negative")
    if page_token:
        try:
            key, _ = _decode(page_token)
            if query is not None and key != _query_key(query):
                raise _BadToken(_OTHER_QUERY)
        except _BadToken as bad:
            v.add("page_token", bad.description)
    if violations is None:
        v.raise_if_any()


def _cursor_of(page_size: int, page_token: str, query_key: str) -> Any:
    """Validate both fields and return the token's cursor (None without a token)."""
    check_page(page_size, page_token)
    if not page_token:
        return None
    key, cursor = _decode(page_token)
    if key != query_key:
        _raise_token(_OTHER_QUERY)
    return cursor


def _raise_token(description: str) -> NoReturn:
    raise InvalidArgument("the request has invalid fields", violations=[FieldViolation("page_token", description)])


# --- keyset pages of a select --------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    column: ColumnElement[Any]
    descending: bool


def _keys(keys: Sequence[Key]) -> list[_Key]:
    out: list[_Key] = []
    for given in keys:
        key = given.__clause_element__() if isinstance(given, QueryableAttribute) else given
        if isinstance(key, UnaryExpression) and key.modifier in (operators.desc_op, operators.asc_op):
            out.append(_Key(key.element, descending=key.modifier is operators.desc_op))
        else:
            out.append(_Key(key, descending=False))
    if not out:
        raise ValueError("keyset_page needs at least one ordering key")
    return out


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _load(raw: Any, key: _Key) -> Any:
    """A key value read back from a token, checked against the key's column type, so a
    forged position is INVALID_ARGUMENT rather than a failed query."""
    type_ = key.column.type
    impl = getattr(type_, "impl", type_)
    try:
        expected: type[Any] = impl.python_type
    except NotImplementedError:
        expected = object
    value = raw
    if isinstance(raw, dict) and set(raw) == {"dt"} and isinstance(raw["dt"], str):
        value = datetime.fromisoformat(raw["dt"])
        if getattr(impl, "timezone", False) and value.tzinfo is None:
            raise _BadToken()
    elif isinstance(raw, dict) and set(raw) == {"d"} and isinstance(raw["d"], str):
        value = date.fromisoformat(raw["d"])
    if value is None or isinstance(value, dict | list) or not isinstance(value, expected):
        raise _BadToken()
    if isinstance(value, bool) and expected is not bool:
        raise _BadToken()
    return value


def _position(cursor: Any, keys: list[_Key]) -> tuple[Any, ...] | None:
    """The key values a token's cursor holds (None without a token), checked against `keys`."""
    if cursor is None:
        return None
    try:
        if not isinstance(cursor, list) or len(cursor) != len(keys):
            raise _BadToken()
        return tuple(_load(raw, key) for raw, key in zip(cursor, keys, strict=True))
    except (_BadToken, ValueError, TypeError):
        _raise_token(_NOT_OURS)


def _after(keys: list[_Key], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the keys' order."""
    params = [sa.bindparam(None, v, type_=k.column.type) for k, v in zip(keys, values, strict=True)]
    if all(k.descending == keys[0].descending for k in keys):
        # one row-value comparison, so both backends walk an index on the keys
        left, right = sa.tuple_(*(k.column for k in keys)), sa.tuple_(*params)
        return left < right if keys[0].descending else left > right
    options: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        equal = [keys[j].column == params[j] for j in range(i)]
        beyond = key.column < params[i] if key.descending else key.column > params[i]
        options.append(sa.and_(*equal, beyond))
    return sa.or_(*options)


def _statement_key(session: AsyncSession, stmt: sa.Select[Any], keys: list[_Key]) -> str:
    """What binds a token to its query: the select's SQL, its parameters and its order."""
    ordered = stmt.order_by(*(k.column.desc() if k.descending else k.column for k in keys))
    compiled = ordered.compile(dialect=session.get_bind().dialect)
    return _fingerprint(str(compiled) + json.dumps(compiled.params, sort_keys=True, default=str))


@overload
async def keyset_page(
    session: AsyncSession,
    stmt: sa.Select[tuple[T]],
    keys: Sequence[Key],
    page_size: int,
    page_token: str,
) -> Page[T]: ...


@overload
async def keyset_page(
    session: AsyncSession,
    stmt: sa.Select[tuple[T, U]],
    keys: Sequence[Key],
    page_size: int,
    page_token: str,
) -> Page[tuple[T, U]]: ...


async def keyset_page(
    session: AsyncSession,
    stmt: sa.Select[Any],
    keys: Sequence[Key],
    page_size: int,
    page_token: str,
) -> Page[Any]:
    """One page of `stmt` in the order of `keys` (columns or labelled expressions, each
    ascending or `.desc()`; together unique, e.g. ending with the id; never NULL).

    `stmt` carries the filters and no ORDER BY or LIMIT: this adds them. A select of one
    entity or column gives its values as items; a select of several gives tuples.
    """
    ordering = _keys(keys)
    query_key = _statement_key(session, stmt, ordering)
    values = _position(_cursor_of(page_size, page_token, query_key), ordering)
    size = _size(page_size)
    paged = stmt
    if values is not None:
        paged = paged.where(_after(ordering, list(values)))
    width = len(ordering)
    paged = paged.add_columns(*(k.column.label(f"page_key_{i}") for i, k in enumerate(ordering)))
    paged = paged.order_by(*(k.column.desc() if k.descending else k.column for k in ordering)).limit(size + 1)
    rows = list((await session.execute(paged)).all())
    more = len(rows) > size
    rows = rows[:size]
    items: list[Any] = [row[0] if len(row) == width + 1 else tuple(row[:-width]) for row in rows]
    token = _encode(query_key, [_dump(v) for v in rows[-1][-width:]]) if more and rows else ""
    return Page(items=items, next_page_token=token)


# --- keyset pages of a statement run by its owner ------------------------------------------


@dataclass(frozen=True)
class Keyset:
    """A keyset page asked for, for a statement `keyset_page` cannot run whole (one that
    limits an inner select, say): `size` rows after `after` (the key values of the last row
    listed, None on the first page); `token(last)` is the next page's token given the key
    values of this page's last row (when a row beyond `size` showed that one follows)."""

    size: int
    after: tuple[Any, ...] | None
    query_key: str

    def token(self, last: Sequence[Any]) -> str:
        return _encode(self.query_key, [_dump(v) for v in last])


def read_keyset(page_size: int, page_token: str, keys: Sequence[Key], query: Mapping[str, Any]) -> Keyset:
    """Validate `page_size` and `page_token` (INVALID_ARGUMENT as `keyset_page` reports them)
    for a list in the order of `keys` whose rows `query` chooses (every filter and the
    company: a token of another query is refused), and read the position it continues from."""
    ordering = _keys(keys)
    order = [f"{k.column}{' desc' if k.descending else ''}" for k in ordering]
    query_key = _query_key({"query": dict(query), "order": order})
    values = _position(_cursor_of(page_size, page_token, query_key), ordering)
    return Keyset(size=_size(page_size), after=values, query_key=query_key)


# --- pages of a list in memory -------------------------------------------------------------


def sequence_page(items: Sequence[T], page_size: int, page_token: str, query: Mapping[str, Any]) -> Page[T]:
    """One page of `items`, a list the caller holds whole; the token is bound to `query`
    (whatever chose the items: filters, the caller's scope)."""
    query_key = _query_key(query)
    cursor = _cursor_of(page_size, page_token, query_key)
    if cursor is None:
        offset = 0
    elif isinstance(cursor, int) and not isinstance(cursor, bool) and cursor >= 0:
        offset = cursor
    else:
        _raise_token(_NOT_OURS)
    size = _size(page_size)
    more = offset + size < len(items)
    token = _encode(query_key, offset + size) if more else ""
    return Page(items=list(items[offset : offset + size]), next_page_token=token)


# --- the dict-cursor form --------------------------------------------------------------------


def parse_page(page_size: int, page_token: str, query: Mapping[str, Any] | None = None) -> PageRequest:
    """Validate size and token; a token from a different query is INVALID_ARGUMENT. The
    cursor is the dict `next_token` was given (prefer `keyset_page`)."""
    cursor = _cursor_of(page_size, page_token, _query_key(query))
    if cursor is not None and not isinstance(cursor, dict):
        _raise_token(_NOT_OURS)
    return PageRequest(size=_size(page_size), cursor=cursor)


def cursor_text(cursor: Mapping[str, Any], key: str) -> str:
    """A text field of a cursor `parse_page` returned; INVALID_ARGUMENT on `page_token` when the
    token (unsigned: a client can craft one) lacks it or holds something else."""
    value = cursor.get(key)
    if not isinstance(value, str):
        _raise_token(_NOT_OURS)
    return value


def cursor_instant(cursor: Mapping[str, Any], key: str) -> datetime:
    """An ISO instant of a cursor (see `cursor_text`)."""
    try:
        return datetime.fromisoformat(cursor_text(cursor, key))
    except ValueError:
        _raise_token(_NOT_OURS)


def next_token(cursor: dict[str, Any] | None, query: Mapping[str, Any] | None = None) -> str:
    """A token for the page after `cursor`, or "" at the end."""
    if cursor is None:
        return ""
    return _encode(_query_key(query), cursor)
