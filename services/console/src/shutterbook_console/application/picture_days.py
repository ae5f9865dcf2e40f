"""Picture days (issue 21) for the console: the "New picture day" form read into scheduling's
PictureDay (the bulk wizard's selector, template and time-slot rows, plus siblings per slot, the
self-booking window typed in the location's wall clock, and the close action), and the reads
behind the hub and a day's page (progress, families, access codes issued or revoked).

Bad input is a field violation named as the form's fields (`open_time`, `families.year`,
`time_slot_rows[0].end_date`); scheduling's own (`picture_day.*`) come back under the same
names. Creating and the codes are for managers and owners (scheduling's `bulk.run`); anyone
may look (`calendar.read`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from google.protobuf.timestamp_pb2 import Timestamp

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.bulk_wizard import RowInput, TemplateInput, Year, read_rows, template_message
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument
from shutterbook_kit.identity import Caller

PREFIX = "pictureDays/"
PAGE = 1000
MAX_PAGES = 50  # 50 000 families: far beyond a school
Siblings = Annotated[int, msgspec.Meta(ge=0, le=1000)]  # scheduling judges 1..20
CLOSE_ACTIONS = {
    "leave_unbooked": pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED,
    "assign_remaining": pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING,
}
WINDOWS = {
    pdpb.PICTURE_DAY_WINDOW_NOT_OPEN: "Not open yet",
    pdpb.PICTURE_DAY_WINDOW_OPEN: "Open for booking",
    pdpb.PICTURE_DAY_WINDOW_CLOSED: "Closed",
}


# --- the form -------------------------------------------------------------------------------------


class FamiliesInput(msgspec.Struct, forbid_unknown_fields=True):
    """A client group, or an organization with its year (0: any year)."""

    group: str = ""
    organization: str = ""
    year: Year = 0


class PictureDayInput(msgspec.Struct, forbid_unknown_fields=True):
    display_name: str
    families: FamiliesInput
    template: TemplateInput
    time_slot_rows: list[RowInput]
    siblings_per_slot: Siblings
    open_time: str  # YYYY-MM-DDTHH:MM, the location's wall clock
    close_time: str
    close_action: str  # leave_unbooked | assign_remaining
    request_id: str = ""


def _local(text: str, zone: ZoneInfo, name: str, violations: list[FieldViolation]) -> Timestamp | None:
    if not text:
        violations.append(FieldViolation(name, "set the date and time"))
        return None
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        violations.append(FieldViolation(name, "a date and time, YYYY-MM-DD HH:MM"))
        return None
    ts = Timestamp()
    ts.FromDatetime(moment.replace(tzinfo=zone).astimezone(UTC))
    return ts


def _rename(exc: UpstreamError) -> UpstreamError:
    """Scheduling's `picture_day.x` violations under the form's names (`x`)."""
    exc.violations = [FieldViolation(v.field.removeprefix("picture_day."), v.description) for v in exc.violations]
    return exc


async def create_picture_day(up: Upstreams, caller: Caller, data: PictureDayInput) -> pdpb.PictureDay:
    violations: list[FieldViolation] = []
    if not data.display_name.strip():
        violations.append(FieldViolation("display_name", "name the picture day (families see it)"))
    if bool(data.families.group) == bool(data.families.organization):
        violations.append(FieldViolation("families.organization", "choose an organization, or a client group"))
    close_action = CLOSE_ACTIONS.get(data.close_action)
    if close_action is None:
        violations.append(FieldViolation("close_action", "choose what happens at the close"))
    zone = ZoneInfo("UTC")
    if not data.template.location:
        violations.append(FieldViolation("template.location", "choose a location"))
    else:
        location = await up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=data.template.location), caller)
        zone = ZoneInfo(location.time_zone or "UTC")
    opens = _local(data.open_time, zone, "open_time", violations)
    closes = _local(data.close_time, zone, "close_time", violations)
    if opens is not None and closes is not None and closes.ToDatetime() <= opens.ToDatetime():
        violations.append(FieldViolation("close_time", "the close must be after the opening"))
    rows: list[bpb.TimeSlotRow] = []
    try:
        rows = read_rows(data.time_slot_rows)
    except InvalidArgument as exc:
        violations += exc.violations
    if violations or close_action is None:
        raise InvalidArgument("the picture day is not valid", violations=violations)
    day = pdpb.PictureDay(
        display_name=data.display_name.strip(),
        families=bpb.BulkClientSelector(
            group=data.families.group, organization=data.families.organization, year=data.families.year
        ),
        template=template_message(data.template),
        time_slot_rows=rows,
        siblings_per_slot=data.siblings_per_slot,
        open_time=opens,
        close_time=closes,
        close_action=close_action,
    )
    request = pdpb.CreatePictureDayRequest(picture_day=day, request_id=data.request_id)
    try:
        return await up.call(up.picture_days.CreatePictureDay, request, caller, timeout=30.0)
    except UpstreamError as exc:
        raise _rename(exc) from exc


# --- what the pages show ----------------------------------------------------------------------------


def local_text(ts: Timestamp, zone: str) -> str:
    """An instant on the location's wall clock: "Mon 4 May 2026, 08:00"."""
    return ts.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo(zone or "UTC")).strftime("%a %-d %b %Y, %H:%M")


