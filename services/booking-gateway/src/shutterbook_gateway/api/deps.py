"""Request dependencies: the partner behind the API key, and upstream call metadata."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from litestar import Request
from litestar.datastructures import State

from shutterbook_gateway.application.api_keys import Partner, authenticate
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.tenancy import CallContext

API_KEY_HEADER = "X-Api-Key"


async def provide_partner(request: Request[Any, Any, State]) -> Partner:
    from shutterbook_gateway.api.problems import problem

    raw = request.headers.get(API_KEY_HEADER, "")
    partner = await authenticate(request.app.state.db, raw) if raw else None
    if partner is None:
        raise problem(
            401,
            "a valid partner API key is required",
            code="UNAUTHENTICATED",
            detail=f"send it in the {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return partner


def provide_db(request: Request[Any, Any, State]) -> Database:
    db: Database = request.app.state.db
    return db


def provide_upstreams(request: Request[Any, Any, State]) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def call_metadata(partner: Partner) -> tuple[tuple[str, str], ...]:
    return CallContext(company_id=partner.company_id, caller=f"partner:{partner.key_id}").metadata()


def request_id_for(partner: Partner, idempotency_key: str | None) -> str:
    """The upstream request_id of a POST: the Idempotency-Key scoped to the key's owner, or
    a fresh one for this HTTP request, so gRPC retries of it (on UNAVAILABLE) stay safe."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return hashlib.sha256(f"{partner.company_id}:{partner.key_id}:{idempotency_key}".encode()).hexdigest()[:64]
