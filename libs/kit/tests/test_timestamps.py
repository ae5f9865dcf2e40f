"""Out-of-range Timestamps anywhere in a request are named, with their path; valid ones and
unset ones are not."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import InvalidArgument
from shutterbook_kit.timestamps import MAX_SECONDS, MIN_SECONDS, bad_timestamps, check_timestamps


def test_nested_repeated_and_top_level_timestamps_are_named_by_path() -> None:
    request = pb.CreateSessionRequest(
        session=pb.Session(
            create_time=timestamp_pb2.Timestamp(nanos=-5),
            time_blocks=[
                pb.TimeBlock(start_time=timestamp_pb2.Timestamp(seconds=1_700_000_000)),
                pb.TimeBlock(start_time=timestamp_pb2.Timestamp(seconds=10_000_000_000_000)),
            ],
        )
    )
    named = ["session.time_blocks[1].start_time", "session.create_time"]  # in field-number order
    assert bad_timestamps(request) == named
    with pytest.raises(InvalidArgument) as raised:
        check_timestamps(request)
    assert [v.field for v in raised.value.violations] == named


@pytest.mark.parametrize(
    ("seconds", "nanos", "bad"),
    [
        (MIN_SECONDS, 0, False),
        (MAX_SECONDS, 999_999_999, False),
        (MIN_SECONDS - 1, 0, True),
        (MAX_SECONDS + 1, 0, True),
        (0, 1_000_000_000, True),
    ],
)
def test_the_range_is_the_timestamps_own(seconds: int, nanos: int, bad: bool) -> None:
    request = pb.CreateSessionRequest(
        session=pb.Session(create_time=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
    )
    assert bad_timestamps(request) == (["session.create_time"] if bad else [])
    if not bad:
        check_timestamps(request)  # a valid one converts
        request.session.create_time.ToDatetime()


def test_a_request_without_timestamps_costs_nothing_to_check() -> None:
    check_timestamps(pb.GetSessionRequest(name="sessions/x"))
