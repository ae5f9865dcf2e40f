"""Event subscriptions: each handler turns its protobuf payload into plain facts and hands
them to a use case, inside the consumer's unit of work (the inbox makes the effect once)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.gateway.v1 import events_pb2 as gateway_events
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_kit.consumer import Delivery, Subscription, subscribe
from shutterbook_notifications import events
from shutterbook_notifications.application import directory, online, picture_days, sessions
from shutterbook_notifications.domain.letters import Purpose


def _time(ts: timestamp_pb2.Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def _id(name: str) -> str:
    return name.split("/", 1)[1] if "/" in name else name


def _occurred(delivery: Delivery) -> datetime:
    return _time(delivery.envelope.occur_time)


def _client(company_id: str, c: clients_pb2.Client, *, deleted: bool = False) -> directory.ClientVersion:
    person = " ".join(p for p in (c.given_name, c.family_name) if p)
    return directory.ClientVersion(
        company_id=company_id,
        client_id=_id(c.name),
        given_name=c.given_name,
        family_name=c.family_name,
        display_name=c.household_name or person,
        email=c.emails[0] if c.emails else "",
        phone=c.phones[0] if c.phones else "",
        deleted=deleted or c.HasField("delete_time"),
        version=_time(c.update_time) if c.HasField("update_time") else datetime.now(UTC),
    )


def _session(
    delivery: Delivery,
    s: scheduling_events.SessionSnapshot,
    *,
    on_hold: bool | None = None,
    cancelled: bool | None = None,
) -> sessions.SessionChange:
    return sessions.SessionChange(
        company_id=delivery.envelope.company_id,
        session_id=_id(s.session),
        client_id=_id(s.client),
        number=s.session_number,
        type_id=_id(s.session_type),
        type_name=s.session_type_display_name,
        description=s.description,
        status_id=_id(s.status),
        status_name=s.status_display_name,
        location_id=_id(s.location),
        time_zone=s.time_zone,
        start=_time(s.start_time),
        end=_time(s.end_time),
        version=_occurred(delivery),
        on_hold=on_hold,
        cancelled=cancelled,
    )


def _online(delivery: Delivery, b: gateway_events.OnlineBookingSnapshot) -> online.OnlineBooking:
    return online.OnlineBooking(
        company_id=delivery.envelope.company_id,
        event_id=delivery.envelope.event_id,
        occurred=_occurred(delivery),
        booking_id=b.booking_id,
        booking=b.booking,
        client_id=_id(b.client),
        given_name=b.client_given_name,
        family_name=b.client_family_name,
        email=b.client_email,
        type_name=b.type_display_name,
        start=_time(b.start_time),
        end=_time(b.end_time),
        location_name=b.location_display_name,
        location_address=b.location_address,
        time_zone=b.time_zone,
        manage_url=b.manage_url,
    )


def _picture_day(delivery: Delivery, b: scheduling_events.PictureDayBookingSnapshot) -> picture_days.PictureDayBooking:
    s = b.session
    return picture_days.PictureDayBooking(
        company_id=delivery.envelope.company_id,
        event_id=delivery.envelope.event_id,
        occurred=_occurred(delivery),
        booking_id=b.booking.rsplit("/", 1)[-1],
        session_id=_id(s.session),
        client_id=_id(b.client),
        children=list(b.children_display_names),
        type_name=s.session_type_display_name,
        start=_time(s.start_time),
        end=_time(s.end_time),
        location_id=_id(s.location),
        time_zone=s.time_zone,
    )


class EventHandlers:
    def __init__(self, locations: sessions.UpstreamReads, company_name: str = "") -> None:
        self.locations = locations
        self.company_name = company_name

    # --- clients ---------------------------------------------------------------------------

    async def client_changed(self, d: Delivery) -> None:
        assert isinstance(d.payload, (client_events.ClientCreatedEvent, client_events.ClientUpdatedEvent))
        await directory.upsert(d.uow, _client(d.envelope.company_id, d.payload.client))

    async def client_deleted(self, d: Delivery) -> None:
        assert isinstance(d.payload, client_events.ClientDeletedEvent)
        await directory.upsert(d.uow, _client(d.envelope.company_id, d.payload.client, deleted=True))

    async def client_merged(self, d: Delivery) -> None:
        assert isinstance(d.payload, client_events.ClientMergedEvent)
        survivor = _client(d.envelope.company_id, d.payload.surviving_client)
        await directory.merge(d.uow, survivor, _id(d.payload.merged_client))

    # --- scheduling ------------------------------------------------------------------------

    async def session_booked(self, d: Delivery) -> None:
        assert isinstance(d.payload, scheduling_events.SessionBookedEvent)
        change = _session(d, d.payload.session, on_hold=False, cancelled=False)
        await sessions.on_booked(d.uow, self.locations, change, self.company_name)

    async def session_status_changed(self, d: Delivery) -> None:
        assert isinstance(d.payload, scheduling_events.SessionStatusChangedEvent)
        await sessions.on_status_changed(d.uow, self.locations, _session(d, d.payload.session), self.company_name)

    async def session_rescheduled(self, d: Delivery) -> None:
        assert isinstance(d.payload, scheduling_events.SessionRescheduledEvent)
        await sessions.apply(d.uow, _session(d, d.payload.session))

    async def session_cancelled(self, d: Delivery) -> None:
        assert isinstance(d.payload, scheduling_events.SessionCancelledEvent)
        await sessions.apply(d.uow, _session(d, d.payload.session, cancelled=True))

    async def session_updated(self, d: Delivery) -> None:
        assert isinstance(d.payload, scheduling_events.SessionUpdatedEvent)
        await sessions.apply(d.uow, _session(d, d.payload.session, on_hold=d.payload.on_hold))

    async def reminder_due(self, d: Delivery) -> None:
        assert isinstance(d.payload, scheduling_events.SessionReminderDueEvent)
        await sessions.on_reminder_due(d.uow, self.locations, _session(d, d.payload.session), self.company_name)

    async def picture_day_booking_changed(self, d: Delivery) -> None:
        """A family's picture day booking booked (or assigned at the close: the session
        confirmation, not "thank you for booking"), moved or cancelled."""
        p = d.payload
        if isinstance(p, scheduling_events.PictureDayBookingBookedEvent):
            purpose = Purpose.SESSION_CONFIRMATION if p.assigned_at_close else Purpose.ONLINE_BOOKING_CONFIRMATION
        elif isinstance(p, scheduling_events.PictureDayBookingRescheduledEvent):
            purpose = Purpose.RESCHEDULE
        else:
            assert isinstance(p, scheduling_events.PictureDayBookingCancelledEvent)
            purpose = Purpose.CANCELLATION
        booking = _picture_day(d, p.booking)
        await picture_days.booking_changed_on_picture_day(d.uow, self.locations, booking, purpose, self.company_name)

    # --- gateway ---------------------------------------------------------------------------

    async def booking_confirmed(self, d: Delivery) -> None:
        assert isinstance(d.payload, gateway_events.OnlineBookingConfirmedEvent)
        await online.booking_changed(
            d.uow, self.locations, _online(d, d.payload.booking), Purpose.ONLINE_BOOKING_CONFIRMATION, self.company_name
        )

    async def booking_rescheduled(self, d: Delivery) -> None:
        assert isinstance(d.payload, gateway_events.OnlineBookingRescheduledEvent)
        await online.booking_changed(
            d.uow, self.locations, _online(d, d.payload.booking), Purpose.RESCHEDULE, self.company_name
        )

    async def booking_cancelled(self, d: Delivery) -> None:
        assert isinstance(d.payload, gateway_events.OnlineBookingCancelledEvent)
        await online.booking_changed(
            d.uow, self.locations, _online(d, d.payload.booking), Purpose.CANCELLATION, self.company_name
        )

    def clients(self) -> list[Subscription]:
        return [
            subscribe(events.CLIENT_CREATED, self.client_changed),
            subscribe(events.CLIENT_UPDATED, self.client_changed),
            subscribe(events.CLIENT_DELETED, self.client_deleted),
            subscribe(events.CLIENT_MERGED, self.client_merged),
        ]

    def scheduling(self) -> list[Subscription]:
        return [
            subscribe(events.SESSION_BOOKED, self.session_booked),
            subscribe(events.SESSION_STATUS_CHANGED, self.session_status_changed),
            subscribe(events.SESSION_RESCHEDULED, self.session_rescheduled),
            subscribe(events.SESSION_CANCELLED, self.session_cancelled),
            subscribe(events.SESSION_UPDATED, self.session_updated),
            subscribe(events.SESSION_REMINDER_DUE, self.reminder_due),
            subscribe(events.PICTURE_DAY_BOOKING_BOOKED, self.picture_day_booking_changed),
            subscribe(events.PICTURE_DAY_BOOKING_RESCHEDULED, self.picture_day_booking_changed),
            subscribe(events.PICTURE_DAY_BOOKING_CANCELLED, self.picture_day_booking_changed),
        ]

    def gateway(self) -> list[Subscription]:
        return [
            subscribe(events.BOOKING_CONFIRMED, self.booking_confirmed),
            subscribe(events.BOOKING_RESCHEDULED, self.booking_rescheduled),
            subscribe(events.BOOKING_CANCELLED, self.booking_cancelled),
        ]
