"""The type editor's forms read without any service: amounts, the tab's mask, and scheduling's
violation paths as the form's field names."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.domain.type_form import form_field, minor_units, online_form, prices_form


def test_amounts_are_read_in_minor_units_and_nonsense_is_refused() -> None:
    assert [minor_units(x) for x in ("25", "25.5", "25.50", "1,250.00")] == [2500, 2550, 2550, 125000]
    assert [minor_units(x) for x in ("", "-1", "2.555", "ten", "1e3")] == [None] * 5


def test_the_online_tab_sends_its_fields_only_and_the_amount_its_option_needs() -> None:
    form = {
        "currency": "usd",
        "payment_option": "full_amount",
        "payment_amount": "12.00",  # not used by this option: not sent (scheduling would refuse it)
        "cancellation_policy": "keep_fee",
        "cancellation_fee": "oops",
    }
    typed = online_form("sessionTypes", "sessionTypes/x", form, ["A", "B", "A"], ["A", "B", "C"])
    assert isinstance(typed.message, pb.SessionType)
    assert not typed.message.online.HasField("payment_amount")
    assert list(typed.message.online.online_promotions) == ["A", "B"]
    assert typed.errors == {"cancellation_fee": "Enter an amount such as 25 or 25.00."}
    assert typed.typed["online_promotions"] == ["A", "B", "A"]
    assert "display_name" not in typed.mask
    assert "online.marketing_image_uri" not in typed.mask  # the image is not this form's


def test_price_list_items_keep_the_list_order_and_refuse_strangers() -> None:
    typed = prices_form("appointmentTypes", "appointmentTypes/x", ["p/2", "p/1"], ["p/1", "p/2"])
    assert list(typed.message.price_list_items) == ["p/1", "p/2"]
    assert typed.mask == ["price_list_items"]
    assert prices_form("appointmentTypes", "appointmentTypes/x", ["p/9"], ["p/1"]).errors


def test_violation_paths_name_the_form_fields() -> None:
    assert form_field("session_type.online.payment_amount.amount_minor") == "payment_amount"
    assert form_field("session_type.online.display_price.currency_code") == "currency"
    assert form_field("appointment_type.price_list_items[2]") == "price_list_items"
    assert form_field("session_type.online.online_promotions[0]") == "online_promotions"
    assert form_field("session_type.default_duration_minutes") == "default_duration_minutes"


def test_promotions_must_come_from_the_list() -> None:
    typed = online_form("sessionTypes", "sessionTypes/x", {"currency": "USD"}, ["A", "TYPED"], ["A", "B"])
    assert list(typed.message.online.online_promotions) == ["A"]
    assert typed.errors == {"online_promotions": "Choose promotions from the list."}
