"""Event types: each subject paired with its payload type, declared once.

Every service keeps its own events in `<package>/events.py` as `EventType` constants;
publishers emit them (`uow.emit(CLIENT_CREATED, company_id, payload)`, which refuses a
payload of another type) and subscribers subscribe to them (`subscribe(CLIENT_CREATED,
handler)`), so no subject is spelt anywhere else.

An event another service consumes is declared in `shutterbook_kit.shared_events` instead
(one place both distributions can import: a service never imports another service's
package), and the producer's `events.py` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class EventType(Generic[M]):
    """`<domain>.<entity>.<past-tense verb>` and the protobuf message its envelope carries."""

    subject: str
    payload_type: type[M]

    def __post_init__(self) -> None:
        parts = self.subject.split(".")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"an event subject is <domain>.<entity>.<verb>, not {self.subject!r}")

    @property
    def domain(self) -> str:
        """The producing domain, whose stream (`CLIENTS` for `clients`) holds the event."""
        return self.subject.split(".", 1)[0]
