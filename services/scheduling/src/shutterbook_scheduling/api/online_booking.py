"""Online time slots, holds and online booking (issue 6): the gRPC service and its workers.

Wired into the scheduling service by main.py: `SERVICE_NAMES` (health and reflection),
`register` (adds the servicer to the server) and `workers` (background tasks).
"""

from __future__ import annotations

import grpc

from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import Worker
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.settings import ServiceSettings

SERVICE_NAMES: list[str] = []


def register(server: grpc.aio.Server, db: Database, settings: ServiceSettings) -> None:
    """Add this feature's servicer to the server (nothing yet)."""


def workers(db: Database, nats: NatsConnection, settings: ServiceSettings) -> list[Worker]:
    """This feature's background tasks (none yet)."""
    return []