class ProgressBody(msgspec.Struct):
    """Booked / not yet booked / total of a day, and where self-booking stands."""

    families_booked: int
    families_not_booked: int
    families_total: int
    children_booked: int
    children_total: int
    slots_free: int
    slots_total: int
    window: str


def progress_of(day: pdpb.PictureDay) -> ProgressBody:
    p = day.progress
    return ProgressBody(
        p.families_booked,
        p.families_not_booked,
        p.families_total,
        p.children_booked,
        p.children_total,
        p.slots_free,
        p.slots_total,
        WINDOWS.get(day.window, ""),
    )


@dataclass(frozen=True)
class DayView:
    id: str
    display_name: str
    opens: str
    closes: str
    time_zone: str
    close_action: str
    siblings_per_slot: int
    skipped_families: int
    progress: ProgressBody

    @classmethod
    def of(cls, day: pdpb.PictureDay) -> DayView:
        zone = day.time_zone or "UTC"
        assign = day.close_action == pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING
        return cls(
            day.name.removeprefix(PREFIX),
            day.display_name,
            local_text(day.open_time, zone),
            local_text(day.close_time, zone),
            zone,
            "Assign the remaining times in name order" if assign else "Leave them unbooked",
            day.siblings_per_slot,
            day.skipped_families,
            progress_of(day),
        )


async def list_days(up: Upstreams, caller: Caller, page_token: str) -> tuple[list[DayView], str]:
    request = pdpb.ListPictureDaysRequest(page_size=20, page_token=page_token)
    reply = await up.call(up.picture_days.ListPictureDays, request, caller)
    return [DayView.of(d) for d in reply.picture_days], reply.next_page_token


async def get_day(up: Upstreams, caller: Caller, day_id: str) -> pdpb.PictureDay:
    return await up.call(up.picture_days.GetPictureDay, pdpb.GetPictureDayRequest(name=PREFIX + day_id), caller)


@dataclass(frozen=True)
class FamilyView:
    client_id: str
    display_name: str
    children: str  # "Mia (booked), Leo"
    booked: bool
    has_code: bool
    email: str

    @classmethod
    def of(cls, f: pdpb.PictureDayFamily) -> FamilyView:
        kids = ", ".join(c.display_name + (" (booked)" if c.booking else "") for c in f.children)
        return cls(f.client.removeprefix("clients/"), f.display_name, kids, f.booked, f.has_access_code, f.email)


async def family_page(
    up: Upstreams, caller: Caller, day_id: str, only_not_booked: bool, page_token: str, size: int = 25
) -> tuple[list[FamilyView], str]:
    request = pdpb.ListPictureDayFamiliesRequest(
        parent=PREFIX + day_id, only_not_booked=only_not_booked, page_size=size, page_token=page_token
    )
    reply = await up.call(up.picture_days.ListPictureDayFamilies, request, caller)
    return [FamilyView.of(f) for f in reply.families], reply.next_page_token


async def all_families(up: Upstreams, caller: Caller, day_id: str, only_not_booked: bool) -> list[FamilyView]:
    found: list[FamilyView] = []
    token = ""
    for _ in range(MAX_PAGES):
        page, token = await family_page(up, caller, day_id, only_not_booked, token, PAGE)
        found += page
        if not token:
            break
    return found


async def issue_codes(
    up: Upstreams, caller: Caller, day_id: str, client_ids: list[str] | None = None
) -> list[pdpb.PictureDayAccessCode]:
    """New codes (None: every family without one; named families get a new code that replaces
    their old one). The plain codes exist only in this answer: scheduling keeps their hashes."""
    families = [f"{PREFIX}{day_id}/families/{c}" for c in client_ids or []]
    request = pdpb.IssuePictureDayAccessCodesRequest(parent=PREFIX + day_id, families=families)
    reply = await up.call(up.picture_days.IssuePictureDayAccessCodes, request, caller, timeout=30.0)
    return list(reply.access_codes)


async def revoke_code(up: Upstreams, caller: Caller, day_id: str, client_id: str) -> pdpb.PictureDayFamily:
    request = pdpb.RevokePictureDayAccessCodeRequest(name=f"{PREFIX}{day_id}/families/{client_id}")
    return await up.call(up.picture_days.RevokePictureDayAccessCode, request, caller)


async def revoke_codes(up: Upstreams, caller: Caller, day_id: str, client_ids: list[str]) -> None:
    await asyncio.gather(*(revoke_code(up, caller, day_id, c) for c in client_ids))


async def day_location(up: Upstreams, caller: Caller, day: pdpb.PictureDay) -> pb.Location:
    return await up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=day.template.location), caller)
