"""Bulk scheduling of sessions for a group of clients (issue 8): the gRPC service and its job runner.

Wired into the scheduling service by main.py: `SERVICE_NAMES` (health and reflection),
`register` (adds the servicer to the server) and `workers` (background tasks). Reading jobs
and their items (get, list), selecting clients, verifying and creating a job convert at the
edge (api/bulk_job_convert.py) around use cases that take and return domain objects (a
selection asks the clients service through adapters/clients_service.py).
"""

from __future__ import annotations

from typing import Any

import grpc

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import bulk_pb2_grpc
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import Worker
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.settings import ServiceSettings
from shutterbook_scheduling.adapters.clients_service import ClientsService
from shutterbook_scheduling.api import bulk_job_convert as convert
from shutterbook_scheduling.api.entry_convert import announce_entry
from shutterbook_scheduling.application import bulk_job_list, bulk_jobs
from shutterbook_scheduling.application.bulk_runner import BulkJobRunner
from shutterbook_scheduling.settings import SchedulingSettings

SERVICE_NAMES: list[str] = [bpb.DESCRIPTOR.services_by_name["BulkSchedulingService"].full_name]
Context = Any  # grpc.aio.ServicerContext


def _company() -> str:
    return tenancy.current().company_id


class BulkSchedulingServicer(bulk_pb2_grpc.BulkSchedulingServiceServicer):
    def __init__(self, db: Database, clients_target: str) -> None:
        self.db = db
        self.clients = ClientsService(clients_target)

    async def SelectBulkClients(
        self, request: bpb.SelectBulkClientsRequest, context: Context
    ) -> bpb.SelectBulkClientsResponse:
        return await convert.select_clients(self.db, _company(), request, self.clients)

    async def VerifyBulkSchedule(
        self, request: bpb.VerifyBulkScheduleRequest, context: Context
    ) -> bpb.VerifyBulkScheduleResponse:
        return await convert.verify(self.db, _company(), request)

    async def CreateBulkJob(self, request: bpb.CreateBulkJobRequest, context: Context) -> bpb.BulkJob:
        return await convert.create_job(self.db, _company(), request)

    async def GetBulkJob(self, request: bpb.GetBulkJobRequest, context: Context) -> bpb.BulkJob:
        return convert.job_message(await bulk_jobs.get_job(self.db, _company(), convert.job_id(request.name)))

    async def ListBulkJobItems(
        self, request: bpb.ListBulkJobItemsRequest, context: Context
    ) -> bpb.ListBulkJobItemsResponse:
        job_id, page_size, page_token = convert.items_request(request)
        page = await bulk_jobs.list_items(self.db, _company(), job_id, page_size, page_token)
        return convert.items_response(page)

    async def ListBulkJobs(self, request: bpb.ListBulkJobsRequest, context: Context) -> bpb.ListBulkJobsResponse:
        page = await bulk_job_list.list_jobs(self.db, _company(), request.page_size, request.page_token)
        return convert.jobs_response(page)


def register(server: grpc.aio.Server, db: Database, settings: ServiceSettings, own: SchedulingSettings) -> None:
    """Add the bulk scheduling servicer; client selection goes to `settings.upstreams["clients"]`."""
    bulk_pb2_grpc.add_BulkSchedulingServiceServicer_to_server(
        BulkSchedulingServicer(db, settings.upstreams.get("clients", "")), server
    )


def workers(db: Database, nats: NatsConnection, settings: ServiceSettings, own: SchedulingSettings) -> list[Worker]:
    """The job runner (its lease: SHUTTERBOOK_SCHEDULING_BULK_LEASE_SECONDS, default 30), given
    the edge's events (the job's, the sessions') and its items' once-per-request_id run."""
    runner = BulkJobRunner(
        db,
        announce=convert.announce_completed,
        announce_entry=announce_entry,
        item_once=convert.item_once(db),
        lease_seconds=own.bulk_lease_seconds,
    )
    return [runner]
