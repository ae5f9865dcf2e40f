"""Why a setup resource (a location, staff member, schedule, type or status) cannot be
deleted: what of the company still refers to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    CalendarBlockRow,
    ConfigurationMixin,
    ScheduleRow,
    SessionRow,
    SessionStatusRow,
)

TIME_OFF = "timeoff"  # the entry kind of a schedule's time-off blocks


async def in_use(uow: UnitOfWork, collection: str, company_id: str, row: ConfigurationMixin) -> str:
    """Why the resource cannot be deleted, or "" when nothing refers to it."""

    def exists(query: Any) -> Any:
        return uow.session.scalar(query.limit(1))

    if collection == "locations":
        if await exists(
            select(ScheduleRow.id).where(ScheduleRow.company_id == company_id, ScheduleRow.location_id == row.id)
        ):
            return "schedules belong to it"
        if await exists(
            select(SessionRow.id).where(SessionRow.company_id == company_id, SessionRow.location_id == row.id)
        ):
            return "sessions are booked at it"
        if await exists(
            select(AppointmentRow.id).where(
                AppointmentRow.company_id == company_id, AppointmentRow.location_id == row.id
            )
        ):
            return "appointments are booked at it"
    elif collection == "staffMembers":
        if await exists(
            select(ScheduleRow.id).where(ScheduleRow.company_id == company_id, ScheduleRow.staff_member_id == row.id)
        ):
            return "a schedule belongs to this staff member"
    elif collection == "schedules":
        if await exists(
            select(CalendarBlockRow.id).where(
                CalendarBlockRow.schedule_id == row.id, CalendarBlockRow.entry_kind != TIME_OFF
            )
        ):
            return "sessions or appointments use it"
    elif collection == "sessionTypes":
        if await exists(select(SessionRow.id).where(SessionRow.company_id == company_id, SessionRow.type_id == row.id)):
            return "sessions use it"
    elif collection == "appointmentTypes":
        if await exists(
            select(AppointmentRow.id).where(AppointmentRow.company_id == company_id, AppointmentRow.type_id == row.id)
        ):
            return "appointments use it"
    elif collection == "sessionStatuses":
        assert isinstance(row, SessionStatusRow)
        if row.is_default:
            return "it is the default status"
        if await exists(
            select(SessionRow.id).where(SessionRow.company_id == company_id, SessionRow.status_id == row.id)
        ):
            return "sessions have it"
        using = await uow.session.scalar(
            select(BookingTypeRow.id)
            .where(
                BookingTypeRow.company_id == company_id,
                BookingTypeRow.kind == "session",
                or_(
                    BookingTypeRow.default_status_id == row.id,
                    BookingTypeRow.online_booked_status_id == row.id,
                    BookingTypeRow.online_cancelled_status_id == row.id,
                    BookingTypeRow.online_rescheduled_status_id == row.id,
                ),
            )
            .order_by(BookingTypeRow.display_name, BookingTypeRow.id)
            .limit(1)
        )
        if using is not None:
            return f"sessionTypes/{using} uses it"
    return ""
