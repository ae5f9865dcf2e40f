"""Key administration for the staff console: `/admin/apiKeys` (list, issue, and revoke with
`POST /admin/apiKeys/{key id}/revoke`, a company's partner API keys and publishable keys;
owners: `company.admin`) and `/admin/bookingPageKey`
(the publishable key booking URLs carry, issued on first use; managers: `setup.write`).

Not part of the partner API (no API key; not under /v1/): the caller is a staff member, named
by a caller token the console signs (`Authorization: Bearer`, the same Ed25519 tokens the
services verify) and checked against this process's verification keys. The company is always
the token's: a key of another company is "not found"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from shutterbook_gateway.api.deps import provide_db
from shutterbook_gateway.application.api_keys import booking_page_key, issue_key, list_keys, revoke_key
from shutterbook_kit import caller_token
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, PermissionDenied, Unauthenticated, Violations
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.permissions import Permission, grants

KEY_ID = re.compile(r"^[0-9A-Za-z-]{1,32}$")  # as issued: hex, or an id given to the CLI
KINDS = ("secret", "publishable")


@dataclass(frozen=True)
class KeyView:
    key_id: str
    label: str
    kind: str  # "secret" or "publishable"
    state: str  # "active" or "revoked"
    create_time: datetime
    revoke_time: datetime | None
    locations: list[str]
    publishable_key: str  # a publishable key in full (public by design); "" otherwise


@dataclass(frozen=True)
class IssuedKey:
    key: str  # in full: the only time a secret key is seen
    key_id: str
    kind: str


@dataclass(frozen=True)
class BookingPageKey:
    publishable_key: str


@dataclass(frozen=True)
class NewKey:
    label: str = ""
    kind: str = "secret"


def staff_caller(request: Request[Any, Any, State], needs: Permission) -> Caller:
    """The staff member the request's caller token names, allowed `needs`; else 401 / 403."""
    header = request.headers.get("authorization", "")
    try:
        caller = request.app.state.staff_verifier.verify(caller_token.bearer([("authorization", header)]))
    except caller_token.InvalidCallerToken as exc:
        raise Unauthenticated(str(exc)) from None
    if not isinstance(caller, Caller) or caller.kind is not CallerKind.STAFF:
        raise PermissionDenied("only staff administer keys")
    if needs not in grants(caller):
        raise PermissionDenied(f"this needs the {needs.value} permission", metadata={"permission": needs.value})
    return caller


class KeyAdminController(Controller):
    path = "/admin"
    include_in_schema = False
    dependencies = {"db": Provide(provide_db, sync_to_thread=False)}

    @get("/apiKeys")
    async def list_api_keys(
        self, request: Request[Any, Any, State], db: NamedDependency[Database]
    ) -> dict[str, list[KeyView]]:
        caller = staff_caller(request, Permission.COMPANY_ADMIN)
        rows = await list_keys(db, caller.company_id)
        return {
            "apiKeys": [
                KeyView(
                    key_id=r.key_id,
                    label=r.label,
                    kind=r.kind,
                    state="revoked" if r.revoked_at else "active",
                    create_time=r.created_at,
                    revoke_time=r.revoked_at,
                    locations=[f"locations/{x}" for x in r.location_ids],
                    publishable_key=r.publishable_key,
                )
                for r in rows
            ]
        }

    @post("/apiKeys", status_code=201)
    async def issue_api_key(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], data: JSONBody[NewKey]
    ) -> IssuedKey:
        caller = staff_caller(request, Permission.COMPANY_ADMIN)
        v = Violations()
        label = data.label.strip()
        if not label or len(label) > 200:
            v.add("label", "is required, at most 200 characters")
        if data.kind not in KINDS:
            v.add("kind", "must be secret or publishable")
        v.raise_if_any()
        publishable = data.kind == "publishable"
        key = await issue_key(db, caller.company_id, label, publishable=publishable)
        return IssuedKey(key=key, key_id=key.split("_", 2)[1], kind=data.kind)

    @post("/apiKeys/{key_id:str}/revoke", status_code=200)
    async def revoke_api_key(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], key_id: FromPath[str]
    ) -> dict[str, str]:
        caller = staff_caller(request, Permission.COMPANY_ADMIN)
        if not KEY_ID.match(key_id):
            v = Violations()
            v.add("key_id", "is not a key id (the part after sbk_ or pbk_)")
            v.raise_if_any()
        if not await revoke_key(db, key_id, caller.company_id):
            raise NotFound(f"no active key {key_id}")
        return {"keyId": key_id, "state": "revoked"}

    @post("/bookingPageKey", status_code=200)
    async def booking_page(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> BookingPageKey:
        caller = staff_caller(request, Permission.SETUP_WRITE)
        return BookingPageKey(await booking_page_key(db, caller.company_id))
