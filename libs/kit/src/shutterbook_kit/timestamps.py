"""Timestamps a request carries, checked once for every gRPC method at the server's edge.

A `google.protobuf.Timestamp` outside its defined range (years 1 to 9999, nanos 0 to
999,999,999) is not an instant at all: converting it raises, which would surface as INTERNAL.
The kit's server interceptor refuses such a request with INVALID_ARGUMENT naming each bad field
(`session.time_blocks[0].start_time`), before the handler runs. This holds for output-only
fields too: a malformed value is refused rather than ignored, as there is nothing to ignore.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from shutterbook_kit.errors import Violations

MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z
MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
_TIMESTAMP = "google.protobuf.Timestamp"


def bad_timestamps(message: Message, prefix: str = "") -> list[str]:
    """The paths of every set Timestamp field in `message` (nested and repeated ones too)
    that is out of range, in field-number order."""
    found: list[str] = []
    for field, value in message.ListFields():
        kind = field.message_type
        if field.type != FieldDescriptor.TYPE_MESSAGE or kind is None or kind.GetOptions().map_entry:
            continue  # scalars; maps (none of these contracts' maps holds a timestamp)
        path = f"{prefix}{field.name}"
        repeated = field.is_repeated
        values = value if repeated else [value]
        for i, item in enumerate(values):
            at = f"{path}[{i}]" if repeated else path
            if kind.full_name == _TIMESTAMP:
                if not (MIN_SECONDS <= item.seconds <= MAX_SECONDS and 0 <= item.nanos <= 999_999_999):
                    found.append(at)
            else:
                found.extend(bad_timestamps(item, f"{at}."))
    return found


def check_timestamps(message: Message) -> None:
    """INVALID_ARGUMENT naming each out-of-range Timestamp of the request; nothing when none is."""
    v = Violations()
    for path in bad_timestamps(message):
        v.add(path, "is not a valid timestamp (years 0001 to 9999, nanos 0 to 999999999)")
    v.raise_if_any()
