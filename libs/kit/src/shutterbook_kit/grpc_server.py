"""The gRPC server bootstrap every service uses.

- `grpc.aio` server with the standard health service. Health reflects real readiness:
  the overall status ("") and each service's status are SERVING only while the database
  answers. NATS has its own entry, `shutterbook.nats`, and does not take the service out
  of rotation: the outbox buffers events while NATS is away (DESIGN: NATS being down
  delays events, it never fails a booking).
- Reflection, on unless `SHUTTERBOOK_GRPC_REFLECTION=false`.
- Interceptors: OpenTelemetry (only when this process records spans, `telemetry.tracing_enabled()`:
  it cost 2.5 % of the services' CPU in bench_booking_path for spans nobody records; a caller's
  trace context is then not carried on, as in the gateway), then ours: the signed caller token verified into `tenancy`,
  the method's permission checked, a default deadline for calls that bring none, and errors
  mapped to `google.rpc.Status`. SIGHUP re-reads the caller-token key files.
- Graceful shutdown on SIGTERM/SIGINT: health turns NOT_SERVING first, then (after a short
  drain so load balancers notice) the server stops taking calls and finishes in-flight
  ones, consumers finish and ack the message in hand, the relay marks what it published;
  then the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry import context as otel_context
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from opentelemetry.instrumentation.grpc import filters as grpc_filters

from shutterbook_kit import caller_token, tenancy
from shutterbook_kit.caller_token import KeyRing
from shutterbook_kit.consumer import EventConsumer
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError, PermissionDenied, Unauthenticated, internal_status
from shutterbook_kit.identity import Caller
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.permissions import Permission, grants, method_name
from shutterbook_kit.relay import OutboxRelay
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.telemetry import carried_context, tracing_enabled
from shutterbook_kit.timestamps import check_timestamps

log = logging.getLogger(__name__)

NATS_HEALTH = "shutterbook.nats"
# SERVING from start until shutdown whatever the database does: the liveness probe's entry,
# so a database outage takes pods out of rotation (readiness) without restarting them.
LIVENESS_HEALTH = "shutterbook.liveness"
# Health probes and reflection are not traced: they are noise, and the instrumentation
# cannot wrap the health service's Watch (it streams with context.write()).
_TRACED = grpc_filters.negate(
    grpc_filters.any_of(grpc_filters.service_prefix("grpc.health."), grpc_filters.service_prefix("grpc.reflection."))
)
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class KitServerInterceptor(grpc.aio.ServerInterceptor):
    """Caller verification, authorization, default deadline and error mapping for every unary
    call of our services (health and reflection are neither verified nor traced).

    The call's `authorization: Bearer <token>` must be a caller token signed by a key of the
    current key ring (`verifier()`, so a host can switch rings while serving); a missing, expired,
    unknown-key, forged or malformed token is UNAUTHENTICATED before the handler runs. Then
    the method's permission (from the service's table; a method missing from it is refused)
    must be among the caller's grants, or the call is PERMISSION_DENIED.
    """

    def __init__(
        self,
        default_deadline_seconds: float,
        verifier: Callable[[], caller_token.Verifier],
        permissions: Mapping[str, Permission],
        *,
        traced: bool = True,
    ) -> None:
        self.default_deadline = default_deadline_seconds
        # False where no tracing interceptor runs before this one: the caller's trace context
        # is then carried into the handler here (its logs' and events' trace ids)
        self.traced = traced
        self.verifier = verifier
        self.permissions = permissions

    def authenticate(self, context: grpc.aio.ServicerContext[Any, Any]) -> Caller:
        try:
            return self.verifier().verify(caller_token.bearer(context.invocation_metadata() or ()))
        except caller_token.InvalidCallerToken as exc:
            raise Unauthenticated(str(exc), reason="INVALID_CALLER_TOKEN") from None

    def authorize(self, method: str, caller: Caller) -> None:
        needed = self.permissions.get(method_name(method))
        if needed is None:  # a method missing from the service's table: nobody may call it
            raise PermissionDenied("this method is not open to any caller")
        if needed not in grants(caller):
            raise PermissionDenied(f"this needs the permission {needed.value}", metadata={"permission": needed.value})

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(details)
        if handler is None or not details.method.startswith("/shutterbook."):
            return handler
        if handler.unary_unary is None:  # none exist; never serve one unverified
            raise RuntimeError(f"{details.method}: only unary methods are served")
        inner = cast(Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]], handler.unary_unary)

        async def wrapped(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            try:
                caller = self.authenticate(context)
                self.authorize(details.method, caller)
                check_timestamps(request)
                token = tenancy.set_current(tenancy.CallContext.of(caller))
                traced = (
                    None if self.traced else otel_context.attach(carried_context(context.invocation_metadata() or ()))
                )
                try:
                    remaining = context.time_remaining()
                    timeout = self.default_deadline if remaining is None else max(remaining, 0.0)
                    return await asyncio.wait_for(inner(request, context), timeout=timeout)
                finally:
                    if traced is not None:
                        otel_context.detach(traced)
                    tenancy.reset(token)
            except DomainError as exc:
                await context.abort_with_status(rpc_status.to_status(exc.to_status()))
            except TimeoutError:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
            except grpc.aio.AbortError:
                raise
            except Exception:
                log.exception("unhandled error", extra={"method": details.method})
                await context.abort_with_status(rpc_status.to_status(internal_status()))

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class Worker(Protocol):
    """A background task the host starts after the server and stops (gracefully) before the
    database closes: the relay, consumers, reminder emitters, job runners."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class ServiceParts:
    """What a service contributes; the host wires the rest."""

    settings: ServiceSettings
    db: Database
    nats: NatsConnection
    register: Callable[[grpc.aio.Server], None]
    service_names: Sequence[str]
    permissions: Mapping[str, Permission] = field(default_factory=dict)
    publishes: StreamSpec | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


