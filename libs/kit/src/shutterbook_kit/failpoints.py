"""Named points where a test can make a real process die, to prove crash safety.

`SHUTTERBOOK_FAILPOINTS=consumer.after_commit` (comma-separated names) makes the process
exit abruptly (as SIGKILL would leave it: no cleanup, no acks) when it reaches that point.
Unset in every deployment; reaching an unarmed failpoint costs a set lookup.
"""

from __future__ import annotations

import functools
import os


@functools.cache
def armed() -> frozenset[str]:
    """The armed names, read once, when first asked (not at import: `make run` forks services
    from a process that imported the kit under another environment)."""
    return frozenset(n.strip() for n in os.environ.get("SHUTTERBOOK_FAILPOINTS", "").split(",") if n.strip())


def failpoint(name: str) -> None:
    if name in armed():
        os._exit(137)
