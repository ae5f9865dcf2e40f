"""Staff accounts of the owner's company (owners only)."""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from shutterbook_console.api.deps import provide_db, provide_owner
from shutterbook_console.api.problems import problem_responses
from shutterbook_console.api.schemas import IdentityProviderBody, Staff, StaffCreate, StaffList, StaffUpdate
from shutterbook_console.application.accounts import (
    NewStaff,
    StaffChanges,
    create_staff,
    disable_staff,
    get_staff,
    list_staff,
    update_staff,
)
from shutterbook_console.application.oidc import ProviderSettings, set_provider
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_kit.db import Database

StaffId = Annotated[str, Parameter(max_length=64, description="a staff account id")]


T = TypeVar("T")


def _given(value: T | msgspec.UnsetType) -> T | None:
    return None if isinstance(value, msgspec.UnsetType) else value


class StaffController(Controller):
    path = "/api/v1/staff"
    tags = ["staff"]
    dependencies = {"db": Provide(provide_db, sync_to_thread=False), "owner": Provide(provide_owner)}

    @get(
        "",
        operation_id="listStaff",
        summary="Staff accounts of the company",
        responses=problem_responses(400, 401, 403, 422),
    )
    async def list(
        self,
        owner: NamedDependency[CurrentSession],
        db: NamedDependency[Database],
        page_size: Annotated[int, Parameter(ge=0, le=1000, required=False)] = 0,
        page_token: Annotated[str, Parameter(max_length=2000, required=False)] = "",
    ) -> StaffList:
        page = await list_staff(db, owner.staff.company_id, page_size, page_token)
        return StaffList(staff=[Staff.of(s) for s in page.items], next_page_token=page.next_page_token)

    @post(
        "",
        operation_id="createStaff",
        summary="Create a staff account",
        responses=problem_responses(400, 401, 403, 409, 422),
    )
    async def create(
        self, data: JSONBody[StaffCreate], owner: NamedDependency[CurrentSession], db: NamedDependency[Database]
    ) -> Staff:
        new = NewStaff(data.name, data.email, data.password, data.roles, data.location_ids, data.staff_schedule_id)
        return Staff.of(await create_staff(db, owner.staff.company_id, new))

    @get(
        "/{staff_id:str}",
        operation_id="getStaff",
        summary="A staff account",
        responses=problem_responses(401, 403, 404),
    )
    async def get(
        self, staff_id: StaffId, owner: NamedDependency[CurrentSession], db: NamedDependency[Database]
    ) -> Staff:
        return Staff.of(await get_staff(db, owner.staff.company_id, staff_id))

    @patch(
        "/{staff_id:str}",
        operation_id="updateStaff",
        summary="Change a staff account (absent fields stay); inactive ends its sessions",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def update(
        self,
        staff_id: StaffId,
        data: JSONBody[StaffUpdate],
        owner: NamedDependency[CurrentSession],
        db: NamedDependency[Database],
    ) -> Staff:
        changes = StaffChanges(
            name=_given(data.name),
            email=_given(data.email),
            roles=_given(data.roles),
            location_ids=_given(data.location_ids),
            staff_schedule_id=_given(data.staff_schedule_id),
            active=_given(data.active),
        )
        return Staff.of(await update_staff(db, owner.staff.company_id, staff_id, changes))

    @post(
        "/{staff_id:str}/disable",
        operation_id="disableStaff",
        summary="Disable a staff account: it cannot log in and its sessions end (never the last active owner)",
        status_code=200,
        responses=problem_responses(401, 403, 404, 409),
    )
    async def disable(
        self, staff_id: StaffId, owner: NamedDependency[CurrentSession], db: NamedDependency[Database]
    ) -> Staff:
        return Staff.of(await disable_staff(db, owner.staff.company_id, staff_id))


class IdentityProviderController(Controller):
    path = "/api/v1/identity-provider"
    tags = ["staff"]
    dependencies = {"db": Provide(provide_db, sync_to_thread=False), "owner": Provide(provide_owner)}

    @put(
        "",
        operation_id="setIdentityProvider",
        summary="Let the company's staff log in through its OpenID Connect provider",
        status_code=204,
        responses=problem_responses(400, 401, 403, 422),
    )
    async def put_identity_provider(
        self,
        data: JSONBody[IdentityProviderBody],
        owner: NamedDependency[CurrentSession],
        db: NamedDependency[Database],
    ) -> None:
        settings = ProviderSettings(data.label, data.issuer, data.client_id, data.client_secret)
        await set_provider(db, owner.staff.company_id, settings)
