"""AIP-122 resource names, parsed in one place: `collection/{id}` and nested names such as
`clients/{id}/familyMembers/{id}`. Every id is a canonical UUID (lowercase, hyphenated: what
`str(uuid.uuid4())` gives), so a name has exactly one spelling.

Which function, by where the name appears in a request:

- `parse_name`: the resource the call addresses (`GetX.name`, `UpdateX.x.name`,
  `DeleteX.name`). A name of another shape is INVALID_ARGUMENT on `field`; a well-formed name
  whose id cannot exist is NOT_FOUND, the same answer as another company's record.
- `parse_reference`: a record the request refers to (a filter, a body field, a list
  entry). Anything but `collection/{uuid}` is a violation of `field`, collected with the
  request's other bad fields; empty is a violation too unless `required=False` (an optional
  filter).
- `name_ids`: the ids of any well-formed (nested) name, or None; for rules of their own
  (a family member must belong to this client).
- `resource_id`: the id in a name this system wrote (an event, an upstream's reply);
  another shape is a bug, ValueError (a consumer turns it into a poison event).
"""

from __future__ import annotations

import uuid

from shutterbook_kit.errors import NotFound, Violations


def is_canonical_uuid(value: str) -> bool:
    """Whether `value` is a UUID spelt as `str(uuid.UUID(...))` spells it."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _split(name: str, collections: tuple[str, ...]) -> list[str] | None:
    """The raw ids of `c1/{id}/c2/{id}...`, each non-empty; None for another shape."""
    parts = name.split("/")
    if len(parts) != 2 * len(collections) or tuple(parts[0::2]) != collections:
        return None
    ids = parts[1::2]
    return ids if all(ids) else None


def name_ids(name: str, *collections: str) -> tuple[str, ...] | None:
    """The ids in `collections[0]/{id}/collections[1]/{id}...`, when the name has exactly that
    shape and every id is a canonical UUID; else None."""
    ids = _split(name, collections)
    if ids is None or not all(is_canonical_uuid(i) for i in ids):
        return None
    return tuple(ids)


def _pattern(collections: tuple[str, ...]) -> str:
    return "/".join(f"{c}/{{id}}" for c in collections)


def parse_name(name: str, *collections: str, field: str = "name") -> str:
    """The (last) id of the resource a call addresses, e.g. `parse_name(request.name,
    "clients")`. Another shape is INVALID_ARGUMENT on `field`; an id that is no canonical
    UUID cannot exist, so it is NOT_FOUND."""
    ids = _split(name, collections)
    if ids is None:
        v = Violations()
        v.add(field, f"must look like {_pattern(collections)}")
        v.raise_if_any()
        raise AssertionError("unreachable")
    if not all(is_canonical_uuid(i) for i in ids):
        raise NotFound(f"{name} not found")
    return ids[-1]


def parse_reference(
    name: str, collection: str, *, field: str, violations: Violations, required: bool = True
) -> str | None:
    """The id of `collection/{uuid}` named by the request's `field`, or None with a violation
    added (also when empty, unless not `required`: then None and no violation)."""
    if not name:
        if required:
            violations.add(field, "is required")
        return None
    ids = name_ids(name, collection)
    if ids is None:
        violations.add(field, f"must look like {collection}/{{id}}, the id a UUID")
        return None
    return ids[0]


def resource_id(name: str, collection: str) -> str:
    """The id in `collection/{id}`, a name this system wrote itself; ValueError if it is not."""
    ids = _split(name, (collection,))
    if ids is None:
        raise ValueError(f"not a {collection} name: {name!r}")
    return ids[0]
