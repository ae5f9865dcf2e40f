"""Merge a duplicate into a client (`/clients/{id}/merge`): find the duplicate by part of its
name, email or phone, then MergeClients (the duplicate's sessions, invoices and memberships move
to the client it is merged into; clients keeps both in the history). Needs clients.delete
(managers and owners); the clients service decides."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.clients.v1 import clients_pb2
from shutterbook_console.api.client_pages import NO_STORE, message_page, notice_page, upstreams
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.problems import status_of
from shutterbook_console.application.client_records import may_merge_clients
from shutterbook_console.application.hubs import display_name
from shutterbook_kit.errors import DomainError

RESULTS = 25


@get("/clients/{client_id:uuid}/merge", include_in_schema=False)
async def merge_page(request: Request[Any, Any, State], client_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller = current.staff.caller()
    if not may_merge_clients(caller):
        return notice_page("Merge clients", "Your role may not merge clients.", 403)
    up = upstreams(request)
    name = f"clients/{client_id}"
    query = str(request.query_params.get("q", "")).strip()
    try:
        client = await up.call(up.clients.GetClient, clients_pb2.GetClientRequest(name=name), caller)
        found: list[clients_pb2.Client] = []
        if query:
            reply = await up.call(
                up.clients.SearchClients, clients_pb2.SearchClientsRequest(query=query, page_size=RESULTS), caller
            )
            found = [r.client for r in reply.results if r.client.name != name]
    except DomainError as exc:
        return message_page(exc, "Merge clients")
    return Template(
        "client_merge.html",
        context={
            "title": "Merge clients",
            "body_class": "app",
            "staff": current.staff,
            "c": client,
            "q": query,
            "found": found,
            "display_name": display_name,
            "request_id": str(uuid.uuid4()),
        },
        headers=NO_STORE,
    )


@post("/clients/{client_id:uuid}/merge", include_in_schema=False)
async def merge_submit(request: Request[Any, Any, State], client_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    form = await request.form()
    merged = str(form.get("merged_client", ""))
    request_id = str(form.get("request_id", ""))
    try:
        uuid.UUID(request_id)
    except ValueError:
        request_id = ""
    up = upstreams(request)
    ask = clients_pb2.MergeClientsRequest(client=f"clients/{client_id}", merged_client=merged, request_id=request_id)
    try:
        await up.call(up.clients.MergeClients, ask, current.staff.caller())
    except DomainError as exc:
        message = "Your role may not merge clients." if status_of(exc) == 403 else f"Not merged: {exc.message}."
        return notice_page("Merge clients", message, status_of(exc), link=(f"/clients/{client_id}", "Back"))
    return Redirect(f"/clients/{client_id}?saved=merged", headers=NO_STORE)


MERGE_HANDLERS = [merge_page, merge_submit]
