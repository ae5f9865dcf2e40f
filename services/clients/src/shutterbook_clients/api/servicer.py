"""gRPC API of the clients service: translate, call the use case, return."""

from __future__ import annotations

from typing import Any

import grpc

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_clients.application import clients
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database


class ClientsServicer(clients_pb2_grpc.ClientsServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def CreateClient(
        self, request: clients_pb2.CreateClientRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> clients_pb2.Client:
        return await clients.create_client(self.db, tenancy.current().company_id, request)

    async def GetClient(
        self, request: clients_pb2.GetClientRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> clients_pb2.Client:
        return await clients.get_client(self.db, tenancy.current().company_id, request.name)
