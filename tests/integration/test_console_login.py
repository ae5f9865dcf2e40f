"""The console's login over real HTTP against uvicorn: generic refusals, slowing down of
guessing, cookie flags, CSRF on every state-changing request, the reset link, disabled
accounts, and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from shutterbook_console import main as console_main
from shutterbook_console.app import CSRF_COOKIE
from shutterbook_console.storage.models import ConsoleSessionRow, PasswordResetRow
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.schema import utcnow
from tests.console_support import PASSWORD, console, csrf, log_in

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.postgres


def _set_cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


async def test_wrong_password_and_unknown_email_get_one_generic_answer(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        wrong = await log_in(http, "desk@example.com", "not the password at all")
        unknown = await log_in(http, "nobody@example.com", PASSWORD)
        for refused in (wrong, unknown):
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith(PROBLEM)
            assert refused.json()["code"] == "LOGIN_FAILED"
            assert "sb_console_session" not in refused.headers.get("set-cookie", "")
        assert wrong.json()["detail"] == unknown.json()["detail"] == "The email or password is not right."
        assert (await http.get("/api/v1/me")).status_code == 401

        ok = await log_in(http, "DESK@example.com", PASSWORD)  # emails compare without case
        assert ok.status_code == 200
        assert ok.json()["staff"]["email"] == "desk@example.com"
        assert (await http.get("/api/v1/me")).json()["staff"]["roles"] == ["front_desk"]


async def test_repeated_failures_lock_the_account_and_the_address(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url, lock_after_failures=3, lock_minutes=15) as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        await c.staff("other@example.com", ["front_desk"])
        for _ in range(2):
            assert (await log_in(http, "desk@example.com", "wrong password!")).status_code == 401
        third = await log_in(http, "desk@example.com", "wrong password!")
        assert third.status_code == 429
        assert third.json()["code"] == "TOO_MANY_ATTEMPTS"
        assert 14 * 60 <= int(third.headers["Retry-After"]) <= 15 * 60 + 1
        # locked: even the right password is refused, without being checked
        right = await log_in(http, "desk@example.com", PASSWORD)
        assert right.status_code == 429
        # the address is locked too (3 failures from it), for every account
        assert (await log_in(http, "other@example.com", PASSWORD)).status_code == 429


async def test_lock_grows_exponentially_and_clears_after(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url, lock_after_failures=2, lock_minutes=15) as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        for _ in range(2):
            await log_in(http, "desk@example.com", "wrong password!")
        # the lock ran out (moved into the past): two more failures lock for twice as long
        await _expire_locks(c.db)
        assert (await log_in(http, "desk@example.com", "wrong password!")).status_code == 401
        second = await log_in(http, "desk@example.com", "wrong password!")
        assert second.status_code == 429
        assert 29 * 60 <= int(second.headers["Retry-After"]) <= 30 * 60 + 1
        await _expire_locks(c.db)
        assert (await log_in(http, "desk@example.com", PASSWORD)).status_code == 200


async def _expire_locks(db: object) -> None:
    from shutterbook_console.storage.models import LoginThrottleRow
    from shutterbook_kit.db import Database
    from shutterbook_kit.schema import utcnow

    assert isinstance(db, Database)
    async with db.engine.begin() as conn:
        await conn.execute(sa.update(LoginThrottleRow).values(locked_until=utcnow() - timedelta(seconds=1)))


async def test_session_cookie_flags_on_localhost_and_behind_https(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        cookie = _set_cookie(await log_in(http, "desk@example.com"), "sb_console_session")
        parsed = SimpleCookie(cookie)["sb_console_session"]
        assert parsed["httponly"] is True
        assert parsed["samesite"].lower() == "lax"
        assert parsed["path"] == "/"
        assert not parsed["secure"]  # http://127.0.0.1: a browser would drop a Secure cookie
        assert len(parsed.value) >= 40
        async with c.db.engine.connect() as conn:
            stored = (await conn.execute(sa.select(ConsoleSessionRow.id_sha256))).scalars().all()
        assert parsed.value not in stored
        assert len(stored) == 1

    https_url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(https_url, public_url="https://console.studio.example") as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        login_page = await http.get("/login")
        assert "secure" in _set_cookie(login_page, CSRF_COOKIE).lower()
        # httpx keeps Secure cookies for https only: send the CSRF token by hand
        token = SimpleCookie(_set_cookie(login_page, CSRF_COOKIE))[CSRF_COOKIE].value
        response = await http.post(
            "/api/v1/session",
            json={"email": "desk@example.com", "password": PASSWORD},
            headers={"x-csrf-token": token},
            cookies={CSRF_COOKIE: token},
        )
        assert response.status_code == 200
        parsed = SimpleCookie(_set_cookie(response, "sb_console_session"))["sb_console_session"]
        assert parsed["secure"] is True
        assert parsed["httponly"] is True
        assert parsed["samesite"].lower() == "lax"


async def test_state_changing_requests_need_the_csrf_token(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as http:
        owner = await c.staff("owner@example.com", ["owner"])
        desk = await c.staff("desk@example.com", ["front_desk"])
        headers = await csrf(http)
        assert (await log_in(http, "owner@example.com")).status_code == 200
        attempts = [
            ("POST", "/api/v1/session", {"email": "owner@example.com", "password": PASSWORD}),
            (
                "POST",
                "/api/v1/staff",
                {"name": "X", "email": "x@example.com", "password": PASSWORD, "roles": ["manager"]},
            ),
            ("PATCH", f"/api/v1/staff/{desk.id}", {"name": "Renamed"}),
            ("POST", f"/api/v1/staff/{desk.id}/disable", None),
            ("POST", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": "another long password"}),
            ("DELETE", "/api/v1/session", None),
            ("POST", "/api/v1/password-resets", {"email": "owner@example.com"}),
        ]
        for method, path, body in attempts:
            for bad in ({}, {"x-csrf-token": "forged" + headers["x-csrf-token"][6:]}):
                refused = await http.request(method, path, json=body, headers=bad)
                assert refused.status_code == 403, (method, path)
                assert refused.headers["content-type"].startswith(PROBLEM)
                assert refused.json()["code"] == "CSRF_FAILED"
        # the login form too: a form post without _csrf_token is refused
        form = await http.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
        assert form.status_code == 403
        # nothing changed
        me = await http.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["staff"]["id"] == owner.id
        staff = (await http.get("/api/v1/staff")).json()["staff"]
        assert {s["name"] for s in staff} == {"Owner", "Desk"}
        assert all(s["active"] for s in staff)
        assert not c.mailer.sent
        # with the token, the same request goes through
        renamed = await http.patch(f"/api/v1/staff/{desk.id}", json={"name": "Renamed"}, headers=headers)
        assert renamed.status_code == 200
        assert renamed.json()["name"] == "Renamed"


async def test_reset_link_works_once_and_expires(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as http:
        desk = await c.staff("desk@example.com", ["front_desk"])
        other = c.client()
        assert (await log_in(other, "desk@example.com")).status_code == 200  # a session elsewhere
        headers = await csrf(http)
        known = await http.post("/api/v1/password-resets", json={"email": "Desk@Example.com"}, headers=headers)
        unknown = await http.post("/api/v1/password-resets", json={"email": "ghost@example.com"}, headers=headers)
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()  # the answer tells nothing
        assert [m.to for m in c.mailer.sent] == ["desk@example.com"]
        link = c.mailer.sent[0].link
        assert link.startswith(f"{c.settings.public_url}/reset-password#token=")
        token = urlsplit(link).fragment.removeprefix("token=")
        async with c.db.engine.connect() as conn:
            stored = (await conn.execute(sa.select(PasswordResetRow.token_sha256))).scalars().all()
        assert token not in stored
        assert len(stored) == 1

        new_password = "a brand new long password"
        short = await http.post(
            "/api/v1/password-resets/confirm", json={"token": token, "new_password": "short"}, headers=headers
        )
        assert short.status_code == 422
        assert short.json()["errors"][0]["field"] == "new_password"
        done = await http.post(
            "/api/v1/password-resets/confirm", json={"token": token, "new_password": new_password}, headers=headers
        )
        assert done.status_code == 204
        again = await http.post(
            "/api/v1/password-resets/confirm",
            json={"token": token, "new_password": "yet another password"},
            headers=headers,
        )
        assert again.status_code == 409
        assert again.json()["code"] == "RESET_LINK_INVALID"
        assert (await other.get("/api/v1/me")).status_code == 401  # every session ended
        await other.aclose()
        assert (await log_in(http, "desk@example.com", PASSWORD)).status_code == 401
        assert (await log_in(http, "desk@example.com", new_password)).status_code == 200

        # an expired link: asked for, then 31 minutes pass
        await http.post("/api/v1/password-resets", json={"email": "desk@example.com"}, headers=headers)
        late = urlsplit(c.mailer.sent[-1].link).fragment.removeprefix("token=")
        async with c.db.engine.begin() as conn:
            await conn.execute(
                sa.update(PasswordResetRow)
                .where(PasswordResetRow.staff_id == desk.id, PasswordResetRow.used_at.is_(None))
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )
        expired = await http.post(
            "/api/v1/password-resets/confirm",
            json={"token": late, "new_password": "yet another password"},
            headers=headers,
        )
        assert expired.status_code == 409
        assert expired.json()["code"] == "RESET_LINK_INVALID"
        assert (await log_in(http, "desk@example.com", new_password)).status_code == 200


async def test_disabled_accounts_cannot_log_in_and_their_sessions_end(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as owner_http, c.client() as desk_http:
        owner = await c.staff("owner@example.com", ["owner"])
        desk = await c.staff("desk@example.com", ["front_desk"])
        assert (await log_in(owner_http, "owner@example.com")).status_code == 200
        assert (await log_in(desk_http, "desk@example.com")).status_code == 200
        # staff management is for owners only
        denied = await desk_http.post(f"/api/v1/staff/{owner.id}/disable", headers=await csrf(desk_http))
        assert denied.status_code == 403
        assert denied.json()["code"] == "PERMISSION_DENIED"

        disabled = await owner_http.post(f"/api/v1/staff/{desk.id}/disable", headers=await csrf(owner_http))
        assert disabled.status_code == 200
        assert disabled.json()["active"] is False
        assert (await desk_http.get("/api/v1/me")).status_code == 401  # its session ended
        refused = await log_in(desk_http, "desk@example.com")
        assert refused.status_code == 401
        assert refused.json()["code"] == "LOGIN_FAILED"

        # the last active owner stays
        last = await owner_http.post(f"/api/v1/staff/{owner.id}/disable", headers=await csrf(owner_http))
        assert last.status_code == 409
        assert last.json()["code"] == "LAST_OWNER"
        demote = await owner_http.patch(
            f"/api/v1/staff/{owner.id}", json={"roles": ["manager"]}, headers=await csrf(owner_http)
        )
        assert demote.status_code == 409
        assert (await owner_http.get("/api/v1/me")).json()["staff"]["roles"] == ["owner"]


async def test_password_change_needs_the_current_one_and_ends_other_sessions(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as http, c.client() as elsewhere:
        await c.staff("desk@example.com", ["front_desk"])
        assert (await log_in(http, "desk@example.com")).status_code == 200
        assert (await log_in(elsewhere, "desk@example.com")).status_code == 200
        new = "the new long password"
        wrong = await http.post(
            "/api/v1/me/password",
            json={"current_password": "not it at all", "new_password": new},
            headers=await csrf(http),
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "current_password"
        ok = await http.post(
            "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": new}, headers=await csrf(http)
        )
        assert ok.status_code == 204
        assert (await http.get("/api/v1/me")).status_code == 200  # this session stays
        assert (await elsewhere.get("/api/v1/me")).status_code == 401  # the others end
        logout = await http.delete("/api/v1/session", headers=await csrf(http))
        assert logout.status_code == 204
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_openapi_document_and_health(sqlite_databases: DatabaseFactory) -> None:
    url = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as http:
        document = (await http.get("/docs/openapi.json")).json()
        assert document["info"]["title"] == "Shutterbook staff console API"
        operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
        assert {"logIn", "logOut", "getMe", "listStaff", "createStaff", "updateStaff", "disableStaff"} <= operations
        assert "CsrfToken" in document["components"]["securitySchemes"]
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["database"] == "ok"
        await c.db.engine.dispose()
