"""The console's Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.problem_details import ProblemDetailsPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from shutterbook_console.api.auth import SessionController
from shutterbook_console.api.bulk import BULK_HANDLERS
from shutterbook_console.api.calendar import CalendarController, calendar_page
from shutterbook_console.api.client_merge import MERGE_HANDLERS
from shutterbook_console.api.client_pages import CLIENT_PAGE_HANDLERS
from shutterbook_console.api.communication import CommunicationController
from shutterbook_console.api.company_pages import COMPANY_HANDLERS
from shutterbook_console.api.deps import SESSION_COOKIE
from shutterbook_console.api.health import HealthController
from shutterbook_console.api.hub_pages import HUB_HANDLERS
from shutterbook_console.api.invoice_pages import INVOICE_HANDLERS
from shutterbook_console.api.key_pages import KEY_HANDLERS
from shutterbook_console.api.letter_pages import LETTER_HANDLERS
from shutterbook_console.api.location_pages import LOCATION_HANDLERS
from shutterbook_console.api.mailbox_pages import MAILBOX_HANDLERS
from shutterbook_console.api.pages import PAGE_HANDLERS
from shutterbook_console.api.picture_day_pages import PICTURE_DAY_HANDLERS
from shutterbook_console.api.price_pages import PRICE_HANDLERS
from shutterbook_console.api.problems import EXCEPTION_HANDLERS, PROBLEM_CONFIG
from shutterbook_console.api.schedule_pages import SCHEDULE_HANDLERS
from shutterbook_console.api.session_pages import SESSION_PAGE_HANDLERS
from shutterbook_console.api.slot_generate_pages import SLOT_GENERATE_HANDLERS
from shutterbook_console.api.staff import IdentityProviderController, StaffController
from shutterbook_console.api.status_pages import STATUS_HANDLERS
from shutterbook_console.api.time_slot_pages import TIME_SLOT_HANDLERS
from shutterbook_console.api.trigger_pages import TRIGGER_HANDLERS
from shutterbook_console.api.type_image_pages import TYPE_IMAGE_HANDLERS
from shutterbook_console.api.type_pages import TYPE_HANDLERS
from shutterbook_console.api.wizard import WIZARD_HANDLERS
from shutterbook_console.api.wizard_letters import WizardLetterController
from shutterbook_console.application.mailbox import DevMailbox
from shutterbook_console.application.mailer import LogMailer, Mailer
from shutterbook_console.application.smtp_mailer import SmtpMailer
from shutterbook_console.notifications_client import NotificationsClient
from shutterbook_console.settings import ConsoleSettings
from shutterbook_console.upstreams import LocationDirectory, Upstreams
from shutterbook_kit.caller_token import install_signer
from shutterbook_kit.db import Database

WEB = Path(__file__).parent / "web"
CSRF_COOKIE = "sb_console_csrf"
CSRF_HEADER = "x-csrf-token"
log = logging.getLogger(__name__)


def default_mailer(settings: ConsoleSettings) -> Mailer:
    """SMTP when a relay is configured (`make run`: its sink), else the link goes to the log."""
    if settings.smtp is None:
        return LogMailer()
    return SmtpMailer(settings.smtp, studio_name=settings.studio_name)


def create_app(settings: ConsoleSettings, *, secret_key: str, mailer: Mailer | None = None) -> Litestar:
    """`secret_key` signs CSRF tokens (every replica needs the same: see `main.signing_secret`)."""
    # the console signs a caller token for every gRPC call it makes (for the staff member)
    install_signer(settings.service.caller_keys())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.db = Database(settings.database_url)
        app.state.settings = settings
        app.state.mailer = mailer or default_mailer(settings)
        app.state.locations = LocationDirectory(settings.service.upstreams["scheduling"])
        app.state.dev_mailbox = DevMailbox(settings.dev_mailbox_url) if settings.dev_mailbox_url else None
        app.state.notifications = NotificationsClient(settings.notifications_addr)
        app.state.upstreams = Upstreams(settings.service.upstreams)
        try:
            yield
        finally:
            await app.state.upstreams.close()
            await app.state.locations.close()
            await app.state.notifications.close()
            if app.state.dev_mailbox is not None:
                await app.state.dev_mailbox.close()
            await app.state.db.dispose()
            log.info("stopped", extra={"service": settings.service.service})

    csrf = CSRFConfig(
        secret=secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=False,  # scripts read it to send the header; it is no secret by itself
        cookie_samesite="lax",
        # anchored: Litestar reads these as regular expressions searched anywhere in the path
        exclude=["^/healthz$", "^/readyz$", "^/docs(/|$)"],
    )
    return Litestar(
        route_handlers=[
            HealthController,
            SessionController,
            StaffController,
            IdentityProviderController,
            CommunicationController,
            *PAGE_HANDLERS,
            *MAILBOX_HANDLERS,
            *LETTER_HANDLERS,
            *TRIGGER_HANDLERS,
            *TYPE_HANDLERS,
            *TYPE_IMAGE_HANDLERS,
            *COMPANY_HANDLERS,
            *LOCATION_HANDLERS,
            *STATUS_HANDLERS,
            *SCHEDULE_HANDLERS,
            *PRICE_HANDLERS,
            *SLOT_GENERATE_HANDLERS,
            *KEY_HANDLERS,
            *TIME_SLOT_HANDLERS,
            CalendarController,
            calendar_page,
            *SESSION_PAGE_HANDLERS,
            *BULK_HANDLERS,
            *PICTURE_DAY_HANDLERS,
            *WIZARD_HANDLERS,
            WizardLetterController,
            *CLIENT_PAGE_HANDLERS,
            *MERGE_HANDLERS,
            *HUB_HANDLERS,
            *INVOICE_HANDLERS,
            create_static_files_router(path="/static", directories=[WEB / "static"], include_in_schema=False),
        ],
        lifespan=[lifespan],
        csrf_config=csrf,
        template_config=TemplateConfig(
            directory=WEB / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=lambda jinja: jinja.engine.globals.update(dev_mailbox=bool(settings.dev_mailbox_url)),
        ),
        plugins=[ProblemDetailsPlugin(PROBLEM_CONFIG)],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=None,  # the kit's JSON logging (configured by the CLI) stays in charge
        openapi_config=OpenAPIConfig(
            title="Shutterbook staff console API",
            version="1.0.0",
            description=(
                "The HTTP API behind the staff console. Log in with POST /api/v1/session (a session cookie, "
                f"`{SESSION_COOKIE}`); every state-changing request carries the `{CSRF_COOKIE}` cookie's value "
                f"in the `{CSRF_HEADER}` header."
            ),
            path="/docs",
            render_plugins=[ScalarRenderPlugin()],
            security=[{"Session": [], "CsrfToken": []}],
            components=Components(
                security_schemes={
                    "Session": SecurityScheme(
                        type="apiKey",
                        name=SESSION_COOKIE,
                        security_scheme_in="cookie",
                        description="The login session.",
                    ),
                    "CsrfToken": SecurityScheme(
                        type="apiKey",
                        name=CSRF_HEADER,
                        security_scheme_in="header",
                        description=f"The value of the {CSRF_COOKIE} cookie, on POST, PUT, PATCH and DELETE.",
                    ),
                }
            ),
        ),
    )
