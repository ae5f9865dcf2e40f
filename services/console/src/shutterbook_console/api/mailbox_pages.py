"""The Mailbox page (development only): every email the local SMTP sink kept, for any logged-in
staff member. A message's HTML part is served on its own URL with a sandboxing CSP and shown in
a sandboxed iframe, never placed into the console's page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook_console.api.deps import current_session
from shutterbook_console.application.mailbox import DevMailbox, MailboxUnavailable

NO_STORE = {"Cache-Control": "no-store"}
# The message's own HTML: no script, no plugin, no fetch, no form, nothing outside; inline styles
# and embedded images only; framed by the console alone.
HTML_PART_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
UNAVAILABLE = "The development mailbox is not answering. Is `make run` still running?"


def _mailbox(request: Request[Any, Any, State]) -> DevMailbox:
    mailbox: DevMailbox | None = request.app.state.dev_mailbox
    if mailbox is None:  # not development: the page does not exist
        raise NotFoundException()
    return mailbox


@get("/mailbox", include_in_schema=False)
async def mailbox_list(request: Request[Any, Any, State]) -> Template | Redirect:
    mailbox = _mailbox(request)
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    context: dict[str, Any] = {"title": "Mailbox", "body_class": "app", "staff": session.staff, "messages": []}
    try:
        context["messages"] = await mailbox.messages()
    except MailboxUnavailable:
        context["error"] = UNAVAILABLE
        return Template("mailbox.html", context=context, status_code=503, headers=NO_STORE)
    return Template("mailbox.html", context=context, headers=NO_STORE)


@get("/mailbox/{message_id:str}", include_in_schema=False)
async def mailbox_message(request: Request[Any, Any, State], message_id: FromPath[str]) -> Template | Redirect:
    mailbox = _mailbox(request)
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    context: dict[str, Any] = {"title": "Message", "body_class": "app", "staff": session.staff, "message": None}
    try:
        message = await mailbox.message(message_id)
    except MailboxUnavailable:
        context["error"] = UNAVAILABLE
        return Template("mailbox_message.html", context=context, status_code=503, headers=NO_STORE)
    if message is None:
        context["error"] = "There is no such message in the mailbox."
        return Template("mailbox_message.html", context=context, status_code=404, headers=NO_STORE)
    context.update(title=message.subject or "(no subject)", message=message)
    return Template("mailbox_message.html", context=context, headers=NO_STORE)


@get("/mailbox/{message_id:str}/html", include_in_schema=False)
async def mailbox_message_html(request: Request[Any, Any, State], message_id: FromPath[str]) -> Response[str]:
    mailbox = _mailbox(request)
    if await current_session(request) is None:
        return Response("", status_code=401, media_type="text/html", headers=NO_STORE)
    try:
        message = await mailbox.message(message_id)
    except MailboxUnavailable:
        return Response(UNAVAILABLE, status_code=503, media_type="text/plain", headers=NO_STORE)
    if message is None or not message.html:
        raise NotFoundException()
    headers = {
        **NO_STORE,
        "Content-Security-Policy": HTML_PART_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return Response(message.html, media_type="text/html; charset=utf-8", headers=headers)


MAILBOX_HANDLERS = [mailbox_list, mailbox_message, mailbox_message_html]
