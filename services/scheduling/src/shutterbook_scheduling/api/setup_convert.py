"""The scheduling setup at the API edge: request messages to domain objects (domain/setup.py)
and domain objects to response messages, field by field; update masks applied; the creates
run once per request id; the audit trail's snapshots and the change events (messages) built
here and handed to application/setup.py as its `Edge`.

A message read into a domain object and written back is the same message (every field is
kept; a part that may be absent stays absent)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import field_mask_pb2
from google.protobuf.message import Message

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.audit import plain
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.proto_values import apply_mask, instant_of, run_once, set_instant
from shutterbook_scheduling.application import reference_cache, setup
from shutterbook_scheduling.domain.setup import (
    AppointmentType,
    ClockTime,
    Location,
    Money,
    OnlineBookingSettings,
    PostalAddress,
    Schedule,
    SessionStatus,
    SessionType,
    SetupResource,
    StaffMember,
    TimeOff,
    WeeklyHours,
)

# --- field helpers ---


def _clock(msg: Any, field: str) -> ClockTime | None:
    if not msg.HasField(field):
        return None
    value: pb.TimeOfDay = getattr(msg, field)
    return ClockTime(value.hours, value.minutes)


def _hours(hours: Any) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(h.day, _clock(h, "start"), _clock(h, "end")) for h in hours)


def _hours_messages(hours: tuple[WeeklyHours, ...]) -> list[pb.WeeklyHours]:
    out = []
    for h in hours:
        msg = pb.WeeklyHours(day=h.day)  # type: ignore[arg-type]
        if h.start is not None:
            msg.start.CopyFrom(pb.TimeOfDay(hours=h.start.hours, minutes=h.start.minutes))
        if h.end is not None:
            msg.end.CopyFrom(pb.TimeOfDay(hours=h.end.hours, minutes=h.end.minutes))
        out.append(msg)
    return out


def _money(msg: Message, field: str) -> Money | None:
    if not msg.HasField(field):
        return None
    value: money_pb2.Money = getattr(msg, field)
    return Money(value.amount_minor, value.currency_code)


def _set_money(msg: Message, field: str, value: Money | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(
            money_pb2.Money(amount_minor=value.amount_minor, currency_code=value.currency_code)
        )


# --- locations, staff members, schedules, statuses ---


def location(msg: pb.Location) -> Location:
    a = msg.address
    return Location(
        name=msg.name,
        display_name=msg.display_name,
        time_zone=msg.time_zone,
        address=PostalAddress(tuple(a.address_lines), a.locality, a.administrative_area, a.postal_code, a.region_code),
        has_address=msg.HasField("address"),
        studio_hours=_hours(msg.studio_hours),
        lunch_periods=_hours(msg.lunch_periods),
        create_time=instant_of(msg, "create_time"),
        update_time=instant_of(msg, "update_time"),
    )


def location_message(value: Location) -> pb.Location:
    msg = pb.Location(
        name=value.name,
        display_name=value.display_name,
        time_zone=value.time_zone,
        studio_hours=_hours_messages(value.studio_hours),
        lunch_periods=_hours_messages(value.lunch_periods),
    )
    if value.has_address:
        a = value.address
        msg.address.CopyFrom(
            pb.PostalAddress(
                address_lines=list(a.address_lines),
                locality=a.locality,
                administrative_area=a.administrative_area,
                postal_code=a.postal_code,
                region_code=a.region_code,
            )
        )
    set_instant(msg, "create_time", value.create_time)
    set_instant(msg, "update_time", value.update_time)
    return msg


def staff_member(msg: pb.StaffMember) -> StaffMember:
    return StaffMember(
        name=msg.name,
        display_name=msg.display_name,
        roles=tuple(int(role) for role in msg.roles),
        email=msg.email,
        create_time=instant_of(msg, "create_time"),
        update_time=instant_of(msg, "update_time"),
    )


def staff_member_message(value: StaffMember) -> pb.StaffMember:
    msg = pb.StaffMember(
        name=value.name,
        display_name=value.display_name,
        roles=list(value.roles),  # type: ignore[arg-type]
        email=value.email,
    )
    set_instant(msg, "create_time", value.create_time)
    set_instant(msg, "update_time", value.update_time)
    return msg


def schedule(msg: pb.Schedule) -> Schedule:
    return Schedule(
        name=msg.name,
        display_name=msg.display_name,
        kind=int(msg.kind),
        staff_member=msg.staff_member,
        location=msg.location,
        working_hours=_hours(msg.working_hours),
        time_off=tuple(
            TimeOff(instant_of(off, "start_time"), instant_of(off, "end_time"), off.reason) for off in msg.time_off
        ),
        create_time=instant_of(msg, "create_time"),
        update_time=instant_of(msg, "update_time"),
    )


def schedule_message(value: Schedule) -> pb.Schedule:
    msg = pb.Schedule(
        name=value.name,
        display_name=value.display_name,
        kind=value.kind,  # type: ignore[arg-type]
        staff_member=value.staff_member,
        location=value.location,
        working_hours=_hours_messages(value.working_hours),
    )
    for off in value.time_off:
        out = msg.time_off.add(reason=off.reason)
        set_instant(out, "start_time", off.start_time)
        set_instant(out, "end_time", off.end_time)
    set_instant(msg, "create_time", value.create_time)
    set_instant(msg, "update_time", value.update_time)
    return msg


def session_status(msg: pb.SessionStatus) -> SessionStatus:
    return SessionStatus(
        name=msg.name,
        display_name=msg.display_name,
        due_in_days=msg.due_in_days,
        is_default=msg.is_default,
        create_time=instant_of(msg, "create_time"),
        update_time=instant_of(msg, "update_time"),
    )


def session_status_message(value: SessionStatus) -> pb.SessionStatus:
    msg = pb.SessionStatus(
        name=value.name, display_name=value.display_name, due_in_days=value.due_in_days, is_default=value.is_default
    )
    set_instant(msg, "create_time", value.create_time)
    set_instant(msg, "update_time", value.update_time)
    return msg


# --- session and appointment types ---


def _online(msg: pb.OnlineBookingSettings) -> OnlineBookingSettings:
    return OnlineBookingSettings(
        available_online=msg.available_online,
        online_description=msg.online_description,
        marketing_description=msg.marketing_description,
        auto_remove_conflicting_slots=msg.auto_remove_conflicting_slots,
        display_price=_money(msg, "display_price"),
        online_payment=msg.online_payment,
        payment_option=int(msg.payment_option),
        payment_amount=_money(msg, "payment_amount"),
        booked_online_status=msg.booked_online_status,
        cancelled_online_status=msg.cancelled_online_status,
        rescheduled_online_status=msg.rescheduled_online_status,
        location=msg.location,
        location_text=msg.location_text,
        marketing_image_uri=msg.marketing_image_uri,
        online_promotions=tuple(msg.online_promotions),
        cancellation_policy=int(msg.cancellation_policy),
        cancellation_fee=_money(msg, "cancellation_fee"),
        marketing_image_etag=msg.marketing_image_etag,
    )


def _online_message(value: OnlineBookingSettings) -> pb.OnlineBookingSettings:
    msg = pb.OnlineBookingSettings(
        available_online=value.available_online,
        online_description=value.online_description,
        marketing_description=value.marketing_description,
        auto_remove_conflicting_slots=value.auto_remove_conflicting_slots,
        online_payment=value.online_payment,
        payment_option=value.payment_option,  # type: ignore[arg-type]
        booked_online_status=value.booked_online_status,
        cancelled_online_status=value.cancelled_online_status,
        rescheduled_online_status=value.rescheduled_online_status,
        location=value.location,
        location_text=value.location_text,
        marketing_image_uri=value.marketing_image_uri,
        online_promotions=list(value.online_promotions),
        cancellation_policy=value.cancellation_policy,  # type: ignore[arg-type]
        marketing_image_etag=value.marketing_image_etag,
    )
    _set_money(msg, "display_price", value.display_price)
    _set_money(msg, "payment_amount", value.payment_amount)
    _set_money(msg, "cancellation_fee", value.cancellation_fee)
    return msg


def _type_fields(msg: pb.SessionType | pb.AppointmentType) -> dict[str, Any]:
    return {
        "name": msg.name,
        "display_name": msg.display_name,
        "color": msg.color,
        "default_duration_minutes": msg.default_duration_minutes,
        "buffer_before_minutes": msg.buffer_before_minutes,
        "buffer_after_minutes": msg.buffer_after_minutes,
        "price_list_items": tuple(msg.price_list_items),
        "auto_create_invoice": msg.auto_create_invoice,
        "online": _online(msg.online),
        "has_online": msg.HasField("online"),
        "create_time": instant_of(msg, "create_time"),
        "update_time": instant_of(msg, "update_time"),
    }


def session_type(msg: pb.SessionType) -> SessionType:
    return SessionType(default_status=msg.default_status, **_type_fields(msg))


def appointment_type(msg: pb.AppointmentType) -> AppointmentType:
    return AppointmentType(linked=msg.linked, **_type_fields(msg))


def _type_message(value: SessionType | AppointmentType) -> pb.SessionType | pb.AppointmentType:
    common: dict[str, Any] = {
        "name": value.name,
        "display_name": value.display_name,
        "color": value.color,
        "default_duration_minutes": value.default_duration_minutes,
        "buffer_before_minutes": value.buffer_before_minutes,
        "buffer_after_minutes": value.buffer_after_minutes,
        "price_list_items": list(value.price_list_items),
        "auto_create_invoice": value.auto_create_invoice,
    }
    msg: pb.SessionType | pb.AppointmentType
    if isinstance(value, SessionType):
        msg = pb.SessionType(default_status=value.default_status, **common)
    else:
        msg = pb.AppointmentType(linked=value.linked, **common)
    if value.has_online:
        msg.online.CopyFrom(_online_message(value.online))
    set_instant(msg, "create_time", value.create_time)
    set_instant(msg, "update_time", value.update_time)
    return msg


def session_type_message(value: SessionType) -> pb.SessionType:
    msg = _type_message(value)
    assert isinstance(msg, pb.SessionType)
    return msg


def appointment_type_message(value: AppointmentType) -> pb.AppointmentType:
    msg = _type_message(value)
    assert isinstance(msg, pb.AppointmentType)
    return msg


# --- any setup resource ---


def resource(msg: Message) -> SetupResource:
    """The domain object of a setup resource's message."""
    if isinstance(msg, pb.Location):
        return location(msg)
    if isinstance(msg, pb.StaffMember):
        return staff_member(msg)
    if isinstance(msg, pb.Schedule):
        return schedule(msg)
    if isinstance(msg, pb.SessionType):
        return session_type(msg)
    if isinstance(msg, pb.AppointmentType):
        return appointment_type(msg)
    assert isinstance(msg, pb.SessionStatus)
    return session_status(msg)


