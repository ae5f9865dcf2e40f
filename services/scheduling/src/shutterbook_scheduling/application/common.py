"""What the use cases share: the source their events and idempotency records name, domain
problems raised as INVALID_ARGUMENT, a checked upload's etag. (Protobuf values are read at the
edge: `api/proto_values.py`.)"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from shutterbook_kit.errors import Violations

SOURCE = "scheduling"  # the events' and idempotency records' source


def raise_problems(problems: Mapping[str, str], field: str) -> None:
    """A domain rule's problems ({path: problem}) as INVALID_ARGUMENT, each named under the
    request's `field` (`company_profile.email`); nothing when there are none."""
    v = Violations()
    for path, problem in problems.items():
        v.add(f"{field}.{path}", problem)
    v.raise_if_any()


def checked_upload(content_type: str, data: bytes, problems: Callable[[str, bytes], dict[str, str]], field: str) -> str:
    """An uploaded image's etag (its bytes' SHA-256), once `problems` finds none (they are
    INVALID_ARGUMENT, named under `field`)."""
    raise_problems(problems(content_type, data), field)
    return hashlib.sha256(data).hexdigest()