AddServicers = Callable[[grpc.aio.Server, Database], None]
MakeConsumers = Callable[[Database, NatsConnection], list[EventConsumer]]
MakeWorkers = Callable[[Database, NatsConnection], list[Worker]]


class ServiceHost:
    @classmethod
    def create(
        cls,
        settings: ServiceSettings,
        *,
        service_names: Sequence[str],
        add_servicers: AddServicers,
        permissions: Mapping[str, Permission],
        consumers: MakeConsumers | None = None,
        workers: MakeWorkers | None = None,
    ) -> ServiceHost:
        """The usual service: its database, its NATS connection, its stream (named after the
        service), its servicers and its consumers."""
        db = Database(settings.database_url)
        nats = NatsConnection(settings.nats_url, name=settings.service, jetstream_replicas=settings.jetstream_replicas)
        return cls(
            ServiceParts(
                settings=settings,
                db=db,
                nats=nats,
                register=lambda server: add_servicers(server, db),
                service_names=service_names,
                permissions=permissions,
                publishes=StreamSpec(settings.service),
                consumers=consumers(db, nats) if consumers else [],
                workers=workers(db, nats) if workers else [],
            )
        )

    def __init__(self, parts: ServiceParts) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.health = health.aio.HealthServicer()
        self.caller_keys = parts.settings.caller_keys()
        if not self.caller_keys.verify_keys:
            raise RuntimeError(
                f"no caller-token verification keys in {parts.settings.caller_token_verify_keys_dir!r} "
                "(SHUTTERBOOK_CALLER_TOKEN_VERIFY_KEYS_DIR)"
            )
        self.verifier = caller_token.Verifier(self.caller_keys)
        if self.caller_keys.signing_key is not None:
            caller_token.install_signer(self.caller_keys)
        self.relay = (
            OutboxRelay(
                parts.db,
                parts.nats,
                parts.publishes,
                lease_seconds=parts.settings.outbox_lease_seconds,
                linger_seconds=parts.settings.outbox_linger_seconds,
            )
            if parts.publishes
            else None
        )
        self.server: grpc.aio.Server | None = None
        self.port = 0
        self._readiness: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._stopping = False

    async def start(self) -> int:
        """Start serving; returns the bound port (useful with port 0 in tests)."""
        self.parts.nats.start()
        traced = tracing_enabled()
        server = grpc.aio.server(
            interceptors=[
                *([aio_server_interceptor(filter_=_TRACED)] if traced else []),  # type: ignore[no-untyped-call]
                KitServerInterceptor(
                    self.settings.default_deadline_seconds,
                    lambda: self.verifier,
                    self.parts.permissions,
                    traced=traced,
                ),
            ],
            options=[
                ("grpc.so_reuseport", 0),
                # Close connections after 5 minutes (with 30 s to finish calls), so clients that
                # balance over a headless Service's addresses re-resolve and reach new replicas.
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 30_000),
            ],
        )
        self.parts.register(server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        if self.settings.grpc_reflection:
            names = [
                *self.parts.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ]
            reflection.enable_server_reflection(names, server)
        self.port = server.add_insecure_port(f"{self.settings.host}:{self.settings.port}")
        if self.port == 0:
            raise RuntimeError(f"could not bind {self.settings.host}:{self.settings.port}")
        await self.health.set(LIVENESS_HEALTH, SERVING)
        await self._check_readiness()
        await server.start()
        self.server = server
        if self.relay is not None:
            self.relay.start()
        for consumer in self.parts.consumers:
            consumer.start()
        for worker in self.parts.workers:
            worker.start()
        self._readiness = asyncio.create_task(self._readiness_loop(), name="readiness")
        log.info("serving", extra={"service": self.settings.service, "port": self.port})
        return self.port

    def use_caller_keys(self, ring: KeyRing) -> None:
        """Verify calls with `ring` from the next call on (key rotation while serving)."""
        self.caller_keys = ring
        self.verifier = caller_token.Verifier(ring)
        if ring.signing_key is not None:
            caller_token.install_signer(ring)

    def reload_caller_keys(self) -> None:
        """Re-read the key files the settings name (SIGHUP): how a host outside Kubernetes
        takes a rotated key without restarting."""
        try:
            self.use_caller_keys(self.settings.caller_keys())
        except (OSError, ValueError):
            log.exception("caller-token keys not reloaded; keeping the current ones")
            return
        log.info("caller-token keys reloaded", extra={"keys": sorted(self.caller_keys.verify_keys)})

    async def _check_readiness(self) -> None:
        db_ok = await self.parts.db.ping()
        status = SERVING if db_ok else NOT_SERVING
        for name in ("", *self.parts.service_names):
            await self.health.set(name, status)
        await self.health.set(NATS_HEALTH, SERVING if self.parts.nats.is_connected else NOT_SERVING)

    async def _readiness_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self._check_readiness()

    async def stop(self) -> None:
        """Graceful shutdown; safe to call more than once."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        log.info("shutting down", extra={"service": self.settings.service})
        await self.health.enter_graceful_shutdown()  # NOT_SERVING before anything stops
        if self._readiness is not None:
            self._readiness.cancel()
        await asyncio.sleep(self.settings.shutdown_drain_seconds)
        if self.server is not None:
            await self.server.stop(self.settings.shutdown_grace_seconds)
        for worker in self.parts.workers:
            await worker.stop()
        for consumer in self.parts.consumers:
            await consumer.stop()
        if self.relay is not None:
            await self.relay.stop()
        for hook in self.parts.on_stop:
            await hook()
        await self.parts.nats.close()
        await self.parts.db.dispose()
        self._stopped.set()
        log.info("stopped", extra={"service": self.settings.service})

    async def run_until_signalled(self) -> None:
        """Serve until SIGTERM or SIGINT, then shut down gracefully."""
        loop = asyncio.get_running_loop()
        signalled = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, signalled.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload_caller_keys)
        await self.start()
        await signalled.wait()
        await self.stop()
