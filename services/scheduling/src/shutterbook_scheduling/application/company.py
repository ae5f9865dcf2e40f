"""The company's profile (studio setup, company; issues 16, 17, 20): read, update with a mask,
and its logo. Every change is announced as `scheduling.company.changed` with the whole profile
and the logo's bytes, in the change's own transaction (billing keeps a copy for its documents,
the gateway refreshes the booking page's studio name, logo and colour)."""

from __future__ import annotations

from sqlalchemy.orm import undefer

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application.common import SOURCE, apply_mask, checked_upload, ts
from shutterbook_scheduling.domain.company import CompanyFields, logo_problems, normalized_color, profile_problems
from shutterbook_scheduling.storage.company_models import CompanyProfileRow

PROFILE_NAME = "companyProfile"
LOGO_NAME = "companyProfile/logo"
OUTPUT_ONLY = frozenset({"name", "logo_etag", "logo_content_type", "update_time"})


def _check_name(name: str, expected: str, field: str) -> None:
    if name != expected:
        v = Violations()
        v.add(field, f"must be {expected}")
        v.raise_if_any()


def _empty(company_id: str) -> dict[str, object]:
    """A profile nobody has saved yet (what GetCompanyProfile answers before the first save)."""
    return {
        "company_id": company_id,
        **{
            column: ""
            for column in (
                "display_name",
                "address_lines",
                "locality",
                "administrative_area",
                "postal_code",
                "region_code",
                "phone_number",
                "email",
                "website_uri",
                "brand_color",
                "currency_code",
                "logo_content_type",
                "logo_etag",
            )
        },
        "default_tax_rate_bps": 0,
        "logo_data": None,
        "updated_at": utcnow(),
    }


def profile_proto(row: CompanyProfileRow | None) -> pb.CompanyProfile:
    if row is None:
        return pb.CompanyProfile(name=PROFILE_NAME)
    msg = pb.CompanyProfile(
        name=PROFILE_NAME,
        display_name=row.display_name,
        address=pb.PostalAddress(
            address_lines=[line for line in row.address_lines.split("\n") if line],
            locality=row.locality,
            administrative_area=row.administrative_area,
            postal_code=row.postal_code,
            region_code=row.region_code,
        ),
        phone_number=row.phone_number,
        email=row.email,
        website_uri=row.website_uri,
        brand_color=row.brand_color,
        currency_code=row.currency_code,
        default_tax_rate_bps=row.default_tax_rate_bps,
        logo_etag=row.logo_etag,
        logo_content_type=row.logo_content_type,
    )
    msg.update_time.CopyFrom(ts(row.updated_at))
    return msg


def _fields(msg: pb.CompanyProfile) -> CompanyFields:
    a = msg.address
    return CompanyFields(
        display_name=msg.display_name,
        address_lines=tuple(a.address_lines),
        locality=a.locality,
        administrative_area=a.administrative_area,
        postal_code=a.postal_code,
        region_code=a.region_code,
        phone_number=msg.phone_number,
        email=msg.email,
        website_uri=msg.website_uri,
        brand_color=msg.brand_color,
        currency_code=msg.currency_code,
        default_tax_rate_bps=msg.default_tax_rate_bps,
    )


def _store(row: CompanyProfileRow, f: CompanyFields) -> None:
    row.display_name = f.display_name.strip()
    row.address_lines = "\n".join(line.strip() for line in f.address_lines if line.strip())
    row.locality, row.administrative_area = f.locality.strip(), f.administrative_area.strip()
    row.postal_code, row.region_code = f.postal_code.strip(), f.region_code
    row.phone_number, row.email, row.website_uri = f.phone_number.strip(), f.email, f.website_uri
    row.brand_color = normalized_color(f.brand_color)
    row.currency_code = f.currency_code
    row.default_tax_rate_bps = f.default_tax_rate_bps


def _logo_proto(row: CompanyProfileRow, *, with_data: bool) -> pb.CompanyLogo:
    data = row.logo_data or b""
    logo = pb.CompanyLogo(name=LOGO_NAME, content_type=row.logo_content_type, etag=row.logo_etag, size_bytes=len(data))
    if row.logo_updated_at is not None:
        logo.update_time.CopyFrom(ts(row.logo_updated_at))
    if with_data:
        logo.data = data
    return logo


