"""The services the console calls over gRPC, in one place: channels to scheduling, clients and
billing (addresses from `ServiceSettings.upstreams`, read once at start), one deadline, every
call signed for the logged-in staff member (`call_metadata(caller)`), and gRPC errors turned
into the console's problem bodies (`UpstreamError`, a `DomainError` the API's handlers map)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.scheduling.v1 import (
    bulk_pb2,
    bulk_pb2_grpc,
    online_pb2,
    online_pb2_grpc,
    picture_day_pb2,
    picture_day_pb2_grpc,
    scheduling_pb2_grpc,
    slot_patterns_pb2,
    slot_patterns_pb2_grpc,
)
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import DomainError, FieldViolation
from shutterbook_kit.grpc_client import call_metadata, open_channel, retry_safe_methods
from shutterbook_kit.identity import Caller
from shutterbook_kit.tenancy import CallContext

log = logging.getLogger(__name__)
CALL_TIMEOUT = 5.0
LOCATION_PREFIX = "locations/"
R = TypeVar("R")

# What an upstream answer means for a person at the console.
_MESSAGES = {
    grpc.StatusCode.NOT_FOUND: "not found (it may have been deleted)",
    grpc.StatusCode.PERMISSION_DENIED: "your role does not allow this",
    grpc.StatusCode.UNAVAILABLE: "the scheduling system is not answering; try again in a moment",
    grpc.StatusCode.DEADLINE_EXCEEDED: "the scheduling system took too long to answer; try again",
}


@dataclass(frozen=True)
class ConflictItem:
    entry: str  # sessions/{id}, appointments/{id}, or a schedule (time off)
    description: str


@dataclass
class UpstreamError(DomainError):
    """An upstream's refusal, with its code, reason, field violations and conflicts."""

    violations: list[FieldViolation] = field(default_factory=list)
    conflicts: list[ConflictItem] = field(default_factory=list)
    status: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    @property
    def code(self) -> grpc.StatusCode:  # type: ignore[override]
        # DEADLINE_EXCEEDED reads as UNAVAILABLE (503); the rest keep their own code
        return grpc.StatusCode.UNAVAILABLE if self.status == grpc.StatusCode.DEADLINE_EXCEEDED else self.status


def upstream_error(err: grpc.aio.AioRpcError) -> UpstreamError:
    """`err` as the console's error: the ErrorInfo reason, one violation per BadRequest field,
    one conflict per PreconditionFailure violation; no internals for UNKNOWN/INTERNAL."""
    code = err.code()
    reason = code.name
    violations: list[FieldViolation] = []
    conflicts: list[ConflictItem] = []
    metadata: dict[str, str] = {}
    for key, value in err.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        for packed in status_pb2.Status.FromString(value).details:
            if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                packed.Unpack(bad)
                violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
            elif packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                packed.Unpack(info)
                reason = info.reason or reason
                metadata = dict(info.metadata)
            elif packed.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                failure = error_details_pb2.PreconditionFailure()
                packed.Unpack(failure)
                conflicts += [ConflictItem(v.subject, v.description) for v in failure.violations]
    known = code in {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
    }
    message = (err.details() or "") if known else _MESSAGES.get(code, "the request could not be completed")
    if code not in _MESSAGES and not known:
        log.warning("upstream error %s: %s", code.name, err.details())
        code, reason = grpc.StatusCode.UNAVAILABLE, "UPSTREAM_FAILED"
    return UpstreamError(
        message, reason=reason, metadata=metadata, violations=violations, conflicts=conflicts, status=code
    )


def _channel(target: str, descriptor: Any, service: str) -> grpc.aio.Channel:
    svc = descriptor.services_by_name[service]
    return open_channel(target, svc.full_name, retry_safe_methods(svc))


class Upstreams:
    """Stubs of scheduling, clients and billing, and `call` that signs, times and maps a call."""

    def __init__(self, targets: dict[str, str]) -> None:
        self.channels = {
            "scheduling": _channel(targets["scheduling"], pb.DESCRIPTOR, "SchedulingService"),
            "clients": _channel(targets["clients"], clients_pb2.DESCRIPTOR, "ClientsService"),
            "billing": _channel(targets["billing"], billing_pb2.DESCRIPTOR, "BillingService"),
            "bulk": _channel(targets["scheduling"], bulk_pb2.DESCRIPTOR, "BulkSchedulingService"),
            "online": _channel(targets["scheduling"], online_pb2.DESCRIPTOR, "OnlineBookingService"),
            "patterns": _channel(targets["scheduling"], slot_patterns_pb2.DESCRIPTOR, "TimeSlotPatternService"),
            "picture_days": _channel(targets["scheduling"], picture_day_pb2.DESCRIPTOR, "PictureDayService"),
        }
        self.scheduling = scheduling_pb2_grpc.SchedulingServiceStub(self.channels["scheduling"])
        self.clients = clients_pb2_grpc.ClientsServiceStub(self.channels["clients"])
        self.billing = billing_pb2_grpc.BillingServiceStub(self.channels["billing"])
        self.bulk = bulk_pb2_grpc.BulkSchedulingServiceStub(self.channels["bulk"])
        self.online = online_pb2_grpc.OnlineBookingServiceStub(self.channels["online"])
        self.patterns = slot_patterns_pb2_grpc.TimeSlotPatternServiceStub(self.channels["patterns"])
        self.picture_days = picture_day_pb2_grpc.PictureDayServiceStub(self.channels["picture_days"])

    async def call(
        self, method: Callable[..., Awaitable[R]], request: Any, caller: Caller, *, timeout: float = CALL_TIMEOUT
    ) -> R:
        """`method(request)` signed for `caller`; an upstream refusal raises `UpstreamError`."""
        try:
            return await method(request, metadata=call_metadata(caller), timeout=timeout)
        except grpc.aio.AioRpcError as err:
            raise upstream_error(err) from err

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


class LocationDirectory:
    """Names of a company's locations, asked of scheduling; ids stand in when it does not answer."""

    def __init__(self, scheduling_target: str) -> None:
        self.channel = _channel(scheduling_target, pb.DESCRIPTOR, "SchedulingService")
        self.stub = scheduling_pb2_grpc.SchedulingServiceStub(self.channel)

    async def names(self, company_id: str, location_ids: Iterable[str]) -> list[str]:
        wanted = list(location_ids)
        if not wanted:
            return []
        metadata = call_metadata(CallContext(company_id=company_id, caller="service:console"))
        try:
            reply = await self.stub.ListLocations(
                pb.ListLocationsRequest(page_size=1000), metadata=metadata, timeout=CALL_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("location names unavailable: %s", exc.code().name)
            return wanted
        known = {loc.name.removeprefix(LOCATION_PREFIX): loc.display_name for loc in reply.locations}
        return [known.get(location, location) for location in wanted]

    async def close(self) -> None:
        await self.channel.close()
