"""The gateway's Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.problem_details import ProblemDetailsPlugin

from shutterbook_gateway.api.body_limit import body_limit_middleware
from shutterbook_gateway.api.bookings import BookingsController
from shutterbook_gateway.api.catalog import CatalogController
from shutterbook_gateway.api.clients import ClientsController
from shutterbook_gateway.api.docs import docs_assets_router, render_plugins
from shutterbook_gateway.api.feeds import CalendarFeedController
from shutterbook_gateway.api.health import HealthController
from shutterbook_gateway.api.idempotency import idempotency_middleware
from shutterbook_gateway.api.images import company_logo, marketing_image
from shutterbook_gateway.api.key_admin import KeyAdminController
from shutterbook_gateway.api.pages import PAGE_HANDLERS
from shutterbook_gateway.api.picture_day_portal import PictureDayPortalController
from shutterbook_gateway.api.problems import EXCEPTION_HANDLERS, PROBLEM_CONFIG
from shutterbook_gateway.api.publishable import cors_preflight_middleware, publishable_key_middleware
from shutterbook_gateway.api.rate_limit import RateLimits, rate_limit_middleware
from shutterbook_gateway.api.requests import GatewayRequest
from shutterbook_gateway.api.schemas import encode_slot
from shutterbook_gateway.application import open_slot_model
from shutterbook_gateway.application.admission import AdmissionGate
from shutterbook_gateway.application.api_keys import KeyCache
from shutterbook_gateway.application.open_slot_model import OpenSlotModel
from shutterbook_gateway.application.recovery import run_recovery
from shutterbook_gateway.application.reference_cache import ReferenceCache
from shutterbook_gateway.events import API_KEY_REVOKED
from shutterbook_gateway.settings import GatewaySettings
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.broadcast import BroadcastListener
from shutterbook_kit.caller_token import Verifier, install_signer
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.relay import OutboxRelay
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.shared_events import COMPANY_CHANGED, CONFIGURATION_EVENTS
from shutterbook_kit.telemetry import tracing_enabled

log = logging.getLogger(__name__)


def create_app(settings: ServiceSettings, gateway: GatewaySettings) -> Litestar:
    # the gateway signs a caller token for every call it makes (for the partner key, or as
    # itself when recovery settles a booking)
    ring = settings.caller_keys()
    install_signer(ring)
    staff_verifier = Verifier(ring)  # the console's caller tokens, on the key administration routes
    ready_file = gateway.ready_file
    key_cache = KeyCache(gateway.key_cache_seconds)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.ready_file = Path(ready_file) if ready_file else None
        app.state.db = Database(settings.database_url)
        app.state.upstreams = Upstreams(
            settings.upstreams, gateway.deadlines, ReferenceCache(gateway.reference_cache_seconds)
        )
        app.state.admission = AdmissionGate(gateway.max_concurrent_bookings, gateway.booking_queue_seconds)
        app.state.gateway_settings = gateway
        app.state.key_cache = key_cache
        app.state.staff_verifier = staff_verifier
        # settles bookings a crash or an unreachable service left half done (holds expire by
        # themselves; charges do not)
        recovery = asyncio.create_task(run_recovery(app.state.db, app.state.upstreams, gateway.recovery))
        # gateway.booking.* events (manage links for notifications) go out through the outbox
        nats = NatsConnection(settings.nats_url, name="gateway", jetstream_replicas=settings.jetstream_replicas)
        nats.start()
        # what other processes change under this one's caches (a revoked key, ...)
        listener = BroadcastListener(nats, name="gateway-caches")
        listener.on(API_KEY_REVOKED, lambda _envelope, event: key_cache.forget(event.key_id))
        # a location, schedule, type or the company profile changed: the company's cached data goes
        for configuration_type in (*CONFIGURATION_EVENTS, COMPANY_CHANGED):
            listener.on(
                configuration_type,
                lambda envelope, _event: app.state.upstreams.reference.forget_company(envelope.company_id),
            )
        app.state.open_slot_model = OpenSlotModel(encode_slot, gateway.open_slots_ttl_seconds)
        open_slot_model.listen(listener, app.state.open_slot_model)
        listener.start()
        app.state.listener = listener
        relay = OutboxRelay(
            app.state.db,
            nats,
            StreamSpec("gateway"),
            lease_seconds=settings.outbox_lease_seconds,
            linger_seconds=settings.outbox_linger_seconds,
        )
        relay.start()
        try:
            yield
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            await relay.stop()
            await listener.stop()
            await nats.close()
            await app.state.upstreams.close()
            await app.state.db.dispose()
            log.info("stopped", extra={"service": settings.service})

    return Litestar(
        route_handlers=[
            HealthController,
            ClientsController,
            CatalogController,
            BookingsController,
            CalendarFeedController,
            KeyAdminController,
            PictureDayPortalController,
            *PAGE_HANDLERS,
            marketing_image,
            company_logo,
            docs_assets_router(),
        ],
        # the body limit first, so nothing reads more than it; then the rate limit, so a
        # throttled call never claims an idempotency key
        middleware=[
            body_limit_middleware(gateway.max_body_bytes),
            cors_preflight_middleware,
            rate_limit_middleware(RateLimits(gateway)),
            publishable_key_middleware(gateway.public_base_url),
            idempotency_middleware,
        ],
        request_max_body_size=gateway.max_body_bytes,
        request_class=GatewayRequest,
        lifespan=[lifespan],
        # spans of each request, unless this process records none (telemetry.tracing_enabled)
        plugins=[
            ProblemDetailsPlugin(PROBLEM_CONFIG),
            *([OpenTelemetryPlugin(OpenTelemetryConfig())] if tracing_enabled() else []),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=None,  # the kit's JSON logging (configured by the CLI) stays in charge
        openapi_config=OpenAPIConfig(
            title="Shutterbook booking API",
            version="1.0.0",
            description="Public booking API for partner sites and studio web pages.",
            path="/docs",
            render_plugins=render_plugins(),
            components=Components(
                security_schemes={
                    "ApiKey": SecurityScheme(
                        type="apiKey",
                        name="X-Api-Key",
                        security_scheme_in="header",
                        description="A partner key, sbk_<id>_<secret>, scoped to one company.",
                    )
                }
            ),
        ),
    )
