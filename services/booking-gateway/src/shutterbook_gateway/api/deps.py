"""Request dependencies: the partner behind the API key, and upstream call metadata."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.params import HeaderParameter, Parameter

from shutterbook_gateway.api.callers import verified_partner
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database

API_KEY_HEADER = "X-Api-Key"
# The routes that need a partner key (health, docs and the booking page's files do not).
API_KEY_SECURITY: list[dict[str, list[str]]] = [{"ApiKey": []}]
# Path ids are UUIDs; anything longer than this is refused before it reaches a service.
PathId = Annotated[str, Parameter(min_length=1, max_length=64, description="An id (UUID).")]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[ -~]+$",  # the idempotency middleware refuses anything else (400 INVALID_IDEMPOTENCY_KEY)
        required=False,
        description=(
            "1 to 200 printable ASCII characters. Same key and body (compared as parsed JSON): the first "
            "response again, with Idempotent-Replayed: true. Same key, other body: 422. While the first "
            "runs: 409 with Retry-After. After a 5xx the key is free: a retry runs again."
        ),
    ),
]


async def provide_partner(request: Request[Any, Any, State]) -> Partner:
    from shutterbook_gateway.api.problems import problem

    partner = await verified_partner(request.scope, request.app.state.db)
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
