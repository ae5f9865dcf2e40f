"""Who is calling, for which company: verified from the call's signed caller token, held in a
context variable for the handler.

The kit's server interceptor verifies `authorization: Bearer <token>` (see `caller_token`)
and sets a `CallContext`: the company, a label naming the caller for records ("Booked By",
"created by"), and the verified `Caller` itself. Outgoing calls made while serving carry a
token for the same caller (`metadata()`), signed with this process's key.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from shutterbook_kit.caller_token import process_signer
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.telemetry import untraced_call_metadata


@dataclass(frozen=True)
class CallContext:
    company_id: str
    caller: str  # how records name the caller: its display name, else `kind:id`
    principal: Caller | None = None  # the verified caller (None: a service's own background work)

    @classmethod
    def of(cls, caller: Caller) -> CallContext:
        return cls(company_id=caller.company_id, caller=record_label(caller), principal=caller)

    @property
    def identity(self) -> Caller:
        """The caller to act as: the verified one, or this service working on its own."""
        if self.principal is not None:
            return self.principal
        return Caller(self.company_id, CallerKind.SERVICE, self.caller or "service", display_name=self.caller)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Metadata for a call made on this caller's behalf: a token signed by this process (and
        the trace context where no interceptor carries it)."""
        return process_signer().metadata(self.identity) + untraced_call_metadata()


def record_label(caller: Caller) -> str:
    """What "Booked By" and other "by" fields record: the display name, else `kind:id`."""
    return caller.display_name or caller.label


_current: ContextVar[CallContext | None] = ContextVar("shutterbook_call_context", default=None)


def current() -> CallContext:
    """The context of the call being served. Raises if none (a programming error)."""
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("no call context: is the tenancy interceptor installed?")
    return ctx


def current_caller() -> Caller | None:
    """The verified caller of the call being served; None outside a call (consumers, workers)
    or for a service's own background work."""
    ctx = _current.get()
    return None if ctx is None else ctx.principal


def current_company() -> str | None:
    """The company of the call being served (or of the background work that set a context);
    None outside any."""
    ctx = _current.get()
    return None if ctx is None else ctx.company_id


def set_current(ctx: CallContext | None) -> object:
    return _current.set(ctx)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
