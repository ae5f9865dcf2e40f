"""Generating slots with a preview (GenerateTimeSlots `validate_only`, AIP-163): nothing
written, the slots as they would be, conflicts with what the schedules hold marked; moving a
slot (UpdateTimeSlot `date`/`start`/`end`), unpublishing it, and a held slot shown as held and
not movable."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.online_support import create_slot, future_day, make_online_studio, online_service, open_names, pdate, slot
from tests.scheduling_support import COMPANY_A, A, make_known_client


def tod(h: int, m: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=h, minutes=m)


async def test_preview_writes_nothing_and_marks_conflicts(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        when = future_day(studio, 5)
        existing = await create_slot(o, slot(studio, when, (10, 30), (11, 30)))
        row = opb.TimeSlotPatternRow(
            start_date=pdate(when), end_date=pdate(when), start_time=tod(9), end_time=tod(13), slot_minutes=60
        )
        request = opb.GenerateTimeSlotsRequest(
            template=opb.TimeSlot(
                location=studio.location.name,
                session_type=studio.session_type.name,
                schedules=[studio.photographer.name],
                published=True,
            ),
            rows=[row],
            request_id=str(uuid.uuid4()),
            validate_only=True,
        )
        preview = await o.online.GenerateTimeSlots(request, metadata=A)
        assert [(s.start.hours, s.end.hours) for s in preview.time_slots] == [(9, 10), (10, 11), (11, 12), (12, 13)]
        assert all(s.name == "" for s in preview.time_slots)
        # 10-11 and 11-12 overlap the 10:30-11:30 slot on the photographer's schedule
        assert [(c.slot_index, c.entry, c.schedule) for c in preview.conflicts] == [
            (1, existing.name, studio.photographer.name),
            (2, existing.name, studio.photographer.name),
        ]
        listed = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(location=studio.location.name), metadata=A)
        assert [s.name for s in listed.time_slots] == [existing.name]  # nothing written
        assert await o.svc.outbox("scheduling.time_slots.generated") == []

        # the same rows saved: the slots of the preview, the same conflicts
        request.validate_only = False
        made = await o.online.GenerateTimeSlots(request, metadata=A)
        assert [(s.start, s.end) for s in made.time_slots] == [(s.start, s.end) for s in preview.time_slots]
        assert all(s.name.startswith("timeSlots/") for s in made.time_slots)
        assert list(made.conflicts) == list(preview.conflicts)
        listed = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(location=studio.location.name), metadata=A)
        assert len(listed.time_slots) == 5
        assert len(await o.svc.outbox("scheduling.time_slots.generated")) == 1

        # a preview with bad rows is refused like the real thing
        bad = opb.GenerateTimeSlotsRequest(template=request.template, rows=[row], validate_only=True)
        bad.rows[0].slot_minutes = 0
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.GenerateTimeSlots(bad, metadata=A)
        assert set(rpc_violations(err.value)) == {"rows[0].slot_minutes"}


async def test_move_unpublish_and_held(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        when = future_day(studio, 6)
        later = future_day(studio, 8)
        made = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        moved = await o.online.UpdateTimeSlot(
            opb.UpdateTimeSlotRequest(
                time_slot=opb.TimeSlot(name=made.name, date=pdate(later), start=tod(14), end=tod(14, 45)),
                update_mask=field_mask_pb2.FieldMask(paths=["date", "start", "end"]),
            ),
            metadata=A,
        )
        assert (moved.date, moved.start, moved.end) == (pdate(later), tod(14), tod(14, 45))
        assert moved.end_time.ToSeconds() - moved.start_time.ToSeconds() == 45 * 60
        assert moved.start_time.ToSeconds() > made.start_time.ToSeconds()
        assert await open_names(o, studio, when) == []
        assert await open_names(o, studio, later) == [made.name]

        # an end before the start is refused, naming the field; the slot is unchanged
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.UpdateTimeSlot(
                opb.UpdateTimeSlotRequest(
                    time_slot=opb.TimeSlot(name=made.name, end=tod(13)),
                    update_mask=field_mask_pb2.FieldMask(paths=["end"]),
                ),
                metadata=A,
            )
        assert set(rpc_violations(err.value)) == {"time_slot.end"}
        assert (await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=made.name), metadata=A)).end == tod(14, 45)

        # unpublished: not open, still listed for staff
        hidden = await o.online.UpdateTimeSlot(
            opb.UpdateTimeSlotRequest(
                time_slot=opb.TimeSlot(name=made.name, published=False),
                update_mask=field_mask_pb2.FieldMask(paths=["published"]),
            ),
            metadata=A,
        )
        assert not hidden.published
        assert await open_names(o, studio, later) == []
        await o.online.UpdateTimeSlot(
            opb.UpdateTimeSlotRequest(
                time_slot=opb.TimeSlot(name=made.name, published=True),
                update_mask=field_mask_pb2.FieldMask(paths=["published"]),
            ),
            metadata=A,
        )

        # held: shown as held, and its times cannot move under the booking in progress
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=made.name, client=ann.name, request_id=str(uuid.uuid4())), metadata=A
        )
        assert (await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=made.name), metadata=A)).held
        listed = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(location=studio.location.name), metadata=A)
        assert [s.held for s in listed.time_slots] == [True]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.UpdateTimeSlot(
                opb.UpdateTimeSlotRequest(
                    time_slot=opb.TimeSlot(name=made.name, start=tod(15), end=tod(16)),
                    update_mask=field_mask_pb2.FieldMask(paths=["start", "end"]),
                ),
                metadata=A,
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "held" in (err.value.details() or "")
