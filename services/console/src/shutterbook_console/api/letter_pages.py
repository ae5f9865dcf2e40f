"""Form letters in the console: the list (one per purpose, plus custom letters) and an editor
with a preview, both through notifications (which checks the staff member's permissions and
refuses a template error naming the field and line)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import grpc
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook_console.api.deps import current_session
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.notifications_client import Letter, NotificationsClient, Rendered, field_errors

NO_STORE = {"Cache-Control": "no-store"}
LETTER_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
FIELDS = ("subject", "body_text", "body_html")
MAX_TEMPLATE = 100_000
REFUSALS = {
    grpc.StatusCode.PERMISSION_DENIED: (403, "Your role may not change form letters. Ask an owner or a manager."),
    grpc.StatusCode.NOT_FOUND: (404, "There is no such form letter."),
}
UNAVAILABLE = (503, "Form letters are not available right now (the notifications service did not answer).")


def notifications_of(request: Request[Any, Any, State]) -> NotificationsClient:
    client: NotificationsClient = request.app.state.notifications
    return client


def staff_page(name: str, session: CurrentSession, status: int = 200, **context: Any) -> Template:
    context.setdefault("errors", {})
    return Template(
        name, context={"body_class": "app", "staff": session.staff, **context}, status_code=status, headers=NO_STORE
    )


def refusal(exc: grpc.aio.AioRpcError) -> tuple[int, str]:
    return REFUSALS.get(exc.code(), UNAVAILABLE)


@get("/letters", include_in_schema=False)
async def letters_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    try:
        letters = await notifications_of(request).letters(session.staff.caller())
    except grpc.aio.AioRpcError as exc:
        status, message = refusal(exc)
        return staff_page("letters.html", session, status, title="Form letters", letters=[], error=message)
    notice = "Form letter saved." if request.query_params.get("saved") else ""
    return staff_page("letters.html", session, title="Form letters", letters=letters, notice=notice)


@get("/letters/{letter_id:str}", include_in_schema=False)
async def letter_page(request: Request[Any, Any, State], letter_id: FromPath[str]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    try:
        if not LETTER_ID.match(letter_id):
            raise LookupError
        letter = await notifications_of(request).letter(session.staff.caller(), letter_id)
    except LookupError:
        return staff_page(
            "letter.html", session, 404, title="Form letter", letter=None, error=REFUSALS[grpc.StatusCode.NOT_FOUND][1]
        )
    except grpc.aio.AioRpcError as exc:
        status, message = refusal(exc)
        return staff_page("letter.html", session, status, title="Form letter", letter=None, error=message)
    return staff_page("letter.html", session, title=letter.display_name, letter=letter)


@post("/letters/{letter_id:str}", include_in_schema=False)
async def letter_submit(request: Request[Any, Any, State], letter_id: FromPath[str]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    client, caller = notifications_of(request), session.staff.caller()
    try:
        if not LETTER_ID.match(letter_id):
            raise LookupError
        saved = await client.letter(caller, letter_id)
    except LookupError:
        return staff_page(
            "letter.html", session, 404, title="Form letter", letter=None, error=REFUSALS[grpc.StatusCode.NOT_FOUND][1]
        )
    except grpc.aio.AioRpcError as exc:
        status, message = refusal(exc)
        return staff_page("letter.html", session, status, title="Form letter", letter=None, error=message)

    def typed_in(field: str) -> str:
        return form.get(field, "").replace("\r\n", "\n")[:MAX_TEMPLATE]

    typed = dataclasses.replace(
        saved, subject=typed_in("subject"), body_text=typed_in("body_text"), body_html=typed_in("body_html")
    )
    preview: Rendered | None = None
    try:
        if form.get("action") == "preview":
            preview = await client.preview(caller, typed)
        else:
            await client.save(caller, typed)
            return Redirect("/letters?saved=1", headers=NO_STORE)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
            status, message = refusal(exc)
            return staff_page("letter.html", session, status, title=typed.display_name, letter=typed, error=message)
        errors = _errors_by_field(field_errors(exc))
        count = len(errors)
        summary = (
            "Please correct the field marked below."
            if count == 1
            else f"Please correct the {count} fields marked below."
        )
        return staff_page(
            "letter.html", session, 422, title=typed.display_name, letter=typed, errors=errors, error=summary
        )
    return staff_page("letter.html", session, title=typed.display_name, letter=typed, preview=preview)


def _errors_by_field(raw: dict[str, str]) -> dict[str, str]:
    """`form_letter.body_text` -> `body_text`; a whole-letter error goes under the subject."""
    errors: dict[str, str] = {}
    for name, description in raw.items():
        field = name.removeprefix("form_letter").lstrip(".") or "subject"
        errors[field if field in FIELDS else "subject"] = description[:1].upper() + description[1:]
    return errors or {"subject": "The letter cannot be rendered."}


LETTER_HANDLERS = [letters_page, letter_page, letter_submit]
__all__ = ["LETTER_HANDLERS", "Letter"]
