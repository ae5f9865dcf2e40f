"""The Bulk Session Wizard: its page (`/bulk`), a job's progress page (`/bulk/jobs/{id}`, which
can be closed and opened again: the job runs in scheduling), and the JSON API behind them
(`/api/v1/bulk/...`). Managers and owners only."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook_console.api.deps import current_session, provide_session
from shutterbook_console.api.problems import problem, problem_responses
from shutterbook_console.application.bulk_wizard import (
    JOB_PREFIX,
    Plan,
    Selector,
    get_job,
    job_items,
    may_run,
    past_jobs,
    select_clients,
    start_job,
    verify,
    wizard_choices,
)
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.upstreams import UpstreamError, Upstreams

NO_STORE = {"Cache-Control": "no-store"}
JOBS_TOKEN = re.compile(r"^[0-9A-Za-z_=-]{0,500}$")
FORBIDDEN = "the Bulk Session Wizard is for managers and owners"


class ClientBody(msgspec.Struct):
    client: str
    display_name: str


class SelectionBody(msgspec.Struct):
    clients: list[ClientBody]
    not_known_clients: list[ClientBody]
    excluded_with_future_session: int


class ConflictBody(msgspec.Struct):
    slot_index: int
    slot_start: str  # RFC 3339, UTC
    entry: str
    schedule: str


class VerifyResultBody(msgspec.Struct):
    slot_count: int
    client_count: int
    enough_slots: bool
    slots_per_row: list[int]
    clients_per_row: list[int]
    conflicts: list[ConflictBody]
    skipped_nonexistent_slots: int


class JobBody(msgspec.Struct):
    id: str
    state: str  # running, succeeded
    total: int
    done: int
    failures: int


class ItemBody(msgspec.Struct):
    position: int
    client: str
    client_name: str
    start: str
    day: str
    state: str
    session: str
    failure: str


class ItemsBody(msgspec.Struct):
    items: list[ItemBody]


def _up(request: Request[Any, Any, State]) -> Upstreams:
    up: Upstreams = request.app.state.upstreams
    return up


async def provide_manager(request: Request[Any, Any, State]) -> CurrentSession:
    session = await provide_session(request)
    if not may_run(session.staff.roles):
        raise problem(403, FORBIDDEN, code="PERMISSION_DENIED")
    return session


def _job_body(job: bpb.BulkJob) -> JobBody:
    state = "succeeded" if job.state == bpb.BULK_JOB_STATE_SUCCEEDED else "running"
    return JobBody(job.name.removeprefix(JOB_PREFIX), state, job.total, job.done, job.failures)


class BulkController(Controller):
    path = "/api/v1/bulk"
    tags = ["bulk scheduling"]
    dependencies = {"session": Provide(provide_manager), "up": Provide(_up, sync_to_thread=False)}

    @post(
        "/selections",
        operation_id="selectBulkClients",
        summary="Choose the clients of a group, a saved filter, or an organization and year",
        status_code=200,
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def select(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], data: JSONBody[Selector]
    ) -> SelectionBody:
        reply = await select_clients(up, session.staff.caller(), data)
        return SelectionBody(
            [ClientBody(c.client, c.display_name) for c in reply.clients],
            [ClientBody(c.client, c.display_name) for c in reply.not_known_clients],
            reply.excluded_with_future_session,
        )

    @post(
        "/verifications",
        operation_id="verifyBulkSchedule",
        summary="Count the sessions the rows hold against the clients, and find conflicts",
        description="Writes nothing. Studio hours and lunch periods are ignored.",
        status_code=200,
        responses=problem_responses(400, 401, 403, 404, 422),
    )
    async def verify(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], data: JSONBody[Plan]
    ) -> VerifyResultBody:
        reply = await verify(up, session.staff.caller(), data)
        return VerifyResultBody(
            reply.slot_count,
            reply.client_count,
            reply.enough_slots,
            list(reply.slots_per_row),
            list(reply.clients_per_row),
            [
                ConflictBody(c.slot_index, c.slot_start_time.ToJsonString(), c.entry, c.schedule)
                for c in reply.conflicts
            ],
            reply.skipped_nonexistent_slots,
        )

    @post(
        "/jobs",
        operation_id="createBulkJob",
        summary="Start the job that creates one session per client",
        description="A retry with the same `request_id` returns the same job.",
        status_code=201,
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def create(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], data: JSONBody[Plan]
    ) -> JobBody:
        return _job_body(await start_job(up, session.staff.caller(), data))

    @get(
        "/jobs/{job_id:uuid}",
        operation_id="getBulkJob",
        summary="A job's progress: done, failed and total",
        responses=problem_responses(401, 403, 404),
    )
    async def progress(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], job_id: FromPath[uuid.UUID]
    ) -> JobBody:
        return _job_body(await get_job(up, session.staff.caller(), str(job_id)))

    @get(
        "/jobs/{job_id:uuid}/items",
        operation_id="listBulkJobItems",
        summary="Every client of a job with its slot, its session or why it failed",
        responses=problem_responses(401, 403, 404),
    )
    async def items(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], job_id: FromPath[uuid.UUID]
    ) -> ItemsBody:
        caller = session.staff.caller()
        job = await get_job(up, caller, str(job_id))
        views = await job_items(up, caller, job)
        return ItemsBody([ItemBody(**vars(v)) for v in views])


def _message(title: str, message: str, status: int) -> Template:
    context = {"title": title, "message": message, "link": "/", "link_label": "Home"}
    return Template("message.html", context=context, status_code=status)


@get("/bulk", include_in_schema=False)
async def bulk_page(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    if not may_run(current.staff.roles):
        return _message("Bulk Session Wizard", FORBIDDEN.capitalize() + ".", 403)
    page_token = str(request.query_params.get("jobs", ""))
    page_token = page_token if JOBS_TOKEN.match(page_token) else ""
    try:
        offered = await wizard_choices(_up(request), current.staff.caller())
        names = {t.name: t.display_name for t in offered.session_types}
        jobs, next_jobs = await past_jobs(_up(request), current.staff.caller(), page_token, names)
    except UpstreamError as exc:
        return _message("Bulk Session Wizard", exc.message.capitalize(), 503)
    return Template(
        "bulk.html",
        context={
            "title": "Bulk Session Wizard",
            "body_class": "app",
            "staff": current.staff,
            "c": offered,
            "choices_json": msgspec.json.encode(offered.locations).decode(),
            "request_id": str(uuid.uuid4()),
            "jobs": jobs,
            "next_jobs": next_jobs,
            "jobs_token": page_token,
        },
        headers=NO_STORE,
    )


@get("/bulk/jobs/{job_id:uuid}", include_in_schema=False)
async def bulk_job_page(request: Request[Any, Any, State], job_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    if not may_run(current.staff.roles):
        return _message("Bulk scheduling job", FORBIDDEN.capitalize() + ".", 403)
    try:
        job = await get_job(_up(request), current.staff.caller(), str(job_id))
    except UpstreamError as exc:
        return _message("Bulk scheduling job", exc.message.capitalize(), 404 if exc.code.name == "NOT_FOUND" else 503)
    return Template(
        "bulk_job.html",
        context={
            "title": "Bulk scheduling job",
            "body_class": "app",
            "staff": current.staff,
            "job": _job_body(job),
            "template": job.template,
        },
        headers=NO_STORE,
    )


BULK_HANDLERS: list[ControllerRouterHandler] = [BulkController, bulk_page, bulk_job_page]
