"""The API docs in a real browser with the network cut off: /docs (Scalar) and /docs/swagger
(Swagger UI) must render from the gateway's own vendored assets, every request to anywhere else
aborted. Screenshots go to test-artifacts/docs/."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, Route, expect

from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway import main as gateway_main
from tests.helpers import gateway

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "docs"
NO_UPSTREAMS = {"clients": "127.0.0.1:1", "scheduling": "127.0.0.1:1", "billing": "127.0.0.1:1"}


async def _offline_page(browser: Browser, base_url: str, blocked: list[str], failed: list[str]) -> Page:
    """A page that may reach only the gateway: anything else is aborted and recorded."""
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)

    async def only_the_gateway(route: Route) -> None:
        if route.request.url.startswith(base_url + "/"):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_gateway)
    page = await context.new_page()
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: failed.append(f"page error: {error}"))
    return page


async def test_the_api_docs_render_with_only_the_gateway_reachable(
    sqlite_databases: DatabaseFactory, browser: Browser
) -> None:
    url = await sqlite_databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    async with gateway(url, NO_UPSTREAMS) as base_url:
        blocked: list[str] = []
        failed: list[str] = []
        page = await _offline_page(browser, base_url, blocked, failed)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.goto("/docs")
        # Scalar draws the document: its title, and a sidebar entry per tag of operations
        await expect(page.get_by_role("heading", name="Shutterbook booking API").first).to_be_visible()
        for tag in ("health", "clients", "catalog", "bookings"):
            await expect(page.get_by_role("link", name=tag, exact=True).first).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "scalar.png"))

        await page.goto("/docs/swagger")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shutterbook booking API")
        await expect(page.locator(".opblock-summary-path", has_text="/v1/bookings").first).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "swagger.png"))

        assert blocked == [], f"the docs asked for outside resources: {blocked}"
        assert failed == [], failed