def _announce(uow: UnitOfWork, company_id: str, row: CompanyProfileRow) -> None:
    event = pb.CompanyProfileChangedEvent(company_profile=profile_proto(row))
    if row.logo_etag:
        event.logo.CopyFrom(_logo_proto(row, with_data=True))
    uow.emit(events.COMPANY_CHANGED, company_id, event)


async def _load(uow: UnitOfWork, company_id: str, *, lock: bool, logo: bool = True) -> CompanyProfileRow | None:
    """The row; its logo's bytes too unless `logo` is False (every change announces them)."""
    options = [undefer(CompanyProfileRow.logo_data)] if logo else []
    return await uow.session.get(CompanyProfileRow, company_id, with_for_update=lock, options=options)


async def _locked_for_change(uow: UnitOfWork, company_id: str) -> CompanyProfileRow:
    """The row, made empty first if the company has none, locked: two first saves of one
    company (the profile and the logo from two tabs) queue on it; neither fails on the key."""
    await uow.insert_missing(CompanyProfileRow, _empty(company_id))
    row = await _load(uow, company_id, lock=True)
    assert row is not None
    return row


async def get_profile(db: Database, company_id: str, name: str) -> pb.CompanyProfile:
    _check_name(name, PROFILE_NAME, "name")
    async with UnitOfWork(db, readonly=True) as uow:
        return profile_proto(await _load(uow, company_id, lock=False, logo=False))


async def update_profile(db: Database, company_id: str, request: pb.UpdateCompanyProfileRequest) -> pb.CompanyProfile:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await _locked_for_change(uow, company_id)
        msg = profile_proto(row)
        apply_mask(msg, request.company_profile, request.update_mask, field="company_profile", output_only=OUTPUT_ONLY)
        v = Violations()
        for path, problem in profile_problems(_fields(msg)).items():
            v.add(f"company_profile.{path}", problem)
        v.raise_if_any()
        before = profile_proto(row)
        _store(row, _fields(msg))
        row.updated_at = utcnow()
        after = profile_proto(row)
        snapshots = (pb.CompanyProfile(), pb.CompanyProfile())
        for snapshot, source in zip(snapshots, (before, after), strict=True):
            snapshot.CopyFrom(source)
            snapshot.ClearField("update_time")
        uow.audit(company_id, PROFILE_NAME, "updated", before=snapshots[0], after=snapshots[1])
        _announce(uow, company_id, row)
        await uow.commit()
        return after


async def update_logo(db: Database, company_id: str, request: pb.UpdateCompanyLogoRequest) -> pb.CompanyLogo:
    incoming = request.company_logo
    _check_name(incoming.name, LOGO_NAME, "company_logo.name")
    etag = checked_upload(incoming.content_type, incoming.data, logo_problems, "company_logo")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await _locked_for_change(uow, company_id)
        before = row.logo_etag
        row.logo_content_type, row.logo_data, row.logo_etag = incoming.content_type, incoming.data, etag
        row.logo_updated_at = row.updated_at = utcnow()
        uow.audit(company_id, PROFILE_NAME, "updated", changes={"logo_etag": {"before": before, "after": etag}})
        _announce(uow, company_id, row)
        await uow.commit()
        return _logo_proto(row, with_data=False)


async def get_logo(db: Database, company_id: str, name: str) -> pb.CompanyLogo:
    _check_name(name, LOGO_NAME, "name")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await _load(uow, company_id, lock=False)
        if row is None or not row.logo_etag:
            raise NotFound(f"{LOGO_NAME} not found")
        return _logo_proto(row, with_data=True)


async def delete_logo(db: Database, company_id: str, name: str) -> None:
    _check_name(name, LOGO_NAME, "name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await _load(uow, company_id, lock=True)
        if row is None or not row.logo_etag:
            raise NotFound(f"{LOGO_NAME} not found")
        changes = {"logo_etag": {"before": row.logo_etag, "after": ""}}
        row.logo_content_type, row.logo_data, row.logo_etag, row.logo_updated_at = "", None, "", None
        row.updated_at = utcnow()
        uow.audit(company_id, PROFILE_NAME, "updated", changes=changes)
        _announce(uow, company_id, row)
        await uow.commit()
