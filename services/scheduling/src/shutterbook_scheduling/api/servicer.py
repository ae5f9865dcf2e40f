"""gRPC API of the scheduling service."""

from __future__ import annotations

from typing import Any

import grpc

from shutterbook.scheduling.v1 import scheduling_pb2, scheduling_pb2_grpc
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_scheduling.application import client_directory


class SchedulingServicer(scheduling_pb2_grpc.SchedulingServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def GetKnownClient(
        self, request: scheduling_pb2.GetKnownClientRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> scheduling_pb2.KnownClient:
        return await client_directory.get_known_client(self.db, tenancy.current().company_id, request.name)

    async def ListKnownClients(
        self, request: scheduling_pb2.ListKnownClientsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> scheduling_pb2.ListKnownClientsResponse:
        return await client_directory.list_known_clients(self.db, tenancy.current().company_id, request)
