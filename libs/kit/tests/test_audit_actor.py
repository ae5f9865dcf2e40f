"""Who an audit entry names: the verified caller of the call being served (its `kind:id` and
display name), else the service itself."""

from __future__ import annotations

from shutterbook_kit import tenancy
from shutterbook_kit.audit import Actor, current_actor, new_entry
from shutterbook_kit.identity import Caller, CallerKind

COMPANY = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"


def test_outside_a_call_the_service_itself() -> None:
    tenancy.set_current(None)
    assert current_actor("billing") == Actor(label="service:billing")


def test_the_calls_caller_label_and_the_verified_callers_name() -> None:
    try:
        partner = Caller(COMPANY, CallerKind.PARTNER, "key-1")
        tenancy.set_current(tenancy.CallContext.of(partner))
        assert current_actor("clients") == Actor(label="partner:key-1")
        tenancy.set_current(tenancy.CallContext(company_id=COMPANY, caller="reminders"))  # own work
        assert current_actor("clients") == Actor(label="service:reminders", display_name="reminders")
        staff = Caller(COMPANY, CallerKind.STAFF, "u-7", display_name="Dana Front")
        tenancy.set_current(tenancy.CallContext.of(staff))
        assert current_actor("clients") == Actor(label="staff:u-7", display_name="Dana Front")
        entry = new_entry(COMPANY, "clients/x", "updated", {"notes": {"after": "hi"}}, service="clients")
        assert (entry.caller, entry.caller_name, entry.record, entry.action) == (
            "staff:u-7",
            "Dana Front",
            "clients/x",
            "updated",
        )
        assert entry.changes == {"notes": {"after": "hi"}}
    finally:
        tenancy.set_current(None)