def message(value: SetupResource) -> Message:
    """The message of a setup resource's domain object."""
    if isinstance(value, Location):
        return location_message(value)
    if isinstance(value, StaffMember):
        return staff_member_message(value)
    if isinstance(value, Schedule):
        return schedule_message(value)
    if isinstance(value, SessionType | AppointmentType):
        return _type_message(value)
    return session_status_message(value)


MESSAGES: dict[str, type[Message]] = {
    setup.LOCATIONS.collection: pb.Location,
    setup.STAFF.collection: pb.StaffMember,
    setup.SCHEDULES.collection: pb.Schedule,
    setup.SESSION_TYPES.collection: pb.SessionType,
    setup.APPOINTMENT_TYPES.collection: pb.AppointmentType,
    setup.STATUSES.collection: pb.SessionStatus,
}

# What each change announces: `scheduling.*.changed` (ConfigurationChangedEvent), written to the
# outbox in the change's own transaction; the gateway's open-slot read model and its caches of
# types and locations refresh on them (README, "Open slots: the read model, caches and
# staleness"), and scheduling's replicas' reference caches on them and on the statuses' (kept
# for the online booking paths). Staff: nothing, nothing keeps them.
EVENTS = {
    setup.LOCATIONS.collection: events.LOCATION_CHANGED,
    setup.SCHEDULES.collection: events.SCHEDULE_CHANGED,
    setup.SESSION_TYPES.collection: events.SESSION_TYPE_CHANGED,
    setup.APPOINTMENT_TYPES.collection: events.APPOINTMENT_TYPE_CHANGED,
    setup.STATUSES.collection: events.SESSION_STATUS_SETUP_CHANGED,
}

