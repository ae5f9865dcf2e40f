"""In which zone a customer deposit's receipt shows its time. Pure: no I/O.

A deposit names no location (it is held on the client, not on a session), so its receipt
borrows one, by this rule:

1. the location of the client's session nearest in time to when the deposit was taken (before
   or after; a deposit is usually taken for the session just booked or coming up), among the
   sessions at locations the staff member may see;
2. else the staff member's location, when they work at exactly one;
3. else UTC.

The receipt always names the zone it shows ("(America/New_York)", "(UTC)"), so a time in a zone
a reader did not expect is still read right."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

UTC_ZONE = "UTC"


def deposit_receipt_zone(
    taken: datetime, sessions: Sequence[tuple[datetime, str]], staff_location_zone: str = ""
) -> str:
    """`sessions`: (start, IANA zone) of the client's sessions the staff member may see;
    `staff_location_zone`: the zone of the staff member's one location ("" for none or many)."""
    zoned = [(abs((start - taken).total_seconds()), start, zone) for start, zone in sessions if zone]
    if zoned:
        return min(zoned)[2]
    return staff_location_zone or UTC_ZONE
