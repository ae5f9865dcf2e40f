"""Standing time-slot patterns (issue 17): the gRPC service and the worker that keeps each
pattern's coming weeks generated.

Wired into the scheduling service by main.py like the other features: `SERVICE_NAMES`,
`register` and `workers`. The servicer converts a request (api/slot_pattern_convert.py), calls
the use case (application/slot_patterns.py) and converts its answer. The worker's round runs every
SHUTTERBOOK_SCHEDULING_PATTERN_INTERVAL_SECONDS (default 300); a pattern's lease lasts
SHUTTERBOOK_SCHEDULING_PATTERN_LEASE_SECONDS (default 60).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import grpc
from google.protobuf import empty_pb2

from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook.scheduling.v1 import slot_patterns_pb2_grpc
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import Worker
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.periodic import PeriodicWorker
from shutterbook_kit.schema import utcnow
from shutterbook_kit.settings import ServiceSettings
from shutterbook_scheduling.api import slot_pattern_convert as convert
from shutterbook_scheduling.application import slot_patterns
from shutterbook_scheduling.settings import SchedulingSettings

SERVICE_NAMES: list[str] = [spb.DESCRIPTOR.services_by_name["TimeSlotPatternService"].full_name]
Context = Any  # grpc.aio.ServicerContext
log = logging.getLogger(__name__)


class TimeSlotPatternServicer(slot_patterns_pb2_grpc.TimeSlotPatternServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def CreateTimeSlotPattern(
        self, request: spb.CreateTimeSlotPatternRequest, context: Context
    ) -> spb.TimeSlotPattern:
        call = tenancy.current()
        fields = convert.pattern_fields(request.time_slot_pattern)
        once = convert.create_once(self.db, call.company_id, request)
        created = await slot_patterns.create_pattern(
            self.db, call.company_id, call.caller, fields, request.request_id, once, convert.announce_generated
        )
        return convert.pattern_message(created)

    async def GetTimeSlotPattern(self, request: spb.GetTimeSlotPatternRequest, context: Context) -> spb.TimeSlotPattern:
        company_id = tenancy.current().company_id
        pattern = await slot_patterns.get_pattern(self.db, company_id, convert.pattern_id(request.name))
        return convert.pattern_message(pattern)

    async def ListTimeSlotPatterns(
        self, request: spb.ListTimeSlotPatternsRequest, context: Context
    ) -> spb.ListTimeSlotPatternsResponse:
        page = await slot_patterns.list_patterns(
            self.db, tenancy.current().company_id, request.page_size, request.page_token
        )
        return convert.list_response(page)

    async def DeleteTimeSlotPattern(
        self, request: spb.DeleteTimeSlotPatternRequest, context: Context
    ) -> empty_pb2.Empty:
        await slot_patterns.delete_pattern(self.db, tenancy.current().company_id, convert.pattern_id(request.name))
        return empty_pb2.Empty()


class PatternWorker(PeriodicWorker):
    """Every `interval` seconds, generates the due days of every pattern whose lease is free
    (another replica's worker takes the others)."""

    def __init__(self, db: Database, *, interval: float, lease_seconds: float) -> None:
        super().__init__(name="time-slot-patterns", interval=interval)
        self.db = db
        self.lease_seconds = lease_seconds
        self.owner = str(uuid.uuid4())
        self.created = 0  # slots created by this worker
        self.runs = 0  # patterns this worker generated under its lease

    async def run_once(self) -> bool:
        created = 0
        for pattern_id in await slot_patterns.due_pattern_ids(self.db, utcnow()):
            if self.stopping:
                break
            made = await slot_patterns.generate(
                self.db,
                pattern_id,
                owner=self.owner,
                announce=convert.announce_generated,
                lease_seconds=self.lease_seconds,
            )
            if made is not None:
                self.runs += 1
                created += made
        self.created += created
        return False


def register(server: grpc.aio.Server, db: Database, settings: ServiceSettings, own: SchedulingSettings) -> None:
    slot_patterns_pb2_grpc.add_TimeSlotPatternServiceServicer_to_server(TimeSlotPatternServicer(db), server)


def workers(db: Database, nats: NatsConnection, settings: ServiceSettings, own: SchedulingSettings) -> list[Worker]:
    return [PatternWorker(db, interval=own.patterns.interval_seconds, lease_seconds=own.patterns.lease_seconds)]
