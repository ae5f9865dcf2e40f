"""The gateway's Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.problem_details import ProblemDetailsPlugin

from shutterbook_gateway.api.bookings import BookingsController
from shutterbook_gateway.api.catalog import CatalogController
from shutterbook_gateway.api.clients import ClientsController
from shutterbook_gateway.api.health import HealthController
from shutterbook_gateway.api.idempotency import idempotency_middleware
from shutterbook_gateway.api.pages import PAGE_HANDLERS
from shutterbook_gateway.api.problems import EXCEPTION_HANDLERS, PROBLEM_CONFIG
from shutterbook_gateway.api.rate_limit import rate_limit_config
from shutterbook_gateway.application.admission import AdmissionGate
from shutterbook_gateway.application.recovery import run_recovery
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.settings import ServiceSettings, env_int


def create_app(settings: ServiceSettings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.db = Database(settings.database_url)
        app.state.upstreams = Upstreams(settings.upstreams)
        app.state.admission = AdmissionGate()
        # settles bookings a crash or an unreachable service left half done (holds expire by
        # themselves; charges do not)
        recovery = asyncio.create_task(run_recovery(app.state.db, app.state.upstreams))
        try:
            yield
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            await app.state.upstreams.close()
            await app.state.db.dispose()

    rate_limit = rate_limit_config(env_int("GATEWAY_RATE_LIMIT_PER_MINUTE", 600))
    return Litestar(
        route_handlers=[HealthController, ClientsController, CatalogController, BookingsController, *PAGE_HANDLERS],
        # rate limit first, so a throttled call never claims an idempotency key
        middleware=[rate_limit.middleware, idempotency_middleware],
        lifespan=[lifespan],
        plugins=[ProblemDetailsPlugin(PROBLEM_CONFIG), OpenTelemetryPlugin(OpenTelemetryConfig())],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=None,  # the kit's JSON logging (configured by the CLI) stays in charge
        openapi_config=OpenAPIConfig(
            title="Shutterbook booking API",
            version="1.0.0",
            description="Public booking API for partner sites and studio web pages.",
            path="/docs",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            security=[{"ApiKey": []}],
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
