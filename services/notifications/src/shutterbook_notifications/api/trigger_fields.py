"""A trigger's fields from protobuf (CreateTrigger, UpdateTrigger), each bad one a field
violation, and back."""

from __future__ import annotations

import dataclasses
import uuid

from google.protobuf import timestamp_pb2

from shutterbook.notifications.v1 import notifications_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_notifications.application.triggers import MAX_DELAY_MINUTES, TriggerSpec
from shutterbook_notifications.storage.models import TriggerRow

KINDS = {"session_status": pb.TRIGGER_KIND_SESSION_STATUS, "session_type": pb.TRIGGER_KIND_SESSION_TYPE}
CHANNELS = {"": pb.CHANNEL_UNSPECIFIED, "email": pb.CHANNEL_EMAIL, "sms": pb.CHANNEL_SMS}
EVENT_PATHS = {"kind", "session_status", "session_type"}
PATHS = EVENT_PATHS | {"form_letter", "delay_minutes", "channel", "disabled"}


def _event(t: pb.Trigger, v: Violations) -> tuple[str, str]:
    if t.kind == pb.TRIGGER_KIND_SESSION_STATUS:
        kind, match, field, collection = "session_status", t.session_status, "trigger.session_status", "sessionStatuses"
    elif t.kind == pb.TRIGGER_KIND_SESSION_TYPE:
        kind, match, field, collection = "session_type", t.session_type, "trigger.session_type", "sessionTypes"
    else:
        v.add("trigger.kind", "is required")
        return "", ""
    match_id = match.removeprefix(f"{collection}/")
    if not match.startswith(f"{collection}/") or not match_id or "/" in match_id or len(match_id) > 64:
        v.add(field, f"must be {collection}/{{id}}")
        return kind, ""
    return kind, match_id


def _letter(t: pb.Trigger, v: Violations) -> str:
    if not t.form_letter.startswith("formLetters/"):
        v.add("trigger.form_letter", "must be formLetters/{id}")
        return ""
    try:
        return str(uuid.UUID(t.form_letter.removeprefix("formLetters/")))
    except ValueError:
        v.add("trigger.form_letter", "no such form letter")
        return ""


def _delay(t: pb.Trigger, v: Violations) -> int:
    if not 0 <= t.delay_minutes <= MAX_DELAY_MINUTES:
        v.add("trigger.delay_minutes", f"must be 0 to {MAX_DELAY_MINUTES} minutes (30 days)")
        return 0
    return t.delay_minutes


def _channel(t: pb.Trigger, v: Violations) -> str:
    found = next((name for name, value in CHANNELS.items() if value == t.channel), None)
    if found is None:
        v.add("trigger.channel", "must be CHANNEL_EMAIL, CHANNEL_SMS or unspecified")
        return ""
    return found


def spec_from(t: pb.Trigger, v: Violations) -> TriggerSpec:
    """Every field of the trigger (CreateTrigger)."""
    kind, match_id = _event(t, v)
    return TriggerSpec(kind, match_id, _letter(t, v), _delay(t, v), _channel(t, v), t.disabled)


def check_mask(paths: list[str], v: Violations) -> set[str]:
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        v.add("update_mask", f"unknown field {unknown[0]!r}; one of {', '.join(sorted(PATHS))}")
    return set(paths) or PATHS


def merge(current: TriggerSpec, t: pb.Trigger, paths: set[str], v: Violations) -> TriggerSpec:
    """The current fields with the masked ones taken from `t` (the event as one: kind and match)."""
    spec = current
    if paths & EVENT_PATHS:
        kind, match_id = _event(t, v)
        spec = dataclasses.replace(spec, kind=kind, match_id=match_id)
    if "form_letter" in paths:
        spec = dataclasses.replace(spec, form_letter_id=_letter(t, v))
    if "delay_minutes" in paths:
        spec = dataclasses.replace(spec, delay_minutes=_delay(t, v))
    if "channel" in paths:
        spec = dataclasses.replace(spec, channel=_channel(t, v))
    if "disabled" in paths:
        spec = dataclasses.replace(spec, disabled=t.disabled)
    return spec


def trigger_pb(row: TriggerRow) -> pb.Trigger:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(row.created_at)
    return pb.Trigger(
        name=f"triggers/{row.id}",
        kind=KINDS[row.kind],
        session_status=f"sessionStatuses/{row.match_id}" if row.kind == "session_status" else "",
        session_type=f"sessionTypes/{row.match_id}" if row.kind == "session_type" else "",
        form_letter=f"formLetters/{row.form_letter_id}",
        create_time=created,
        delay_minutes=row.delay_minutes,
        channel=CHANNELS.get(row.channel, pb.CHANNEL_UNSPECIFIED),
        disabled=row.disabled,
    )
