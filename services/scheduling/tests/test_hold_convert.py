"""The slot hold at the API edge (api/hold_convert.py) and its domain rules (domain/holds.py),
pure: HoldSlot requests to checked plain values, holds to SlotHold messages, the state a hold
shows; without a database or a server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.errors import InvalidArgument
from shutterbook_scheduling.api import hold_convert as convert
from shutterbook_scheduling.api.slot_events import SLOT_EVENTS
from shutterbook_scheduling.domain.holds import HoldState, SlotHold, shown_state
from shutterbook_scheduling.settings import HoldSettings
from shutterbook_scheduling.storage.hold_repository import hold_at
from shutterbook_scheduling.storage.online_models import SlotHoldRow

NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
CLIENT = str(uuid.uuid4())
SLOT = str(uuid.uuid4())
MEMBER = str(uuid.uuid4())


def _request(**fields: object) -> opb.HoldSlotRequest:
    base: dict[str, object] = {
        "time_slot": f"timeSlots/{SLOT}",
        "client": f"clients/{CLIENT}",
        "request_id": str(uuid.uuid4()),
    }
    base.update(fields)
    return opb.HoldSlotRequest(**base)  # type: ignore[arg-type]


def _details(name: str = f"clients/{CLIENT}") -> clients_pb2.Client:
    client = clients_pb2.Client(
        name=name,
        given_name="Ann",
        family_name="Lee",
        emails=["ann@example.com"],
        family_members=[clients_pb2.FamilyMember(name=f"{name}/familyMembers/{MEMBER}", given_name="Bo")],
    )
    client.update_time.FromDatetime(NOW)
    return client


def _violations(request: opb.HoldSlotRequest) -> list[tuple[str, str]]:
    with pytest.raises(InvalidArgument) as raised:
        convert.hold_request(request)
    return [(v.field, v.description) for v in raised.value.violations]


def test_a_hold_request_without_details_is_its_names() -> None:
    request = _request()
    hold = convert.hold_request(request)
    assert (hold.time_slot, hold.client, hold.request_id) == (request.time_slot, request.client, request.request_id)
    assert hold.details is None


def test_a_hold_requests_details_are_the_clients_version() -> None:
    hold = convert.hold_request(_request(client_details=_details()))
    assert hold.details is not None
    assert hold.details.client_id == CLIENT
    assert hold.details.display_name == "Ann Lee"
    assert hold.details.primary_email == "ann@example.com"
    assert [(m.member_id, m.display_name) for m in hold.details.members] == [(MEMBER, "Bo Lee")]
    assert hold.details.update_time == NOW


def test_a_malformed_hold_request_names_its_fields() -> None:
    fields = [f for f, _ in _violations(_request(request_id="", time_slot="", client="people/x"))]
    assert fields[0] == "request_id"
    assert "time_slot" in fields
    assert "client" in fields


def test_details_of_another_client_are_refused_on_their_name() -> None:
    other = f"clients/{uuid.uuid4()}"
    assert _violations(_request(client_details=_details(other))) == [
        ("client_details.name", f"must be the request's client, clients/{CLIENT}")
    ]


def test_details_without_an_update_time_are_refused() -> None:
    details = _details()
    details.ClearField("update_time")
    assert _violations(_request(client_details=details)) == [("client_details.update_time", "is required")]


def test_a_held_hold_past_its_expiry_shows_expired() -> None:
    assert shown_state(HoldState.HELD, NOW + timedelta(seconds=1), NOW) == HoldState.HELD
    assert shown_state(HoldState.HELD, NOW, NOW) == HoldState.EXPIRED
    assert shown_state(HoldState.BOOKED, NOW - timedelta(days=1), NOW) == HoldState.BOOKED
    assert shown_state(HoldState.RELEASED, NOW - timedelta(days=1), NOW) == HoldState.RELEASED


def _hold(**fields: object) -> SlotHold:
    base: dict[str, object] = {
        "hold_id": "h1",
        "slot_id": SLOT,
        "client_id": CLIENT,
        "state": HoldState.HELD,
        "expires_at": NOW + timedelta(minutes=10),
        "created_at": NOW,
    }
    base.update(fields)
    return SlotHold(**base)  # type: ignore[arg-type]


def test_a_hold_message_names_its_slot_client_and_times() -> None:
    msg = convert.hold_message(_hold())
    assert (msg.name, msg.time_slot, msg.client) == ("slotHolds/h1", f"timeSlots/{SLOT}", f"clients/{CLIENT}")
    assert msg.state == opb.SLOT_HOLD_STATE_HELD
    assert msg.expire_time.ToDatetime(tzinfo=UTC) == NOW + timedelta(minutes=10)
    assert msg.create_time.ToDatetime(tzinfo=UTC) == NOW
    assert (msg.session, msg.appointment) == ("", "")


def test_a_booked_hold_names_its_session_or_appointment() -> None:
    booked = _hold(state=HoldState.BOOKED, booking_id="b1")
    assert (convert.hold_message(booked).session, convert.hold_message(booked).appointment) == ("sessions/b1", "")
    appointment = convert.hold_message(_hold(state=HoldState.BOOKED, booking_id="b1", appointment=True))
    assert (appointment.session, appointment.appointment) == ("", "appointments/b1")
    assert appointment.state == opb.SLOT_HOLD_STATE_BOOKED


def test_a_hold_row_is_shown_at_an_instant() -> None:
    row = SlotHoldRow(
        id="h1", company_id="c1", slot_id=SLOT, client_id=CLIENT, state=int(HoldState.HELD),
        expires_at=NOW, session_id="", created_at=NOW - timedelta(minutes=10),
    )  # fmt: skip
    assert hold_at(row, NOW - timedelta(seconds=1)).state == HoldState.HELD
    expired = hold_at(row, NOW)
    assert expired.state == HoldState.EXPIRED
    assert convert.hold_message(expired).state == opb.SLOT_HOLD_STATE_EXPIRED
    assert hold_at(row, NOW, appointment=True).appointment


def test_the_hold_states_are_the_apis() -> None:
    for state in HoldState:
        assert opb.SlotHoldState.Name(convert.hold_state(state)) == f"SLOT_HOLD_STATE_{state.name}"
        assert state.api_name == opb.SlotHoldState.Name(convert.hold_state(state))  # as errors name it


def test_the_edges_holding_announces_holds_and_the_slots_booked_through_them() -> None:
    settings = HoldSettings(minutes=5, max_per_client=2)
    holding = convert.holding(settings)
    assert holding.settings == settings
    assert (holding.held, holding.released) == (convert.announce_held, convert.announce_released)
    assert holding.slots is SLOT_EVENTS
