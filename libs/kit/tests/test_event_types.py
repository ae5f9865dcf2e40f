"""Event types pair a subject with its payload type: publishers and subscribers use the same one."""

from __future__ import annotations

from pathlib import Path

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as clients_events
from shutterbook_kit import shared_events
from shutterbook_kit.consumer import subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.events import EventType
from shutterbook_kit.uow import UnitOfWork


def test_a_subject_is_domain_entity_verb() -> None:
    event = EventType("clients.client.created", clients_events.ClientCreatedEvent)
    assert event.domain == "clients"
    for bad in ("clients.created", "clients..created", "clients.client.created.now", ""):
        with pytest.raises(ValueError, match="domain"):
            EventType(bad, clients_events.ClientCreatedEvent)


async def test_emit_refuses_a_payload_of_another_type(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with UnitOfWork(db) as uow:
            with pytest.raises(TypeError, match=r"clients\.client\.created carries ClientCreatedEvent"):
                uow.emit(  # type: ignore[call-overload]
                    shared_events.CLIENT_CREATED, "c", clients_events.ClientDeletedEvent(client=clients_pb2.Client())
                )
    finally:
        await db.dispose()


def test_a_subscription_takes_both_halves_from_the_event_type() -> None:
    async def handler(_: object) -> None:
        return None

    sub = subscribe(shared_events.CLIENT_MERGED, handler)
    assert (sub.subject, sub.payload_type) == ("clients.client.merged", clients_events.ClientMergedEvent)
    assert {e.domain for e in (shared_events.CLIENT_CREATED, shared_events.SESSION_BOOKED)} == {"clients", "scheduling"}
