"""The gateway's gRPC clients of clients, scheduling and billing, with deadlines and
retries only where retrying is safe."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2, scheduling_pb2_grpc
from shutterbook_kit.grpc_client import open_channel, retry_safe_methods

_CLIENTS = clients_pb2.DESCRIPTOR.services_by_name["ClientsService"]
_SCHEDULING = scheduling_pb2.DESCRIPTOR.services_by_name["SchedulingService"]
_BILLING = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]
CLIENTS_SERVICE, SCHEDULING_SERVICE, BILLING_SERVICE = _CLIENTS.full_name, _SCHEDULING.full_name, _BILLING.full_name
# Retried on UNAVAILABLE: reads, and methods with a request_id, which the gateway always
# sends (the scoped Idempotency-Key, or a fresh one per HTTP request).
CLIENTS_IDEMPOTENT = retry_safe_methods(_CLIENTS)
SCHEDULING_IDEMPOTENT = retry_safe_methods(_SCHEDULING)
BILLING_IDEMPOTENT = retry_safe_methods(_BILLING)


class Upstreams:
    """Channels and stubs of the three services. A plain class, not a dataclass: Litestar
    inspects dataclass fields at runtime, and the async stub types exist only in the stubs'
    .pyi files (for mypy)."""

    def __init__(self, addresses: dict[str, str]) -> None:
        self.channels: dict[str, grpc.aio.Channel] = {
            "clients": open_channel(addresses["clients"], CLIENTS_SERVICE, CLIENTS_IDEMPOTENT),
            "scheduling": open_channel(addresses["scheduling"], SCHEDULING_SERVICE, SCHEDULING_IDEMPOTENT),
            "billing": open_channel(addresses["billing"], BILLING_SERVICE, BILLING_IDEMPOTENT),
        }
        # on an aio channel the generated stubs are their async variants
        self.clients: clients_pb2_grpc.ClientsServiceAsyncStub
        self.scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub
        self.billing: billing_pb2_grpc.BillingServiceAsyncStub
        self.clients = clients_pb2_grpc.ClientsServiceStub(self.channels["clients"])
        self.scheduling = scheduling_pb2_grpc.SchedulingServiceStub(self.channels["scheduling"])
        self.billing = billing_pb2_grpc.BillingServiceStub(self.channels["billing"])

    async def health(self, timeout: float = 1.0) -> dict[str, str]:
        """Each upstream's overall health status name (SERVING, NOT_SERVING, UNREACHABLE)."""

        async def check(channel: grpc.aio.Channel) -> str:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=timeout
                )
                return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
            except grpc.aio.AioRpcError:
                return "UNREACHABLE"

        names = list(self.channels)
        results = await asyncio.gather(*(check(self.channels[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
