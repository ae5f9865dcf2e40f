"""Why a setup resource (a location, staff member, schedule, type or status) cannot be
deleted: what of the company still refers to it (a picture day not yet closed counts: its
families book, and its close assigns, sessions of its template's type, location and
schedules). Queries only: the storage side of DeleteX's RESOURCE_IN_USE (application/setup.py)."""

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
from shutterbook_scheduling.storage.picture_day_models import PictureDayRow

TIME_OFF = "timeoff"  # the entry kind of a schedule's time-off blocks


async def _picture_day_using(uow: UnitOfWork, collection: str, company_id: str, row_id: str) -> str:
    """The first picture day not yet closed whose template names the resource, as a reason."""
    if collection not in ("locations", "sessionTypes", "schedules"):
        return ""
    name = f"{collection}/{row_id}"
    days = await uow.session.execute(
        select(
            PictureDayRow.id,
            PictureDayRow.display_name,
            PictureDayRow.template_location,
            PictureDayRow.template_session_type,
            PictureDayRow.template_photographer,
            PictureDayRow.template_assistant,
            PictureDayRow.template_camera_room,
        )
        .where(PictureDayRow.company_id == company_id, PictureDayRow.closed_at.is_(None))
        .order_by(PictureDayRow.created_at, PictureDayRow.id)
    )
    for day_id, display_name, *named in days.tuples():
        if name in named:
            return f'the picture day "{display_name}" (pictureDays/{day_id}) uses it until it closes'
    return ""


# What of the company refers to a resource by a column, and the reason it then gives (in order).
_REFERRED_BY: dict[str, tuple[tuple[Any, str], ...]] = {
    "locations": (
        (ScheduleRow.location_id, "schedules belong to it"),
        (SessionRow.location_id, "sessions are booked at it"),
        (AppointmentRow.location_id, "appointments are booked at it"),
    ),
    "staffMembers": ((ScheduleRow.staff_member_id, "a schedule belongs to this staff member"),),
    "sessionTypes": ((SessionRow.type_id, "sessions use it"),),
    "appointmentTypes": ((AppointmentRow.type_id, "appointments use it"),),
    "sessionStatuses": ((SessionRow.status_id, "sessions have it"),),
}


async def in_use(uow: UnitOfWork, collection: str, company_id: str, row: ConfigurationMixin) -> str:
    """Why the resource cannot be deleted, or "" when nothing refers to it."""
    picture_day = await _picture_day_using(uow, collection, company_id, row.id)
    if picture_day:
        return picture_day

    def exists(query: Any) -> Any:
        return uow.session.scalar(query.limit(1))

    if collection == "sessionStatuses":
        assert isinstance(row, SessionStatusRow)
        if row.is_default:
            return "it is the default status"
    for column, reason in _REFERRED_BY.get(collection, ()):
        model = column.class_
        if await exists(select(model.id).where(model.company_id == company_id, column == row.id)):
            return reason
    if collection == "schedules":
        if await exists(
            select(CalendarBlockRow.id).where(
                CalendarBlockRow.schedule_id == row.id, CalendarBlockRow.entry_kind != TIME_OFF
            )
        ):
            return "sessions or appointments use it"
    elif collection == "sessionStatuses":
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
