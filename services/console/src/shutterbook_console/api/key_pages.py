"""The Keys screen, owners only (`company.admin`): the company's partner API keys (secret, for
partner servers) and publishable keys (for booking pages): list, issue (the key shown once,
on the answer to the issue, never in a URL) and revoke. The keys live at the booking gateway
(application/keys.py); a revoked key stops working there within seconds."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook_console.api.deps import current_session
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.application.keys import KeyAdmin, KeyAdminError, KeyRow
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.settings import ConsoleSettings
from shutterbook_kit.permissions import Permission, grants

KEY_ID = re.compile(r"^[0-9A-Za-z-]{1,32}$")  # as issued: hex, or an id given to the CLI
TITLE = "Keys"
KINDS = {"secret": "Secret API key (partner servers)", "publishable": "Publishable key (booking pages)"}
FORBIDDEN = "Keys are managed by the studio's owners."
NOT_CONFIGURED = "Not configured: set SHUTTERBOOK_CONSOLE_GATEWAY_ADMIN_URL (the booking gateway's address)."


async def _owner(request: Request[Any, Any, State]) -> CurrentSession | Redirect | Template:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if Permission.COMPANY_ADMIN not in grants(session.staff.caller()):
        return staff_page("keys.html", session, 403, title=TITLE, error=FORBIDDEN, rows=None)
    return session


def _admin(request: Request[Any, Any, State]) -> KeyAdmin | None:
    settings: ConsoleSettings = request.app.state.settings
    return KeyAdmin(settings.gateway_admin_url) if settings.gateway_admin_url else None


async def _page(
    request: Request[Any, Any, State], session: CurrentSession, status: int = 200, **context: Any
) -> Template:
    admin = _admin(request)
    rows: list[KeyRow] | None = None
    if admin is None:
        context.setdefault("error", NOT_CONFIGURED)
    else:
        try:
            rows = await admin.keys(session.staff.caller())
        except KeyAdminError as exc:
            return staff_page("keys.html", session, exc.status, title=TITLE, error=exc.message, rows=None)
    context.setdefault("v", {"kind": "secret"})
    return staff_page("keys.html", session, status, title=TITLE, rows=rows, kinds=KINDS, **context)


@get("/keys", include_in_schema=False)
async def keys_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await _owner(request)
    if not isinstance(session, CurrentSession):
        return session
    notice = "Key revoked: it stops working within seconds." if request.query_params.get("done") == "revoked" else ""
    return await _page(request, session, notice=notice)


@post("/keys", include_in_schema=False)
async def issue_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await _owner(request)
    if not isinstance(session, CurrentSession):
        return session
    form = await request.form()
    v = {"label": str(form.get("label", "")).strip(), "kind": str(form.get("kind", ""))}
    errors: dict[str, str] = {}
    if not v["label"] or len(v["label"]) > 200:
        errors["label"] = "Name the key (who or what uses it), at most 200 characters."
    if v["kind"] not in KINDS:
        errors["kind"] = "Choose the kind of key."
    admin = _admin(request)
    if errors or admin is None:
        return await _page(request, session, 422, v=v, errors=errors, error="Not issued: see the marked fields.")
    try:
        key = await admin.issue(session.staff.caller(), v["label"], v["kind"])
    except KeyAdminError as exc:
        fields = {k: d[:1].upper() + d[1:] + "." for k, d in (exc.fields or {}).items() if k in ("label", "kind")}
        return await _page(request, session, 422 if fields else exc.status, v=v, errors=fields, error=exc.message)
    return await _page(request, session, issued=key, issued_kind=v["kind"], issued_label=v["label"])


@post("/keys/{key_id:str}/revoke", include_in_schema=False)
async def revoke_submit(request: Request[Any, Any, State], key_id: FromPath[str]) -> Template | Redirect:
    session = await _owner(request)
    if not isinstance(session, CurrentSession):
        return session
    admin = _admin(request)
    if admin is None or not KEY_ID.match(key_id):
        return await _page(request, session, 404, error="There is no such active key.")
    try:
        await admin.revoke(session.staff.caller(), key_id)
    except KeyAdminError as exc:
        return await _page(request, session, exc.status, error=exc.message)
    return Redirect("/keys?done=revoked", headers=NO_STORE)


KEY_HANDLERS = [keys_page, issue_submit, revoke_submit]
