"""The company profile (studio setup, company; issues 16, 17, 20), over real services: scheduling
keeps it per company and refuses bad fields naming them (leaving the stored profile as it was);
staff without setup rights cannot change it; another company sees none of it; its change is
announced as `scheduling.company.changed`, which billing keeps a copy of for its documents (the
confirmation and the receipt print the studio's name, address and logo, and no internal id) and
which the gateway's booking page follows (GET /v1/studio: name, colour, logo served)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable

import grpc
import httpx
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.caller_keys import caller_metadata
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, rpc_violations
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.billing_support import create_item, known_client, pay, snapshot
from tests.helpers import COMPANY_A, COMPANY_B, clients_and_scheduling
from tests.integration.test_billing_documents import assert_no_ids, pdf_text
from tests.integration.test_marketing_images import png
from tests.stack_support import booking_stack

A = company_metadata(COMPANY_A)
B = company_metadata(COMPANY_B)
MANAGER = caller_metadata(Caller(COMPANY_A, CallerKind.STAFF, "m1", roles=frozenset({Role.MANAGER})))
DESK = caller_metadata(Caller(COMPANY_A, CallerKind.STAFF, "d1", roles=frozenset({Role.FRONT_DESK})))
ATTEMPTS = 200  # bounded waits for an event to arrive (0.05 s apart: ten seconds at most)


def profile(**overrides: object) -> pb.CompanyProfile:
    fields: dict[str, object] = {
        "display_name": "Lakeside Portrait Co.",
        "address": pb.PostalAddress(
            address_lines=["9 Harbor Road"],
            locality="Portland",
            administrative_area="ME",
            postal_code="04101",
            region_code="US",
        ),
        "phone_number": "+1 207 555 0100",
        "email": "hello@lakeside.example",
        "website_uri": "https://lakeside.example",
        "brand_color": "#1f6feb",
        "currency_code": "USD",
        "default_tax_rate_bps": 825,
    }
    fields.update(overrides)
    return pb.CompanyProfile(**fields)  # type: ignore[arg-type]


async def _refused(call: Awaitable[object], field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert list(rpc_violations(refused.value)) == [field]


async def _wait_for(condition: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(ATTEMPTS):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the change did not arrive")


@pytest.mark.postgres
async def test_the_profile_is_kept_validated_and_announced(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        scheduling = stack.services.scheduling
        get = pb.GetCompanyProfileRequest(name="companyProfile")
        empty = await scheduling.GetCompanyProfile(get, metadata=A)
        assert (empty.name, empty.display_name, empty.logo_etag) == ("companyProfile", "", "")

        stored = await scheduling.UpdateCompanyProfile(
            pb.UpdateCompanyProfileRequest(company_profile=profile()), metadata=MANAGER
        )
        assert stored.display_name == "Lakeside Portrait Co."
        assert stored.brand_color == "#1F6FEB"  # one spelling
        assert stored.default_tax_rate_bps == 825
        assert (await scheduling.GetCompanyProfile(get, metadata=A)) == stored

        # one field by the mask: the rest stays
        recoloured = await scheduling.UpdateCompanyProfile(
            pb.UpdateCompanyProfileRequest(
                company_profile=pb.CompanyProfile(brand_color="#2E7D32", display_name="ignored"),
                update_mask=field_mask_pb2.FieldMask(paths=["brand_color"]),
            ),
            metadata=MANAGER,
        )
        assert (recoloured.brand_color, recoloured.display_name) == ("#2E7D32", "Lakeside Portrait Co.")

        # every bad field named; the stored profile untouched
        bad = {
            "company_profile.brand_color": profile(brand_color="blue"),
            "company_profile.currency_code": profile(currency_code="usd"),
            "company_profile.default_tax_rate_bps": profile(default_tax_rate_bps=10_001),
            "company_profile.email": profile(email="not an address"),
            "company_profile.website_uri": profile(website_uri="javascript:alert(1)"),
            "company_profile.phone_number": profile(phone_number="call me maybe"),
            "company_profile.display_name": profile(display_name="x" * 121),
            "company_profile.address.region_code": profile(address=pb.PostalAddress(region_code="USA")),
        }
        for field, wrong in bad.items():
            await _refused(
                scheduling.UpdateCompanyProfile(
                    pb.UpdateCompanyProfileRequest(company_profile=wrong), metadata=MANAGER
                ),
                field,
            )
        await _refused(
            scheduling.UpdateCompanyProfile(
                pb.UpdateCompanyProfileRequest(
                    company_profile=profile(), update_mask=field_mask_pb2.FieldMask(paths=["logo_etag"])
                ),
                metadata=MANAGER,
            ),
            "update_mask",
        )
        await _refused(
            scheduling.GetCompanyProfile(pb.GetCompanyProfileRequest(name="companies/x"), metadata=A), "name"
        )
        assert (await scheduling.GetCompanyProfile(get, metadata=A)) == recoloured

        # roles and tenancy
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await scheduling.UpdateCompanyProfile(
                pb.UpdateCompanyProfileRequest(company_profile=profile(display_name="Desk Co.")), metadata=DESK
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert (await scheduling.GetCompanyProfile(get, metadata=DESK)).display_name == "Lakeside Portrait Co."
        assert (await scheduling.GetCompanyProfile(get, metadata=B)).display_name == ""

        # the logo: PNG or JPEG of at most 256 KiB, of the format it claims
        logo = png(8, 8)
        logo_name = "companyProfile/logo"
        for field, wrong_logo in {
            "company_logo.data": pb.CompanyLogo(name=logo_name, content_type="image/jpeg", data=logo),
            "company_logo.content_type": pb.CompanyLogo(name=logo_name, content_type="image/webp", data=logo),
        }.items():
            await _refused(
                scheduling.UpdateCompanyLogo(pb.UpdateCompanyLogoRequest(company_logo=wrong_logo), metadata=MANAGER),
                field,
            )
        too_big = pb.CompanyLogo(name=logo_name, content_type="image/png", data=logo + b"\0" * (256 * 1024))
        await _refused(
            scheduling.UpdateCompanyLogo(pb.UpdateCompanyLogoRequest(company_logo=too_big), metadata=MANAGER),
            "company_logo.data",
        )
        saved = await scheduling.UpdateCompanyLogo(
            pb.UpdateCompanyLogoRequest(
                company_logo=pb.CompanyLogo(name=logo_name, content_type="image/png", data=logo)
            ),
            metadata=MANAGER,
        )
        etag = hashlib.sha256(logo).hexdigest()
        assert (saved.etag, saved.size_bytes, saved.data) == (etag, len(logo), b"")
        assert (await scheduling.GetCompanyProfile(get, metadata=A)).logo_etag == etag
        with pytest.raises(grpc.aio.AioRpcError) as elsewhere:
            await scheduling.GetCompanyLogo(pb.GetCompanyLogoRequest(name=logo_name), metadata=B)
        assert elsewhere.value.code() == grpc.StatusCode.NOT_FOUND

        # billing's copy (from scheduling.company.changed) heads its documents
        b = stack.billing.stub
        fee = await create_item(b, "SESSION-FEE", 15000, 825)
        client = await known_client(b)
        invoice = await b.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(session=snapshot(client, [fee.name])), metadata=A
        )
        confirmation = billing_pb2.RenderSessionConfirmationRequest(invoice=invoice.name)

        async def billing_has_the_logo() -> bool:
            content = (await b.RenderSessionConfirmation(confirmation, metadata=A)).content
            return b"/Subtype /Image" in content

        await _wait_for(billing_has_the_logo)
        text = pdf_text((await b.RenderSessionConfirmation(confirmation, metadata=A)).content)
        for expected in (
            "Lakeside Portrait Co.",
            "9 Harbor Road",
            "Portland ME 04101",
            "+1 207 555 0100 - hello@lakeside.example - https://lakeside.example",
            "Downtown Studio",  # the session's location stays on it
            "S-000042",
        ):
            assert expected in text, expected
        assert text.index("Lakeside Portrait Co.") < text.index("Session Confirmation")
        assert_no_ids(text)
        payment = await pay(b, invoice.name, 5000)
        receipt = pdf_text(
            (
                await b.RenderPaymentReceipt(billing_pb2.RenderPaymentReceiptRequest(payment=payment.name), metadata=A)
            ).content
        )
        assert "Lakeside Portrait Co." in receipt
        assert "9 Harbor Road" in receipt
        assert_no_ids(receipt)
        # another company's documents know nothing of it
        other_fee = await create_item(b, "SESSION-FEE", 15000, 825, company=COMPANY_B)
        other = await b.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(
                session=snapshot(await known_client(b, company=COMPANY_B), [other_fee.name])
            ),
            metadata=B,
        )
        other_text = pdf_text(
            (
                await b.RenderSessionConfirmation(
                    billing_pb2.RenderSessionConfirmationRequest(invoice=other.name), metadata=B
                )
            ).content
        )
        assert "Lakeside" not in other_text
        assert other_text.startswith("Downtown Studio")  # the location's name, as before

        # the booking page's studio: name, colour, logo served from the gateway
        answer = await http.get("/v1/studio", headers=stack.headers())
        assert answer.status_code == 200, answer.text
        studio = answer.json()
        assert (studio["name"], studio["brand_color"]) == ("Lakeside Portrait Co.", "#2E7D32")
        assert studio["address"]["text"] == "9 Harbor Road, Portland, ME 04101, US"
        path = studio["logo_url"][studio["logo_url"].index("/book/images/") :]
        assert path == f"/book/images/{COMPANY_A}/logo/{etag}"
        served = await http.get(path)
        assert (served.status_code, served.content, served.headers["content-type"]) == (200, logo, "image/png")
        assert (await http.get(path.replace(etag, "0" * 64))).status_code == 404
        assert (await http.get(path.replace(COMPANY_A, COMPANY_B))).status_code == 404
        other_studio = (await http.get("/v1/studio", headers=stack.headers(COMPANY_B))).json()
        assert (other_studio["name"], other_studio["logo_url"]) == ("", "")

        # a rename reaches the booking page through the event (its cache forgets the company)
        await scheduling.UpdateCompanyProfile(
            pb.UpdateCompanyProfileRequest(
                company_profile=pb.CompanyProfile(display_name="Lakeside Studios"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            ),
            metadata=MANAGER,
        )

        async def renamed() -> bool:
            studio = (await http.get("/v1/studio", headers=stack.headers())).json()
            return bool(studio["name"] == "Lakeside Studios")

        await _wait_for(renamed)

        # the logo removed: gone from the profile, billing's documents and the page
        await scheduling.DeleteCompanyLogo(pb.DeleteCompanyLogoRequest(name=logo_name), metadata=MANAGER)
        assert (await scheduling.GetCompanyProfile(get, metadata=A)).logo_etag == ""

        async def billing_lost_the_logo() -> bool:
            return not await billing_has_the_logo()

        await _wait_for(billing_lost_the_logo)


@pytest.mark.postgres
async def test_two_first_saves_at_once_both_succeed(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """A studio's first profile save and logo upload (two tabs, or a double click) land together:
    both are kept, neither answers INTERNAL on the new row's key (on PostgreSQL the second
    insert used to fail; the row is now made if missing and locked before either change)."""
    async with clients_and_scheduling(databases, nats_server.url) as stack:
        scheduling = stack.scheduling
        logo = png(64, 64)
        for _ in range(3):  # three fresh companies: the race is for the first save
            company = str(uuid.uuid4())
            manager = caller_metadata(Caller(company, CallerKind.STAFF, "m1", roles=frozenset({Role.MANAGER})))
            saved, uploaded, renamed = await asyncio.gather(
                scheduling.UpdateCompanyProfile(
                    pb.UpdateCompanyProfileRequest(company_profile=profile()), metadata=manager
                ),
                scheduling.UpdateCompanyLogo(
                    pb.UpdateCompanyLogoRequest(
                        company_logo=pb.CompanyLogo(name="companyProfile/logo", content_type="image/png", data=logo)
                    ),
                    metadata=manager,
                ),
                scheduling.UpdateCompanyProfile(
                    pb.UpdateCompanyProfileRequest(
                        company_profile=pb.CompanyProfile(brand_color="#2E7D32"),
                        update_mask=field_mask_pb2.FieldMask(paths=["brand_color"]),
                    ),
                    metadata=manager,
                ),
            )
            stored = await scheduling.GetCompanyProfile(
                pb.GetCompanyProfileRequest(name="companyProfile"), metadata=company_metadata(company)
            )
            assert stored.display_name == "Lakeside Portrait Co."
            assert stored.brand_color in {saved.brand_color, renamed.brand_color}
            assert stored.logo_etag == uploaded.etag == hashlib.sha256(logo).hexdigest()


@pytest.mark.postgres
async def test_two_first_preference_saves_at_once_both_succeed(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """A company's first scheduling preferences saved twice at once: both answer, the stored
    preferences are one of them (the row is made if missing and locked before either change)."""
    async with clients_and_scheduling(databases, nats_server.url) as stack:
        scheduling = stack.scheduling
        for _ in range(3):  # three fresh companies: the race is for the first save
            company = str(uuid.uuid4())
            manager = caller_metadata(Caller(company, CallerKind.STAFF, "m1", roles=frozenset({Role.MANAGER})))
            saved = await asyncio.gather(
                *(
                    scheduling.UpdateSchedulingPreferences(
                        pb.UpdateSchedulingPreferencesRequest(
                            scheduling_preferences=pb.SchedulingPreferences(
                                next_session_number=number, session_number_prefix=prefix
                            )
                        ),
                        metadata=manager,
                    )
                    for number, prefix in ((500, "A-"), (700, "B-"))
                )
            )
            stored = await scheduling.GetSchedulingPreferences(
                pb.GetSchedulingPreferencesRequest(name="schedulingPreferences"), metadata=company_metadata(company)
            )
            assert stored in saved