_CHANGES = {setup.CREATED: sev.CONFIGURATION_CHANGE_CREATED, setup.UPDATED: sev.CONFIGURATION_CHANGE_UPDATED}
_CHANGES[setup.DELETED] = sev.CONFIGURATION_CHANGE_DELETED


def snapshot(value: SetupResource) -> Mapping[str, Any]:
    """The resource as the audit trail records it: its message's fields."""
    return plain(message(value))


def edge(spec: setup.DocSpec[Any]) -> setup.Edge:
    def announce(uow: UnitOfWork, company_id: str, name: str, change: str) -> None:
        """The resource `name` was created, updated or deleted (`change`)."""
        event = EVENTS.get(spec.collection)
        if event is not None:
            uow.emit(event, company_id, sev.ConfigurationChangedEvent(name=name, change=_CHANGES[change]))
        cache = reference_cache.cache_of(uow.db)
        if cache is not None and spec.collection in reference_cache.CACHED:
            # this process's kept copies end with the commit (other replicas' with the event)
            uow.after_commit(lambda: cache.bump(company_id))

    return setup.Edge(snapshot=snapshot, announce=announce)


# --- the use cases, message in, message out ---


async def create(db: Database, spec: setup.DocSpec[Any], company_id: str, request: Any) -> Any:
    """The resource the request gives, stored once per its `request_id` (a retry gets the first
    answer)."""
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()
    incoming = resource(getattr(request, spec.field))

    async def work(uow: UnitOfWork) -> Any:
        return message(await setup.create(uow, spec, company_id, incoming, edge(spec)))

    return await run_once(db, company_id, f"Create:{spec.collection}", request, MESSAGES[spec.collection], work)


