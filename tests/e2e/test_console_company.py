"""Studio setup > Company in a real browser (Debian chromium) over the real scheduling, clients
and billing services with the demo studio (whose profile `make run` seeds). A manager finds the
profile filled in, is refused a tax rate that is not a percentage (the console's check) and a
colour that is not #RRGGBB (scheduling's) beside their fields with what was typed kept, saves,
is refused a file that is no image beside the logo field, uploads a logo and sees it in the
preview; scheduling holds what the page said, and the session confirmation printed from the
console carries the new name and address. A front desk is refused the page. Screenshots at
1280x800 and 1024x768 (test-artifacts/console/<size>/company-*.png)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, FilePayload, expect
from pypdf import PdfReader

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory
from tests.browser_support import screenshot
from tests.console_stack_support import DEMO_META, ConsoleStack, console_stack
from tests.e2e.test_console_calendar import SIZES
from tests.e2e.test_console_type_setup import DESK, MANAGER, log_in
from tests.integration.test_billing_documents import assert_no_ids
from tests.integration.test_marketing_images import png


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleStack]:
    databases = DatabaseFactory(backend="sqlite", tmp=tmp_path_factory.mktemp("company"), created=[])
    nats = EmbeddedNats(free_port(), tmp_path_factory.mktemp("nats"))
    nats.start()
    try:
        async with console_stack(databases, nats.url) as s:
            yield s
    finally:
        nats.stop()


async def _profile(stack: ConsoleStack) -> pb.CompanyProfile:
    return await stack.services.scheduling.GetCompanyProfile(
        pb.GetCompanyProfileRequest(name="companyProfile"), metadata=DEMO_META
    )


async def test_a_manager_sets_up_the_company_and_a_front_desk_may_not(browser: Browser, stack: ConsoleStack) -> None:
    seeded = await _profile(stack)
    assert seeded.display_name  # the demo's profile
    sessions = await stack.services.scheduling.ListSessions(pb.ListSessionsRequest(page_size=1), metadata=DEMO_META)
    session_id = sessions.sessions[0].name.split("/")[1]
    shown = seeded.display_name
    for size in SIZES:
        name = f"Lakeside Portrait Co. {size[0]}"
        logo = png(40 + size[0] % 7, 24)
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await log_in(page, MANAGER)
        await page.get_by_role("link", name="Studio setup").click()
        await expect(page.get_by_role("heading", level=1, name="Studio setup: company")).to_be_visible()
        await expect(page.get_by_label("Studio name")).to_have_value(shown)
        await page.wait_for_function("[...document.images].every(img => img.complete && img.naturalWidth > 0)")
        await screenshot(page, "console", size, "company-01-view")

        # the console's own check, then scheduling's, each beside its field, what was typed kept
        await page.get_by_label("Studio name").fill(name)
        await page.get_by_label("Street address").fill("9 Harbor Road")
        await page.get_by_label("Address line 2 (optional)").fill("")
        await page.get_by_label("City").fill("Portland")
        await page.get_by_label("State or region").fill("ME")
        await page.get_by_label("Postal code").fill("04101")
        await page.get_by_label("Default tax rate (%)").fill("eight")
        await page.get_by_role("button", name="Save company").click()
        await expect(page.locator("#tax_rate-error")).to_contain_text("percentage")
        await expect(page.get_by_label("Studio name")).to_have_value(name)
        await page.get_by_label("Default tax rate (%)").fill("8.25")
        await page.get_by_label("Brand colour").fill("sea green")
        await page.get_by_role("button", name="Save company").click()
        await expect(page.locator("#brand_color-error")).to_contain_text("#RRGGBB")
        await expect(page.get_by_role("alert")).to_contain_text("Not saved")
        await expect(page.get_by_label("Brand colour")).to_have_value("sea green")
        await expect(page.get_by_label("Brand colour")).to_have_attribute("aria-invalid", "true")
        await page.wait_for_function("[...document.images].every(img => img.complete)")
        await screenshot(page, "console", size, "company-02-refused")
        await page.get_by_label("Brand colour").fill("#2e7d32")
        await page.get_by_role("button", name="Save company").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")
        await expect(page.locator("[data-preview-name]")).to_have_text(name)
        await expect(page.get_by_label("Brand colour")).to_have_value("#2E7D32")
        await expect(page.get_by_label("Default tax rate (%)")).to_have_value("8.25")

        # the logo: a file that is no image refused beside the field, a PNG kept and previewed
        await page.get_by_label("Logo file").set_input_files(
            files=[FilePayload(name="logo.png", mimeType="image/png", buffer=b"not a png")]
        )
        await page.get_by_role("button", name="Upload logo").click()
        await expect(page.locator("#logo-error")).to_contain_text("is not a PNG image")
        await page.get_by_label("Logo file").set_input_files(
            files=[FilePayload(name="logo.png", mimeType="image/png", buffer=logo)]
        )
        await page.get_by_role("button", name="Upload logo").click()
        await expect(page.locator("p.notice")).to_have_text("Logo saved.")
        preview = page.locator("[data-preview] img[data-logo]")
        await expect(preview).to_be_visible()
        assert await preview.evaluate("img => img.decode().then(() => img.naturalWidth)") == 40 + size[0] % 7
        await screenshot(page, "console", size, "company-03-saved")

        # the confirmation the desk prints carries the studio as now set up
        printed = await page.request.get(f"/sessions/{session_id}/confirmation.pdf")
        assert printed.status == 200
        reader = PdfReader(io.BytesIO(await printed.body()))
        text = reader.pages[0].extract_text()
        assert text.startswith(name)
        assert "9 Harbor Road, Portland ME 04101" in text
        assert len(reader.pages[0].images) == 1  # the logo
        assert_no_ids(text)
        await context.close()

        saved = await _profile(stack)
        assert (saved.display_name, saved.brand_color, saved.default_tax_rate_bps) == (name, "#2E7D32", 825)
        assert list(saved.address.address_lines) == ["9 Harbor Road"]
        assert saved.logo_etag == hashlib.sha256(logo).hexdigest()
        shown = name

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await log_in(page, DESK)
    await expect(page.get_by_role("link", name="Studio setup")).to_have_count(0)
    for path in ("/setup/company", "/setup/company/logo"):
        refused = await page.goto(path)
        assert refused is not None
        assert refused.status == 403
        await expect(page.get_by_role("alert")).to_contain_text("managers and owners")
    refused_post = await page.request.post("/setup/company", form={"display_name": "Desk Co."})
    assert refused_post.status in (403, 400)  # no CSRF token or no right: never saved
    assert (await _profile(stack)).display_name == f"Lakeside Portrait Co. {SIZES[-1][0]}"
    await context.close()
