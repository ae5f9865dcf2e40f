"""Use cases of the scheduling setup: locations, staff, schedules, session and appointment
types and session statuses (the company's preferences: `preferences`).

Each is kept in columns and child rows (see `storage/models.py`), converted to and from its
message by `storage/records.py`. One generic create/get/list/update serves them all; each
resource brings its validation and its converters.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any
from urllib.parse import urlparse

from google.protobuf.message import Message
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import class_mapper, joinedload

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition, NotFound, Violations
from shutterbook_kit.events import EventType
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import announcements
from shutterbook_scheduling.application.common import (
    PRICE_LIST_ITEM,
    SOURCE,
    apply_mask,
    check_weekly_hours,
    from_ts,
    run_once,
    ts,
)
from shutterbook_scheduling.application.scope import caller_scope, scoped_config
from shutterbook_scheduling.application.setup_usage import TIME_OFF, in_use
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.storage import calendar_blocks, lists, records
from shutterbook_scheduling.storage.models import (
    BookingTypeRow,
    CalendarBlockRow,
    ConfigurationMixin,
    LocationRow,
    ScheduleRow,
    SessionStatusRow,
    StaffMemberRow,
)

DEFAULT_STATUS_NAME = "Session Pending"


Validate = Callable[[UnitOfWork, str, Any, str, Violations], Awaitable[None]]


@dataclass(frozen=True)
class DocSpec:
    """How one configuration resource is named, stored, validated and indexed."""

    collection: str
    field: str
    model: type[ConfigurationMixin]
    message: type[Message]
    validate: Validate
    read: Callable[[Any], Any]
    write: Callable[[Any, Any], None]
    kind: str | None = None
    unique_name: bool = False
    filters: dict[str, str] = dc_field(default_factory=dict)
    event: EventType[Any] | None = None  # announced on every change (announcements.py)


def _joined_children(model: type[ConfigurationMixin]) -> list[Any]:
    """Loader options joining a resource's child rows into its own statement: one statement for
    one resource instead of one per child table (a type's price items and promotions, a
    location's address lines and hours, a schedule's working hours and time off)."""
    return [joinedload(rel.class_attribute) for rel in class_mapper(model).relationships if rel.lazy == "selectin"]


async def load_doc(uow: UnitOfWork, spec: DocSpec, company_id: str, doc_id: str) -> ConfigurationMixin | None:
    query = select(spec.model).where(spec.model.id == doc_id, spec.model.company_id == company_id)
    if spec.kind is not None:
        query = query.where(BookingTypeRow.kind == spec.kind)
    query = scoped_config(query, spec.model).options(*_joined_children(spec.model))
    # every row read (the children come one per row), then the one resource
    row: ConfigurationMixin | None = (await uow.session.execute(query)).unique().scalar_one_or_none()
    return row


async def load_message(uow: UnitOfWork, spec: DocSpec, company_id: str, doc_id: str) -> Any:
    """The resource as a message (a fresh one: callers may change it); read once per unit of
    work where the unit of work memoizes (`uow.memo`: the online booking paths)."""
    if uow.memo is None:
        row = await load_doc(uow, spec, company_id, doc_id)
    else:
        key = ("setup", spec.collection, company_id, doc_id)
        if key not in uow.memo:
            uow.memo[key] = await load_doc(uow, spec, company_id, doc_id)
        row = uow.memo[key]
    return None if row is None else spec.read(row)


async def load_reference(
    uow: UnitOfWork,
    spec: DocSpec,
    company_id: str,
    name: str,
    path: str,
    violations: Violations,
    required: bool = True,
) -> Any:
    """The document a request names at `path` (a reference into `spec`), or None with the
    violation: a bad or missing name, or one that does not exist."""
    doc_id = parse_reference(name, spec.collection, field=path, violations=violations, required=required)
    if doc_id is None:
        return None
    found = await load_message(uow, spec, company_id, doc_id)
    if found is None:
        violations.add(path, f"{name} does not exist")
    return found


def _display_name(msg: Any, path: str, violations: Violations) -> None:
    if not msg.display_name.strip():
        violations.add(f"{path}.display_name", "is required")
    elif len(msg.display_name) > 200:
        violations.add(f"{path}.display_name", "must be at most 200 characters")


async def _validate_location(uow: UnitOfWork, company_id: str, msg: pb.Location, path: str, v: Violations) -> None:
    _display_name(msg, path, v)
    try:
        times.zone(msg.time_zone)
    except ValueError:
        v.add(f"{path}.time_zone", "must be an IANA time zone, for example America/New_York")
    check_weekly_hours(list(msg.studio_hours), f"{path}.studio_hours", v)
    check_weekly_hours(list(msg.lunch_periods), f"{path}.lunch_periods", v)
    if msg.address.region_code and not (len(msg.address.region_code) == 2 and msg.address.region_code.isalpha()):
        v.add(f"{path}.address.region_code", "must be an ISO 3166-1 alpha-2 code")


async def _validate_staff(uow: UnitOfWork, company_id: str, msg: pb.StaffMember, path: str, v: Violations) -> None:
    _display_name(msg, path, v)
    for i, role in enumerate(msg.roles):
        if role == pb.STAFF_ROLE_UNSPECIFIED or role not in pb.StaffRole.values():
            v.add(f"{path}.roles[{i}]", "must be a known role")
    if msg.email and (msg.email.count("@") != 1 or "." not in msg.email.split("@")[1] or " " in msg.email):
        v.add(f"{path}.email", "is not an email address")


async def _validate_schedule(uow: UnitOfWork, company_id: str, msg: pb.Schedule, path: str, v: Violations) -> None:
    _display_name(msg, path, v)
    if msg.kind not in (pb.SCHEDULE_KIND_STAFF, pb.SCHEDULE_KIND_RESOURCE):
        v.add(f"{path}.kind", "must be SCHEDULE_KIND_STAFF or SCHEDULE_KIND_RESOURCE")
    if msg.kind == pb.SCHEDULE_KIND_STAFF:
        await load_reference(uow, STAFF, company_id, msg.staff_member, f"{path}.staff_member", v, True)
    elif msg.staff_member:
        v.add(f"{path}.staff_member", "only a staff schedule has a staff member")
    await load_reference(uow, LOCATIONS, company_id, msg.location, f"{path}.location", v, True)
    check_weekly_hours(list(msg.working_hours), f"{path}.working_hours", v)
    for i, off in enumerate(msg.time_off):
        if not off.HasField("start_time") or not off.HasField("end_time"):
            v.add(f"{path}.time_off[{i}]", "needs start_time and end_time")
        elif off.end_time.ToDatetime() <= off.start_time.ToDatetime():
            v.add(f"{path}.time_off[{i}].end_time", "must be after start_time")


def _check_money(money: Any, path: str, v: Violations, *, positive: bool) -> None:
    if not (len(money.currency_code) == 3 and money.currency_code.isalpha() and money.currency_code.isupper()):
        v.add(f"{path}.currency_code", "must be an ISO 4217 code, for example USD")
    if money.amount_minor < 0 or (positive and money.amount_minor == 0):
        v.add(f"{path}.amount_minor", "must be positive" if positive else "must not be negative")


async def _validate_online(
    uow: UnitOfWork, company_id: str, msg: Any, path: str, v: Violations, *, session_type: bool
) -> None:
    online: pb.OnlineBookingSettings = msg.online
    o = f"{path}.online"
    if len(online.online_description) > 200:
        v.add(f"{o}.online_description", "must be at most 200 characters")
    if len(online.marketing_description) > 5000:
        v.add(f"{o}.marketing_description", "must be at most 5000 characters")
    if online.HasField("display_price"):
        _check_money(online.display_price, f"{o}.display_price", v, positive=False)
    if online.payment_option not in pb.PaymentOption.values():
        v.add(f"{o}.payment_option", "is not a known option")
    needs_amount = online.payment_option in (
        pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
        pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT,
    )
    if online.payment_option == pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE and not msg.auto_create_invoice:
        v.add(f"{o}.payment_option", "invoice payment in listed price needs auto_create_invoice")
    if needs_amount:
        if not online.HasField("payment_amount"):
            v.add(f"{o}.payment_amount", "is required for this payment option")
        else:
            _check_money(online.payment_amount, f"{o}.payment_amount", v, positive=True)
    elif online.HasField("payment_amount") and online.payment_amount.amount_minor:
        v.add(f"{o}.payment_amount", "is only used with listed price or customer deposit")
    if online.online_payment and online.payment_option in (pb.PAYMENT_OPTION_UNSPECIFIED, pb.PAYMENT_OPTION_NONE):
        v.add(f"{o}.payment_option", "online payment needs a payment option")
    for status_field in ("booked_online_status", "cancelled_online_status", "rescheduled_online_status"):
        value = getattr(online, status_field)
        if value:
            await load_reference(uow, STATUSES, company_id, value, f"{o}.{status_field}", v, False)
    if online.location and online.location_text:
        v.add(f"{o}.location_text", "give a location or free text, not both")
    elif online.location:
        await load_reference(uow, LOCATIONS, company_id, online.location, f"{o}.location", v, False)
    if online.marketing_image_uri:
        parsed = urlparse(online.marketing_image_uri)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            v.add(f"{o}.marketing_image_uri", "must be an http(s) URL")
    for i, promo in enumerate(online.online_promotions):
        if not promo.strip() or len(promo) > 100:
            v.add(f"{o}.online_promotions[{i}]", "must be 1 to 100 characters")
    policy_fee = online.cancellation_fee if online.HasField("cancellation_fee") else None
    if policy_fee is not None:
        _check_money(policy_fee, f"{o}.cancellation_fee", v, positive=True)
    rules.check_cancellation_policy(online.cancellation_policy, policy_fee is not None, f"{o}", v)


async def _validate_type_common(uow: UnitOfWork, company_id: str, msg: Any, path: str, v: Violations) -> None:
    _display_name(msg, path, v)
    if msg.color and not rules.COLOR.match(msg.color):
        v.add(f"{path}.color", "must be #RRGGBB")
    if not 1 <= msg.default_duration_minutes <= rules.MAX_DURATION_MINUTES:
        v.add(f"{path}.default_duration_minutes", f"must be 1 to {rules.MAX_DURATION_MINUTES}")
    for buffer in ("buffer_before_minutes", "buffer_after_minutes"):
        if not 0 <= getattr(msg, buffer) <= rules.MAX_BUFFER_MINUTES:
            v.add(f"{path}.{buffer}", f"must be 0 to {rules.MAX_BUFFER_MINUTES}")
    for i, item in enumerate(msg.price_list_items):
        if not PRICE_LIST_ITEM.match(item):
            v.add(f"{path}.price_list_items[{i}]", "must look like priceListItems/{id}")


async def _validate_session_type(
    uow: UnitOfWork, company_id: str, msg: pb.SessionType, path: str, v: Violations
) -> None:
    await _validate_type_common(uow, company_id, msg, path, v)
    if msg.default_status:
        await load_reference(uow, STATUSES, company_id, msg.default_status, f"{path}.default_status", v, False)
    await _validate_online(uow, company_id, msg, path, v, session_type=True)


async def _validate_appointment_type(
    uow: UnitOfWork, company_id: str, msg: pb.AppointmentType, path: str, v: Violations
) -> None:
    await _validate_type_common(uow, company_id, msg, path, v)
    await _validate_online(uow, company_id, msg, path, v, session_type=False)


async def _validate_status(uow: UnitOfWork, company_id: str, msg: pb.SessionStatus, path: str, v: Violations) -> None:
    _display_name(msg, path, v)
    if not 0 <= msg.due_in_days <= 3650:
        v.add(f"{path}.due_in_days", "must be 0 to 3650")


LOCATIONS = DocSpec(
    "locations",
    "location",
    LocationRow,
    pb.Location,
    _validate_location,
    records.location_message,
    records.write_location,
    event=events.LOCATION_CHANGED,
)


STAFF = DocSpec(
    "staffMembers",
    "staff_member",
    StaffMemberRow,
    pb.StaffMember,
    _validate_staff,
    records.staff_message,
    records.write_staff,
)


SCHEDULES = DocSpec(
    "schedules",
    "schedule",
    ScheduleRow,
    pb.Schedule,
    _validate_schedule,
    records.schedule_message,
    records.write_schedule,
    filters={"location": "location_id"},
    event=events.SCHEDULE_CHANGED,
)


SESSION_TYPES = DocSpec(
    "sessionTypes",
    "session_type",
    BookingTypeRow,
    pb.SessionType,
    _validate_session_type,
    records.type_message,
    records.write_type,
    kind="session",
    unique_name=True,
    event=events.SESSION_TYPE_CHANGED,
)


APPOINTMENT_TYPES = DocSpec(
    "appointmentTypes",
    "appointment_type",
    BookingTypeRow,
    pb.AppointmentType,
    _validate_appointment_type,
    records.type_message,
    records.write_type,
    kind="appointment",
    unique_name=True,
    event=events.APPOINTMENT_TYPE_CHANGED,
)


STATUSES = DocSpec(
    "sessionStatuses",
    "session_status",
    SessionStatusRow,
    pb.SessionStatus,
    _validate_status,
    records.status_message,
    records.write_status,
    unique_name=True,
)


async def _write(uow: UnitOfWork, spec: DocSpec, company_id: str, row: ConfigurationMixin, msg: Any) -> None:
    """Write `msg` into `row` (columns and child rows) and flush; a duplicate name is ALREADY_EXISTS."""
    now = utcnow()
    msg.update_time.CopyFrom(ts(now))
    spec.write(row, msg)
    row.updated_at = now
    if spec is STATUSES and msg.is_default:
        # One default per company: marking this one clears the others.
        await uow.session.execute(
            update(SessionStatusRow)
            .where(SessionStatusRow.company_id == company_id, SessionStatusRow.id != row.id)
            .values(is_default=False)
        )
    try:
        await uow.session.flush()
        if spec is SCHEDULES:
            await _write_time_off(uow, company_id, row.id, msg)
    except IntegrityError:
        raise AlreadyExists(
            f"a {spec.field.replace('_', ' ')} named {msg.display_name!r} already exists",
            metadata={"field": f"{spec.field}.display_name"},
        ) from None


async def _write_time_off(uow: UnitOfWork, company_id: str, schedule_id: str, msg: pb.Schedule) -> None:
    """A schedule's time off occupies it: one calendar block per period. Marked
    allow_conflict, so entering time off over existing bookings is possible (they show as
    conflicts to resolve) while new bookings over it are refused by the booking check."""
    location_id = msg.location.removeprefix("locations/")
    spans = [
        calendar_blocks.Span(i, location_id, [schedule_id], from_ts(off.start_time), from_ts(off.end_time))
        for i, off in enumerate(msg.time_off)
    ]
    await calendar_blocks.replace_blocks(
        uow.session, company_id, kind=TIME_OFF, entry_id=schedule_id, spans=spans, occupies=True, allow_conflict=True
    )
    await uow.session.flush()


async def _check_unique_name(uow: UnitOfWork, spec: DocSpec, company_id: str, msg: Any, own_id: str) -> None:
    if not spec.unique_name:
        return
    query = select(spec.model.id).where(
        spec.model.company_id == company_id, spec.model.display_name == msg.display_name, spec.model.id != own_id
    )
    if spec.kind is not None:
        query = query.where(BookingTypeRow.kind == spec.kind)
    if await uow.session.scalar(query) is not None:
        raise AlreadyExists(
            f"a {spec.field.replace('_', ' ')} named {msg.display_name!r} already exists",
            metadata={"field": f"{spec.field}.display_name"},
        )


async def create_doc(db: Database, spec: DocSpec, company_id: str, request: Any) -> Any:
    incoming = getattr(request, spec.field)
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> Any:
        if spec is STATUSES or spec is SESSION_TYPES:
            await ensure_default_status(uow, company_id)
        msg: Any = spec.message()
        msg.CopyFrom(incoming)
        violations = Violations()
        await spec.validate(uow, company_id, msg, spec.field, violations)
        violations.raise_if_any()
        await _check_unique_name(uow, spec, company_id, msg, "")
        doc_id = str(uuid.uuid4())
        now = utcnow()
        msg.name = f"{spec.collection}/{doc_id}"
        msg.create_time.CopyFrom(ts(now))
        row: Any = spec.model(id=doc_id, company_id=company_id, created_at=now)  # type: ignore[call-arg]
        if spec.kind is not None:
            row.kind = spec.kind
        uow.session.add(row)
        await _write(uow, spec, company_id, row, msg)
        uow.audit(company_id, msg.name, "created", after=msg)
        announcements.configuration_changed(uow, spec.event, company_id, msg.name, announcements.CREATED)
        return msg

    return await run_once(db, company_id, f"Create:{spec.collection}", request, spec.message, work)


async def get_doc(db: Database, spec: DocSpec, company_id: str, name: str) -> Any:
    doc_id = parse_name(name, spec.collection)
    async with UnitOfWork(db, readonly=True) as uow:
        found = await load_message(uow, spec, company_id, doc_id)
    if found is None:
        raise NotFound(f"{name} not found")
    return found


async def list_docs(
    db: Database, spec: DocSpec, company_id: str, page_size: int, page_token: str, filters: dict[str, str] | None = None
) -> tuple[list[Any], str]:
    given = (filters or {}).items()
    equal = {spec.filters[key]: parse_name(value, "locations", field=key) for key, value in given if value}
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.config_page(
            uow.session,
            spec.model,
            company_id,
            page_size,
            page_token,
            scope=caller_scope(),
            kind=spec.kind,
            equal=equal,
        )
    return [spec.read(r) for r in page.items], page.next_page_token


async def update_doc(db: Database, spec: DocSpec, company_id: str, request: Any) -> Any:
    incoming = getattr(request, spec.field)
    doc_id = parse_name(incoming.name, spec.collection, field=f"{spec.field}.name")
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_doc(uow, spec, company_id, doc_id)
        if row is None:
            raise NotFound(f"{incoming.name} not found")
        before, msg = spec.read(row), spec.read(row)
        writable = None
        if spec is SCHEDULES:
            # A schedule's kind and location stay what they were: its blocks were checked against them.
            writable = {"display_name", "working_hours", "time_off", "staff_member"}
        apply_mask(msg, incoming, request.update_mask, field=spec.field, writable=writable)
        violations = Violations()
        await spec.validate(uow, company_id, msg, spec.field, violations)
        violations.raise_if_any()
        await _check_unique_name(uow, spec, company_id, msg, doc_id)
        await _write(uow, spec, company_id, row, msg)
        uow.audit(company_id, msg.name, "updated", before=before, after=msg)
        announcements.configuration_changed(uow, spec.event, company_id, msg.name, announcements.UPDATED)
        await uow.commit()
    return msg


async def ensure_default_status(uow: UnitOfWork, company_id: str) -> SessionStatusRow:
    """The company's default status, creating "Session Pending" the first time it is needed."""
    found = await uow.session.scalar(
        select(SessionStatusRow).where(SessionStatusRow.company_id == company_id, SessionStatusRow.is_default)
    )
    if found is not None:
        return found
    pending = await uow.session.scalar(
        select(SessionStatusRow).where(
            SessionStatusRow.company_id == company_id, SessionStatusRow.display_name == DEFAULT_STATUS_NAME
        )
    )
    if pending is not None:
        return pending
    doc_id = str(uuid.uuid4())
    now = utcnow()
    msg = pb.SessionStatus(
        name=f"sessionStatuses/{doc_id}", display_name=DEFAULT_STATUS_NAME, due_in_days=7, is_default=True
    )
    msg.create_time.CopyFrom(ts(now))
    row = SessionStatusRow(id=doc_id, company_id=company_id, created_at=now)
    uow.session.add(row)
    await _write(uow, STATUSES, company_id, row, msg)
    return row


