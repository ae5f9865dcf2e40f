"""Who is calling, for which company: carried in gRPC metadata, held in a context variable.

The gateway (or a calling service) sets `x-shutterbook-company` and `x-shutterbook-caller`
on every call; the server interceptor reads them into `CallContext` for the handler.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

COMPANY_KEY = "x-shutterbook-company"
CALLER_KEY = "x-shutterbook-caller"


@dataclass(frozen=True)
class CallContext:
    company_id: str
    caller: str

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return ((COMPANY_KEY, self.company_id), (CALLER_KEY, self.caller))


_current: ContextVar[CallContext | None] = ContextVar("shutterbook_call_context", default=None)


def current() -> CallContext:
    """The context of the call being served. Raises if none (a programming error)."""
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("no call context: is the tenancy interceptor installed?")
    return ctx


def set_current(ctx: CallContext | None) -> object:
    return _current.set(ctx)
