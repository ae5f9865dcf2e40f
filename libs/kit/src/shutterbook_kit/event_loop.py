"""The event loop a serving process runs on: uvloop unless `SHUTTERBOOK_EVENT_LOOP=asyncio`.

uvloop (libuv, the loop asyncpg and uvicorn are built for) does a socket round trip -- a
statement to PostgreSQL, a gRPC call, a NATS publish -- with markedly less CPU than the
standard loop: issue 19's booking path measured in `bench/README.md`. The standard loop stays
one setting away, for a platform without uvloop's wheels or to rule the loop out of a bug.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

LOOPS = ("uvloop", "asyncio")


def event_loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The loop factory for `asyncio.Runner` (None: the standard loop)."""
    if name == "asyncio":
        return None
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    raise ValueError(f"SHUTTERBOOK_EVENT_LOOP must be one of {', '.join(LOOPS)}, not {name!r}")
