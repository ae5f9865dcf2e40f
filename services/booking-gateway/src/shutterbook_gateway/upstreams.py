"""The gateway's gRPC clients of clients, scheduling and billing, with deadlines and
retries only where retrying is safe."""

from __future__ import annotations

import asyncio

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.scheduling.v1 import (
    online_pb2,
    online_pb2_grpc,
    picture_day_pb2,
    picture_day_pb2_grpc,
    scheduling_pb2,
    scheduling_pb2_grpc,
)
from shutterbook_gateway.application.reference_cache import ReferenceCache
from shutterbook_gateway.settings import Deadlines
from shutterbook_kit.errors import ERROR_DOMAIN
from shutterbook_kit.grpc_client import open_channel, retry_safe_methods

_CLIENTS = clients_pb2.DESCRIPTOR.services_by_name["ClientsService"]
_SCHEDULING = scheduling_pb2.DESCRIPTOR.services_by_name["SchedulingService"]
_ONLINE = online_pb2.DESCRIPTOR.services_by_name["OnlineBookingService"]
_BILLING = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]
_PICTURE_DAYS = picture_day_pb2.DESCRIPTOR.services_by_name["PictureDayService"]
CLIENTS_SERVICE, SCHEDULING_SERVICE, BILLING_SERVICE = _CLIENTS.full_name, _SCHEDULING.full_name, _BILLING.full_name
ONLINE_SERVICE = _ONLINE.full_name
# Retried on UNAVAILABLE: reads, and methods with a request_id, which the gateway always
# sends (the scoped Idempotency-Key, or a fresh one per HTTP request).
CLIENTS_IDEMPOTENT = retry_safe_methods(_CLIENTS)
SCHEDULING_IDEMPOTENT = retry_safe_methods(_SCHEDULING)
ONLINE_IDEMPOTENT = retry_safe_methods(_ONLINE)
BILLING_IDEMPOTENT = retry_safe_methods(_BILLING)
PICTURE_DAYS_IDEMPOTENT = retry_safe_methods(_PICTURE_DAYS)


class Upstreams:
    """Channels and stubs of the three services. A plain class, not a dataclass: Litestar
    inspects dataclass fields at runtime, and the async stub types exist only in the stubs'
    .pyi files (for mypy). `deadlines` are the calls' deadlines (the gateway's settings);
    `reference` the cache of types and locations read from scheduling."""

    def __init__(
        self, addresses: dict[str, str], deadlines: Deadlines | None = None, reference: ReferenceCache | None = None
    ) -> None:
        self.deadlines = deadlines if deadlines is not None else Deadlines()
        # types and locations read through these stubs, kept a while (application/reference_cache.py)
        self.reference = reference if reference is not None else ReferenceCache()
        self.channels: dict[str, grpc.aio.Channel] = {
            "clients": open_channel(addresses["clients"], CLIENTS_SERVICE, CLIENTS_IDEMPOTENT),
            "scheduling": open_channel(addresses["scheduling"], SCHEDULING_SERVICE, SCHEDULING_IDEMPOTENT),
            "billing": open_channel(addresses["billing"], BILLING_SERVICE, BILLING_IDEMPOTENT),
            # the scheduling service again: a channel's retry policy names one service
            "online": open_channel(addresses["scheduling"], ONLINE_SERVICE, ONLINE_IDEMPOTENT),
            "picture_days": open_channel(addresses["scheduling"], _PICTURE_DAYS.full_name, PICTURE_DAYS_IDEMPOTENT),
        }
        # on an aio channel the generated stubs are their async variants
        self.clients: clients_pb2_grpc.ClientsServiceAsyncStub
        self.scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub
        self.billing: billing_pb2_grpc.BillingServiceAsyncStub
        self.online: online_pb2_grpc.OnlineBookingServiceAsyncStub
        self.picture_days: picture_day_pb2_grpc.PictureDayServiceAsyncStub
        self.clients = clients_pb2_grpc.ClientsServiceStub(self.channels["clients"])
        self.scheduling = scheduling_pb2_grpc.SchedulingServiceStub(self.channels["scheduling"])
        self.billing = billing_pb2_grpc.BillingServiceStub(self.channels["billing"])
        self.online = online_pb2_grpc.OnlineBookingServiceStub(self.channels["online"])
        self.picture_days = picture_day_pb2_grpc.PictureDayServiceStub(self.channels["picture_days"])

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

        names = [n for n in self.channels if n not in ("online", "picture_days")]
        results = await asyncio.gather(*(check(self.channels[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


def rpc_error_details(err: grpc.aio.AioRpcError) -> tuple[str, list[dict[str, str]]]:
    """The ErrorInfo reason (or the code's name) and the field violations of an upstream error."""
    reason, errors, _ = rpc_error_info(err)
    return reason, errors


def rpc_error_info(err: grpc.aio.AioRpcError) -> tuple[str, list[dict[str, str]], bool]:
    """Like rpc_error_details, and whether a service said it (an ErrorInfo of our domain)
    rather than the gRPC library (a message or metadata over its size limits, a reset)."""
    reason = err.code().name
    ours = False
    errors: list[dict[str, str]] = []
    for key, value in err.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        details = status_pb2.Status.FromString(value)
        for packed in details.details:
            if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                packed.Unpack(bad)
                errors += [{"field": v.field, "detail": v.description} for v in bad.field_violations]
            elif packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                packed.Unpack(info)
                reason = info.reason
                ours = info.domain == ERROR_DOMAIN
    return reason, errors, ours


def rpc_reason(err: grpc.aio.AioRpcError) -> str:
    return rpc_error_details(err)[0]
