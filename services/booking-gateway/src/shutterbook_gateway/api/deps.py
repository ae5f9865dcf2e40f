"""Request dependencies: the partner behind the API key, and upstream call metadata."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.params import HeaderParameter

from shutterbook_gateway.application.api_keys import Partner, authenticate
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database

API_KEY_HEADER = "X-Api-Key"
IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        max_length=200,
        pattern=r"^[ -~]*$",  # an empty key is refused by the idempotency middleware (400)
        required=False,
        description="Same key and body: the first response. Same key, other body: 422. While the first runs: 409.",
    ),
]


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


def request_id_for(partner: Partner, idempotency_key: str | None) -> str:
    """The upstream request_id of a POST: the Idempotency-Key scoped to the key's owner, or
    a fresh one for this HTTP request, so gRPC retries of it (on UNAVAILABLE) stay safe."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return hashlib.sha256(f"{partner.company_id}:{partner.key_id}:{idempotency_key}".encode()).hexdigest()[:64]
