"""Unit tests of the setup's API edge (no database): update masks on the domain objects, and the
configuration events a change announces."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import InvalidArgument
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api import setup_convert
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.domain.setup import Money, OnlineBookingSettings, PaymentOption, Schedule, SessionType


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def test_a_sub_field_of_the_online_settings_changes_alone() -> None:
    online = OnlineBookingSettings(online_description="Hi", payment_option=PaymentOption.NONE)
    before = SessionType(name="sessionTypes/t", display_name="T", online=online, has_online=True)
    incoming = pb.SessionType(
        display_name="ignored",
        online=pb.OnlineBookingSettings(
            payment_option=pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT,
            payment_amount=money_pb2.Money(amount_minor=500, currency_code="USD"),
        ),
    )
    after = setup_convert.merged(
        setup.SESSION_TYPES, before, incoming, mask("online.payment_option", "online.payment_amount")
    )
    assert isinstance(after, SessionType)
    assert after.display_name == "T"
    assert after.online.online_description == "Hi"
    assert after.online.payment_option == PaymentOption.CUSTOMER_DEPOSIT
    assert after.online.payment_amount == Money(500, "USD")


def test_settings_never_given_are_given_once_a_path_in_them_is_updated() -> None:
    before = SessionType(name="sessionTypes/t", display_name="T")
    incoming = pb.SessionType(online=pb.OnlineBookingSettings(available_online=True))
    after = setup_convert.merged(setup.SESSION_TYPES, before, incoming, mask("online.available_online"))
    assert after == SessionType(
        name="sessionTypes/t", display_name="T", online=OnlineBookingSettings(available_online=True), has_online=True
    )


def test_a_schedules_kind_and_location_stay() -> None:
    before = Schedule(name="schedules/s", display_name="A", kind=1, location="locations/l")
    with pytest.raises(InvalidArgument):
        setup_convert.merged(setup.SCHEDULES, before, pb.Schedule(location="locations/m"), mask("location"))
    after = setup_convert.merged(setup.SCHEDULES, before, pb.Schedule(display_name="B"), mask("display_name"))
    assert after == Schedule(name="schedules/s", display_name="B", kind=1, location="locations/l")


@pytest.mark.parametrize(
    "msg",
    [
        pb.Location(name="locations/l", display_name="L", time_zone="UTC", address=pb.PostalAddress()),
        pb.StaffMember(name="staffMembers/s", roles=[pb.STAFF_ROLE_SALES, 42]),  # type: ignore[list-item]
        pb.AppointmentType(name="appointmentTypes/a", linked=True, online=pb.OnlineBookingSettings()),
        pb.SessionStatus(name="sessionStatuses/s", display_name="S", due_in_days=3, is_default=True),
    ],
)
def test_messages_round_trip_through_their_domain_objects(msg: object) -> None:
    assert setup_convert.message(setup_convert.resource(msg)) == msg  # type: ignore[arg-type]


class _Database:
    """A database no reference cache is installed for (`reference_cache.cache_of`)."""


class Outbox:
    """What a unit of work is asked to emit."""

    def __init__(self) -> None:
        self.emitted: list[tuple[object, str, object]] = []
        self.db = _Database()

    def emit(self, event_type: object, company_id: str, event: object) -> str:
        self.emitted.append((event_type, company_id, event))
        return "e1"


def changed(name: str, change: sev.ConfigurationChange.ValueType) -> sev.ConfigurationChangedEvent:
    return sev.ConfigurationChangedEvent(name=name, change=change)


def test_a_change_announces_its_configuration_event() -> None:
    outbox = Outbox()
    uow: UnitOfWork = outbox  # type: ignore[assignment]
    setup_convert.edge(setup.LOCATIONS).announce(uow, "c1", "locations/l1", setup.CREATED)
    setup_convert.edge(setup.SESSION_TYPES).announce(uow, "c1", "sessionTypes/t1", setup.UPDATED)
    setup_convert.edge(setup.SCHEDULES).announce(uow, "c1", "schedules/s1", setup.DELETED)
    setup_convert.edge(setup.APPOINTMENT_TYPES).announce(uow, "c1", "appointmentTypes/a1", setup.CREATED)
    assert outbox.emitted == [
        (events.LOCATION_CHANGED, "c1", changed("locations/l1", sev.CONFIGURATION_CHANGE_CREATED)),
        (events.SESSION_TYPE_CHANGED, "c1", changed("sessionTypes/t1", sev.CONFIGURATION_CHANGE_UPDATED)),
        (events.SCHEDULE_CHANGED, "c1", changed("schedules/s1", sev.CONFIGURATION_CHANGE_DELETED)),
        (events.APPOINTMENT_TYPE_CHANGED, "c1", changed("appointmentTypes/a1", sev.CONFIGURATION_CHANGE_CREATED)),
    ]


def test_a_status_announces_its_change_to_scheduling_s_replicas_and_staff_nothing() -> None:
    outbox = Outbox()
    uow: UnitOfWork = outbox  # type: ignore[assignment]
    setup_convert.edge(setup.STATUSES).announce(uow, "c1", "sessionStatuses/s1", setup.UPDATED)
    setup_convert.edge(setup.STAFF).announce(uow, "c1", "staff/m1", setup.UPDATED)
    assert outbox.emitted == [
        (events.SESSION_STATUS_SETUP_CHANGED, "c1", changed("sessionStatuses/s1", sev.CONFIGURATION_CHANGE_UPDATED)),
    ]
    assert events.SESSION_STATUS_SETUP_CHANGED in events.REFERENCE_EVENTS