async def list_statuses(db: Database, company_id: str, request: pb.ListSessionStatusesRequest) -> Any:
    if not request.page_token:
        async with UnitOfWork(db, source=SOURCE) as uow:
            await ensure_default_status(uow, company_id)
            await uow.commit()
    items, token = await list_docs(db, STATUSES, company_id, request.page_size, request.page_token)
    return pb.ListSessionStatusesResponse(session_statuses=items, next_page_token=token)


async def delete_doc(db: Database, spec: DocSpec, company_id: str, name: str) -> None:
    doc_id = parse_name(name, spec.collection)
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_doc(uow, spec, company_id, doc_id)
        if row is None:
            raise NotFound(f"{name} not found")
        reason = await in_use(uow, spec.collection, company_id, row)
        if reason:
            raise FailedPrecondition(
                f"{name} cannot be deleted: {reason}", reason="RESOURCE_IN_USE", metadata={"resource": name}
            )
        if spec is SCHEDULES:
            await uow.session.execute(delete(CalendarBlockRow).where(CalendarBlockRow.entry_id == row.id))
        await uow.session.delete(row)
        uow.audit(company_id, name, "deleted", before=spec.read(row))
        announcements.configuration_changed(uow, spec.event, company_id, name, announcements.DELETED)
        await uow.commit()