async def get(db: Database, spec: setup.DocSpec[Any], company_id: str, name: str) -> Any:
    return message(await setup.get(db, spec, company_id, name))


async def list_page(
    db: Database, spec: setup.DocSpec[Any], company_id: str, request: Any, filters: dict[str, str] | None = None
) -> tuple[list[Any], str]:
    items, token = await setup.list_page(db, spec, company_id, request.page_size, request.page_token, filters)
    return [message(item) for item in items], token


async def update(db: Database, spec: setup.DocSpec[Any], company_id: str, request: Any) -> Any:
    """The stored resource with the fields the request's update mask names taken from it (an
    empty mask: every writable field)."""
    incoming = getattr(request, spec.field)

    def merge(before: SetupResource) -> SetupResource:
        return merged(spec, before, incoming, request.update_mask)

    return message(await setup.update(db, spec, company_id, incoming.name, merge, edge(spec)))


def merged(
    spec: setup.DocSpec[Any], before: SetupResource, incoming: Message, mask: field_mask_pb2.FieldMask
) -> SetupResource:
    """`before` with the fields `mask` names taken from `incoming` (a message field named whole
    is replaced, a list replaced); an unknown, output-only or (schedules) unwritable path is
    INVALID_ARGUMENT on `update_mask`."""
    msg = message(before)
    writable = None if spec.writable is None else set(spec.writable)
    apply_mask(msg, incoming, mask, field=spec.field, writable=writable)
    return resource(msg)


async def delete(db: Database, spec: setup.DocSpec[Any], company_id: str, name: str) -> None:
    await setup.delete(db, spec, company_id, name, edge(spec))


async def list_statuses(
    db: Database, company_id: str, request: pb.ListSessionStatusesRequest
) -> pb.ListSessionStatusesResponse:
    items, token = await setup.list_statuses(db, company_id, request.page_size, request.page_token)
    return pb.ListSessionStatusesResponse(
        session_statuses=[session_status_message(s) for s in items], next_page_token=token
    )
