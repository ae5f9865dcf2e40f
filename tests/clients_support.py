"""Helpers of the clients service's tests: the service in this process on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.common.v1 import events_pb2 as common_events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.loopback import read_outbox
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, rpc_violations, running, service_settings
from shutterbook_kit.db import Database

COMPANY_A = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
COMPANY_B = "0b7e6f3a-2222-4b4b-8b8b-00000000000b"
A = company_metadata(COMPANY_A)
B = company_metadata(COMPANY_B)


@dataclass
class ClientsService:
    stub: clients_pb2_grpc.ClientsServiceAsyncStub
    database_url: str
    port: int
    db: Database  # the service's own

    async def outbox(self, subject_prefix: str = "clients.") -> list[common_events_pb2.EventEnvelope]:
        """The events written so far (published or not), oldest first."""
        return await read_outbox(self.database_url, subject_prefix)


@asynccontextmanager
async def clients_service(databases: DatabaseFactory, nats_url: str) -> AsyncIterator[ClientsService]:
    """The clients service alone, on a fresh migrated database."""
    url = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    host = clients_main.build(service_settings("clients", url, nats_url))
    async with running(host), grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        yield ClientsService(clients_pb2_grpc.ClientsServiceStub(channel), url, host.port, host.parts.db)


async def new_client(
    stub: clients_pb2_grpc.ClientsServiceAsyncStub, meta: tuple[tuple[str, str], ...] = A, **fields: Any
) -> clients_pb2.Client:
    return await stub.CreateClient(clients_pb2.CreateClientRequest(client=clients_pb2.Client(**fields)), metadata=meta)


async def rpc_error(call: object) -> grpc.aio.AioRpcError:
    """Await `call` and return the gRPC error it raised (fails if it succeeded)."""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    return err.value


def violations(err: grpc.aio.AioRpcError) -> dict[str, str]:
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
    return rpc_violations(err)


def error_info(err: grpc.aio.AioRpcError) -> dict[str, str]:
    """The ErrorInfo of a gRPC error: its reason and metadata, as one dict."""
    from google.rpc import error_details_pb2, status_pb2

    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return {"reason": info.reason, **dict(info.metadata)}
    return {}
