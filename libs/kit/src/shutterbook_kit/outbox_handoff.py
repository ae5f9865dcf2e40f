"""Outbox rows handed from the commit that wrote them to this process's relay (issue 19).

A relay finds new outbox rows by claiming them: one statement a commit with events, in every
service, on every booking. On PostgreSQL a unit of work (or `write_in_one`) whose events go in
one statement claims them itself instead, for the process's running relay (`claimed_by`, a
lease from now, as the relay's claim would write them), and hands the rows to it once they
are committed; the relay publishes them without a claim. What the handover cannot cover is
what the claim was always for: a row whose relay died with it in hand is claimable again when
its lease runs out, and any relay takes it then (at least once, as before; JetStream drops a
copy published twice within its duplicate window). A relay claims at least every idle poll
too, so rows written otherwise (a bulk change's thousands, SQLite, a process without a relay)
are published as before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol


@dataclass(frozen=True)
class Handed:
    """An outbox row claimed by the unit of work that wrote it, for the relay `claimed_by` names."""

    seq: int
    event_id: str
    subject: str
    company_id: str
    payload: bytes
    headers: dict[str, str]


class OutboxHandoff(Protocol):
    """What a unit of work needs of the relay it hands rows to (kit `relay.OutboxRelay`)."""

    relay_id: str
    lease: timedelta

    def accepting(self) -> bool:
        """Running, and not behind: rows claimed for it now will be published within their lease."""
        ...

    def take(self, rows: list[Handed]) -> None:
        """Committed rows claimed for this relay, to publish (in `seq` order)."""
        ...

    def claim_soon(self) -> None:
        """A commit wrote outbox rows it did not hand over: the relay's next round claims."""
        ...
