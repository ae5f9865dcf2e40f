"""The console API's wire types (msgspec Structs; unknown fields are refused)."""

from __future__ import annotations

import msgspec

from shutterbook_console.domain.staff import StaffAccount


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class LoginBody(Strict):
    email: str
    password: str
    company_id: str | None = None


class PasswordChangeBody(Strict):
    current_password: str
    new_password: str


class ResetRequestBody(Strict):
    email: str


class ResetConfirmBody(Strict):
    token: str
    new_password: str


class Staff(msgspec.Struct):
    id: str
    company_id: str
    name: str
    email: str
    roles: list[str]
    location_ids: list[str]
    staff_schedule_id: str
    active: bool

    @classmethod
    def of(cls, account: StaffAccount) -> Staff:
        return cls(
            id=account.id,
            company_id=account.company_id,
            name=account.name,
            email=account.email,
            roles=sorted(r.value for r in account.roles),
            location_ids=list(account.location_ids),
            staff_schedule_id=account.staff_schedule_id,
            active=account.active,
        )


class Me(msgspec.Struct):
    staff: Staff
    login_method: str


class StaffList(msgspec.Struct):
    staff: list[Staff]
    next_page_token: str


class StaffCreate(Strict):
    name: str
    email: str
    password: str
    roles: list[str]
    location_ids: list[str] = []
    staff_schedule_id: str = ""


class StaffUpdate(Strict):
    """Absent fields stay as they are."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    email: str | msgspec.UnsetType = msgspec.UNSET
    roles: list[str] | msgspec.UnsetType = msgspec.UNSET
    location_ids: list[str] | msgspec.UnsetType = msgspec.UNSET
    staff_schedule_id: str | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class IdentityProviderBody(Strict):
    issuer: str
    client_id: str
    client_secret: str
    label: str = ""


class Accepted(msgspec.Struct):
    detail: str
