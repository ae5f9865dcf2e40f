"""The company aggregate's repository: every read, insert, lock and write of its rows (the
profile and logo in `company_profiles`, the scheduling preferences in `company_preferences`,
the types' marketing images in `marketing_images` with the etag each type keeps of its image).
Rows in, domain objects out (domain/company.py, domain/marketing_images.py).

One repository module per aggregate: a use case makes `CompanyRepository(uow)` inside its unit
of work and never touches `uow.session` or writes a statement itself. A change reads its rows
locked first (`locked_*`, `image_etag_of_type`), then saves domain objects (`save_*`): the
repository writes the very rows it read, in the same transaction (it keeps them by key), so a
save without the locked read before it is a programming error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, exists, select, update
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.company import (
    Company,
    CompanyFields,
    CompanyLogo,
    CompanyProfile,
    SchedulingPreferences,
)
from shutterbook_scheduling.domain.marketing_images import BookingTypeRef, MarketingImage
from shutterbook_scheduling.storage.company_models import CompanyProfileRow
from shutterbook_scheduling.storage.image_models import MarketingImageRow
from shutterbook_scheduling.storage.models import BookingTypeRow, CompanyPreferencesRow, SessionRow

# `take_session_number`'s statement, built once (on every booking): the counter advanced, and
# whether a session has the number taken already (`rules.format_session_number`: prefix, then
# the number; the new row's values in RETURNING are the advanced ones, so the taken one is - 1)
# (a Core UPDATE, on the tables' columns: an ORM-enabled one is copied and re-keyed by the ORM
# on every execution)
_PREFERENCES = CompanyPreferencesRow.metadata.tables[CompanyPreferencesRow.__tablename__]
_SESSIONS = SessionRow.__table__.c
_TAKEN_NUMBER_USED = (
    exists()
    .where(
        _SESSIONS.company_id == bindparam("company"),
        _SESSIONS.session_number
        == _PREFERENCES.c.session_number_prefix + cast(_PREFERENCES.c.next_session_number - 1, String),
    )
    .correlate(_PREFERENCES)
)
_ADVANCE_NUMBER = (
    update(_PREFERENCES)
    .where(_PREFERENCES.c.company_id == bindparam("company"))  # not a column's name: an UPDATE's
    .values(next_session_number=_PREFERENCES.c.next_session_number + 1)
    .returning(
        _PREFERENCES.c.next_session_number,
        _PREFERENCES.c.session_number_prefix,
        _TAKEN_NUMBER_USED.label("used"),
    )
)
_TEXT_COLUMNS = (
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


def _empty_profile(company_id: str) -> dict[str, Any]:
    """The row of a profile nobody has saved yet."""
    return {
        "company_id": company_id,
        **dict.fromkeys(_TEXT_COLUMNS, ""),
        "default_tax_rate_bps": 0,
        "logo_data": None,
        "updated_at": utcnow(),
    }


def _fields(row: CompanyProfileRow) -> CompanyFields:
    return CompanyFields(
        display_name=row.display_name,
        address_lines=tuple(line for line in row.address_lines.split("\n") if line),
        locality=row.locality,
        administrative_area=row.administrative_area,
        postal_code=row.postal_code,
        region_code=row.region_code,
        phone_number=row.phone_number,
        email=row.email,
        website_uri=row.website_uri,
        brand_color=row.brand_color,
        currency_code=row.currency_code,
        default_tax_rate_bps=row.default_tax_rate_bps,
    )


def _profile(row: CompanyProfileRow) -> CompanyProfile:
    return CompanyProfile(_fields(row), row.logo_etag, row.logo_content_type, row.updated_at)


def _logo(row: CompanyProfileRow) -> CompanyLogo | None:
    """The logo of a row read with its bytes; None without one."""
    if not row.logo_etag:
        return None
    return CompanyLogo(row.logo_content_type, row.logo_data or b"", row.logo_etag, row.logo_updated_at)


def _write_fields(row: CompanyProfileRow, f: CompanyFields) -> None:
    row.display_name = f.display_name
    row.address_lines = "\n".join(f.address_lines)  # one line a line (a line holds no newline)
    row.locality, row.administrative_area = f.locality, f.administrative_area
    row.postal_code, row.region_code = f.postal_code, f.region_code
    row.phone_number, row.email, row.website_uri = f.phone_number, f.email, f.website_uri
    row.brand_color = f.brand_color
    row.currency_code = f.currency_code
    row.default_tax_rate_bps = f.default_tax_rate_bps


def _preferences(row: CompanyPreferencesRow) -> SchedulingPreferences:
    return SchedulingPreferences(row.next_session_number, row.session_number_prefix)


def _image(row: MarketingImageRow) -> MarketingImage:
    return MarketingImage(row.content_type, row.data, row.etag, row.updated_at)


class CompanyRepository:
    """The company aggregate's rows within one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._profiles: dict[str, CompanyProfileRow] = {}
        self._preferences: dict[str, CompanyPreferencesRow] = {}
        self._types: dict[str, BookingTypeRow] = {}

    # --- the profile and its logo ---

    async def _profile_row(self, company_id: str, *, lock: bool, logo: bool) -> CompanyProfileRow | None:
        """The row; its logo's bytes too when `logo` (every change announces them)."""
        options = [undefer(CompanyProfileRow.logo_data)] if logo else []
        return await self.uow.session.get(CompanyProfileRow, company_id, with_for_update=lock, options=options)

    async def profile(self, company_id: str) -> CompanyProfile | None:
        """The saved profile (without the logo's bytes), None before the first save."""
        row = await self._profile_row(company_id, lock=False, logo=False)
        return None if row is None else _profile(row)

    async def logo(self, company_id: str) -> CompanyLogo | None:
        """The logo with its bytes, None without one."""
        row = await self._profile_row(company_id, lock=False, logo=True)
        return None if row is None else _logo(row)

    async def locked(self, company_id: str) -> Company | None:
        """The profile and logo, locked for a change; None before the first save."""
        row = await self._profile_row(company_id, lock=True, logo=True)
        if row is None:
            return None
        self._profiles[company_id] = row
        return Company(_profile(row), _logo(row))

    async def locked_for_change(self, company_id: str) -> Company:
        """The profile and logo, made empty first if the company has none,
        locked: two first saves of one company (the profile and the logo from two tabs) queue
        on the row; neither fails on the key."""
        await self.uow.insert_missing(CompanyProfileRow, _empty_profile(company_id))
        company = await self.locked(company_id)
        assert company is not None
        return company

    def _locked_row(self, company_id: str) -> CompanyProfileRow:
        if company_id not in self._profiles:
            raise RuntimeError("read the profile locked before saving it")
        return self._profiles[company_id]

    def save_profile(self, company_id: str, fields: CompanyFields, now: datetime) -> Company:
        """Store `fields` (normalized ones) on the locked profile, changed `now`; the company
        as stored."""
        row = self._locked_row(company_id)
        _write_fields(row, fields)
        row.updated_at = now
        return Company(_profile(row), _logo(row))

    def save_logo(self, company_id: str, logo: CompanyLogo | None, now: datetime) -> Company:
        """Put `logo` (None: remove it) on the locked profile, changed `now`; the company as
        stored."""
        row = self._locked_row(company_id)
        if logo is None:
            row.logo_content_type, row.logo_data, row.logo_etag, row.logo_updated_at = "", None, "", None
        else:
            row.logo_content_type, row.logo_data, row.logo_etag = logo.content_type, logo.data, logo.etag
            row.logo_updated_at = logo.update_time
        row.updated_at = now
        return Company(_profile(row), _logo(row))

    # --- the scheduling preferences ---

    async def preferences(self, company_id: str) -> SchedulingPreferences:
        """The preferences, the defaults when none were saved."""
        row = await self.uow.session.get(CompanyPreferencesRow, company_id)
        return SchedulingPreferences() if row is None else _preferences(row)

    async def locked_preferences(self, company_id: str) -> SchedulingPreferences:
        """The preferences locked for a change (PostgreSQL: FOR UPDATE; SQLite: the write
        transaction), stored with the defaults first when none were saved: a change queues
        behind bookings taking numbers (`take_session_number`), and two first saves queue
        instead of one failing on the key."""
        locked = select(CompanyPreferencesRow).where(CompanyPreferencesRow.company_id == company_id).with_for_update()
        row = await self.uow.session.scalar(locked)
        if row is None:  # none saved yet (only then the INSERT, which SQLAlchemy compiles anew each time)
            await self._insert_default_preferences(company_id)
            row = await self.uow.session.scalar(locked)
        assert row is not None
        self._preferences[company_id] = row
        return _preferences(row)

    async def _insert_default_preferences(self, company_id: str) -> None:
        """The default preferences stored (nothing when a concurrent first save stored them)."""
        defaults = SchedulingPreferences()
        values = {
            "company_id": company_id,
            "next_session_number": defaults.next_session_number,
            "session_number_prefix": defaults.session_number_prefix,
        }
        await self.uow.insert_missing(CompanyPreferencesRow, values)

    async def take_session_number(self, company_id: str) -> tuple[SchedulingPreferences, bool]:
        """The numbering as it was, its next number taken, and whether a session has that
        number already (one given by hand): one UPDATE ... RETURNING advancing it by one, which
        locks the row to the end of the transaction (PostgreSQL: a concurrent booking's UPDATE
        waits, then advances the committed value; SQLite: the write transaction), so concurrent
        bookings take consecutive numbers. Stored with the defaults first when none were saved
        (only then the INSERT and a second UPDATE). A number given by hand in a concurrent
        transaction (while this one waited for the counter's lock, its snapshot older) is refused
        by `uq_sessions_number` at the booking's INSERT: ABORTED, try again (`entries.flush`)."""
        # the unit of work's pending rows first, as an ORM statement's autoflush would (the
        # counter's lock is then taken after the booking's own rows are in, as before)
        await self.uow.session.flush()
        taken = (await self.uow.session.execute(_ADVANCE_NUMBER, {"company": company_id})).one_or_none()
        if taken is None:
            await self._insert_default_preferences(company_id)
            taken = (await self.uow.session.execute(_ADVANCE_NUMBER, {"company": company_id})).one()
        # a copy of the row this unit of work loaded before takes the advanced number (the
        # statement's parameters cannot be evaluated in Python: it does not synchronize itself)
        loaded = self.uow.session.identity_map.get(identity_key(CompanyPreferencesRow, (company_id,)))
        if loaded is not None:
            set_committed_value(loaded, "next_session_number", taken.next_session_number)
        return SchedulingPreferences(taken.next_session_number - 1, taken.session_number_prefix), bool(taken.used)

    async def continue_session_numbers(self, company_id: str, next_number: int) -> None:
        """The next number after skipping taken ones (the row is locked: `take_session_number`
        ran first in this unit of work)."""
        await self.uow.session.execute(
            update(CompanyPreferencesRow)
            .where(CompanyPreferencesRow.company_id == company_id)
            .values(next_session_number=next_number)
        )

    def save_preferences(self, company_id: str, preferences: SchedulingPreferences) -> None:
        if company_id not in self._preferences:
            raise RuntimeError("read the preferences locked before saving them")
        row = self._preferences[company_id]
        row.next_session_number = preferences.next_session_number
        row.session_number_prefix = preferences.session_number_prefix

    # --- the marketing images of session and appointment types ---

    async def image_etag_of_type(self, company_id: str, booking_type: BookingTypeRef) -> str | None:
        """The etag of the type's image ("" without one), None when the company has no such
        type. Types are company-wide: no location scope applies (storage/lists.config_location)."""
        row = await self.uow.session.scalar(
            select(BookingTypeRow).where(
                BookingTypeRow.id == booking_type.type_id,
                BookingTypeRow.company_id == company_id,
                BookingTypeRow.kind == booking_type.kind,
            )
        )
        if row is None:
            return None
        self._types[booking_type.type_id] = row
        return row.online_marketing_image_etag

    def _type_row(self, booking_type: BookingTypeRef) -> BookingTypeRow:
        if booking_type.type_id not in self._types:
            raise RuntimeError("read the type (image_etag_of_type) before changing its image")
        return self._types[booking_type.type_id]

    async def image(self, booking_type: BookingTypeRef) -> MarketingImage | None:
        row = await self.uow.session.scalar(
            select(MarketingImageRow).where(MarketingImageRow.type_id == booking_type.type_id)
        )
        return None if row is None else _image(row)

    async def save_image(self, company_id: str, booking_type: BookingTypeRef, image: MarketingImage) -> None:
        """Store the type's image and name it on the type (both changed at the image's time)."""
        type_row = self._type_row(booking_type)
        row = await self.uow.session.get(MarketingImageRow, booking_type.type_id)
        if row is None:
            row = MarketingImageRow(type_id=booking_type.type_id, company_id=company_id)
            self.uow.session.add(row)
        row.content_type, row.data, row.etag = image.content_type, image.data, image.etag
        row.updated_at = image.update_time
        type_row.online_marketing_image_etag = image.etag
        type_row.updated_at = image.update_time

    async def delete_image(self, booking_type: BookingTypeRef, now: datetime) -> bool:
        """Remove the type's image (the type changed `now`); False when it has none."""
        type_row = self._type_row(booking_type)
        row = await self.uow.session.get(MarketingImageRow, booking_type.type_id)
        if row is None:
            return False
        await self.uow.session.delete(row)
        type_row.online_marketing_image_etag = ""
        type_row.updated_at = now
        return True
