"""Why a setup resource (a location, staff member, schedule, type or status) cannot be
deleted: what of the company still refers to it (a picture day not yet closed counts: its
families book, and its close assigns, sessions of its template's type, location and
schedules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
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
from shutterbook_scheduling.storage.picture_day_models import PictureDayRow

TIME_OFF = "timeoff"  # the entry kind of a schedule's time-off blocks


async def _picture_day_using(uow: UnitOfWork, collection: str, company_id: str, row_id: str) -> str:
    """The first picture day not yet closed whose template names the resource, as a reason."""
    if collection not in ("locations", "sessionTypes", "schedules"):
        return ""
    name = f"{collection}/{row_id}"
    days = await uow.session.execute(
        select(PictureDayRow.id, PictureDayRow.data)
        .where(PictureDayRow.company_id == company_id, PictureDayRow.closed_at.is_(None))
        .order_by(PictureDayRow.created_at, PictureDayRow.id)
    )
    for day_id, data in days:
        day = pdpb.PictureDay.FromString(data)
        t = day.template
        if name in (t.location, t.session_type, t.photographer, t.assistant, t.camera_room):
            return f'the picture day "{day.display_name}" (pictureDays/{day_id}) uses it until it closes'
    return ""


async def in_use(uow: UnitOfWork, collection: str, company_id: str, row: ConfigurationMixin) -> str:
    """Why the resource cannot be deleted, or "" when nothing refers to it."""
    picture_day = await _picture_day_using(uow, collection, company_id, row.id)
    if picture_day:
        return picture_day

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
