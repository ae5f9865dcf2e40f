"""OpenID Connect login against a local provider on loopback (tests/oidc_provider.py): the id
token's verified email picks an existing active account of the company; nothing else logs in."""

from __future__ import annotations

import httpx
import pytest
from joserfc.jwk import RSAKey

from shutterbook_console import main as console_main
from shutterbook_devstack.testing import DatabaseFactory
from tests.console_support import COMPANY, OTHER_COMPANY, Console, console, csrf, log_in
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, oidc_provider

pytestmark = pytest.mark.postgres


async def _configure(c: Console, provider: Provider) -> None:
    async with c.client() as owner:
        assert (await log_in(owner, "owner@example.com")).status_code == 200
        body = {
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "label": "Studio SSO",
        }
        reply = await owner.put("/api/v1/identity-provider", json=body, headers=await csrf(owner))
        assert reply.status_code == 204, reply.text


async def _oidc_login(c: Console, company: str = COMPANY) -> tuple[httpx.AsyncClient, httpx.Response]:
    browser = c.client(follow_redirects=True)
    return browser, await browser.get(f"/login/oidc/{company}")


async def test_oidc_login_maps_the_verified_email_to_an_active_account(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with oidc_provider() as provider, console(url) as c:
        await c.staff("owner@example.com", ["owner"])
        photographer = await c.staff("john@example.com", ["photographer"])
        await _configure(c, provider)

        login_page = await c.client().get(f"/login?company={COMPANY}")
        assert "Log in with Studio SSO" in login_page.text

        provider.login_as = "John@Example.com"
        browser, landed = await _oidc_login(c)
        assert landed.status_code == 200
        assert str(landed.url) == f"{c.url}/"
        assert "John" in landed.text
        me = (await browser.get("/api/v1/me")).json()
        assert me["staff"]["id"] == photographer.id
        assert me["login_method"] == "oidc"
        assert provider.token_requests == 1
        await browser.aclose()


async def test_oidc_refuses_unknown_unverified_disabled_forged_and_replayed(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with oidc_provider() as provider, console(url) as c:
        await c.staff("owner@example.com", ["owner"])
        desk = await c.staff("desk@example.com", ["front_desk"])
        await c.staff("elsewhere@example.com", ["owner"], company=OTHER_COMPANY)
        await _configure(c, provider)

        async def refused(why: str) -> None:
            browser, landed = await _oidc_login(c)
            assert landed.status_code == 401, why
            assert "did not work" in landed.text, why
            assert (await browser.get("/api/v1/me")).status_code == 401, why
            await browser.aclose()

        provider.login_as = "nobody@example.com"
        await refused("no account: OIDC never creates one")
        provider.login_as = "elsewhere@example.com"
        await refused("an account of another company")

        provider.login_as = "desk@example.com"
        provider.email_verified = False
        await refused("email not verified by the provider")
        provider.email_verified = True

        provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        await refused("id token signed with a key the provider's JWKS does not hold")
        provider.signing_key = None

        # a callback replayed with a spent state
        browser = c.client()
        start = await browser.get(f"/login/oidc/{COMPANY}")
        assert start.status_code in (302, 303)
        async with httpx.AsyncClient() as idp:
            callback = (await idp.get(start.headers["location"])).headers["location"]
        first = await browser.get(callback)
        assert first.status_code in (302, 303)
        assert (await browser.get("/api/v1/me")).json()["staff"]["id"] == desk.id
        other = c.client()
        replay = await other.get(callback)
        assert replay.status_code == 401
        assert (await other.get("/api/v1/me")).status_code == 401
        await browser.aclose()
        await other.aclose()

        # a disabled account cannot log in through OIDC either
        async with c.client() as owner:
            await log_in(owner, "owner@example.com")
            assert (await owner.post(f"/api/v1/staff/{desk.id}/disable", headers=await csrf(owner))).status_code == 200
        await refused("disabled account")


async def test_oidc_for_a_company_without_a_provider(sqlite_databases: DatabaseFactory) -> None:
    url = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url) as c, c.client() as browser:
        reply = await browser.get(f"/login/oidc/{COMPANY}")
        assert reply.status_code == 404
        assert "no identity provider" in reply.text
        assert "Log in with" not in (await browser.get(f"/login?company={COMPANY}")).text
