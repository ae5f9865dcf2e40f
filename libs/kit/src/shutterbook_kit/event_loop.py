"""The event loop a serving process runs on: uvloop unless `SHUTTERBOOK_EVENT_LOOP=asyncio`.

uvloop (libuv, the loop asyncpg and uvicorn are built for) runs the loop's own work -- the
wake-ups and callbacks of every socket round trip: a statement to PostgreSQL, a gRPC call, a
NATS publish -- in C; on issue 19's booking path the difference measured was small (within
the machine's noise, `bench/README.md`). The standard loop stays one setting away, for a
platform without uvloop's wheels or to rule the loop out of a bug.
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
