"""What the studio setup screens of price list, promotions and staff schedules share: the
managers-and-owners guard (others get the screen's page saying so, 403), the form's text
fields, an idempotency key carried by a create form, and an id from a path."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import grpc
from litestar import Request
from litestar.datastructures import State
from litestar.response import Redirect, Template

from shutterbook_console.api.deps import current_session
from shutterbook_console.api.letter_pages import staff_page
from shutterbook_console.api.type_pages import beside_fields, may_set_up
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.upstreams import UpstreamError

RECORD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PAGE_TOKEN = re.compile(r"^[0-9A-Za-z_=-]{0,500}$")


async def setup_session(
    request: Request[Any, Any, State], template: str, title: str, forbidden: str
) -> CurrentSession | Redirect | Template:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if not may_set_up(session):
        return staff_page(template, session, 403, title=title, error=forbidden, refused=True)
    return session


async def form_texts(request: Request[Any, Any, State]) -> tuple[dict[str, str], Any]:
    """The form's text fields (one value each) and the raw form (for repeated fields)."""
    raw = await request.form()
    return {k: str(v) for k, v in raw.items() if isinstance(v, str)}, raw


def page_token_of(request: Request[Any, Any, State]) -> str:
    """The `page` query parameter when it looks like a page token, else the first page's ""."""
    token = request.query_params.get("page", "")
    return token if PAGE_TOKEN.match(token) else ""


def request_id_of(form: dict[str, str]) -> str:
    """The create form's idempotency key (a retried submit creates one record), or a new one."""
    given = form.get("request_id", "")
    return given if 8 <= len(given) <= 100 else str(uuid.uuid4())


def new_request_id() -> str:
    return str(uuid.uuid4())


def beside_setup_fields(exc: UpstreamError, to_field: Callable[[str], str], errors: dict[str, str]) -> tuple[int, str]:
    """As `beside_fields`, and a duplicate (ALREADY_EXISTS naming its field, like a SKU or a promo
    code already used) beside that field too, with 409."""
    if exc.code == grpc.StatusCode.ALREADY_EXISTS and to_field(exc.metadata.get("field", "")):
        errors.setdefault(to_field(exc.metadata["field"]), exc.message[:1].upper() + exc.message[1:] + ".")
        return 409, ""
    return beside_fields(exc, to_field, errors)
