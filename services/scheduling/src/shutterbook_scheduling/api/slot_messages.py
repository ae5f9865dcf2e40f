"""Online time slots to messages: a domain `TimeSlot` (domain/time_slots.py) to its `TimeSlot`
message, a conflict to its `TimeSlotConflict`. A listing converts many slots (the open-slot
listing encodes each new version of a slot once, api/encoded_slots.py): instants are converted
without a time tuple."""

from __future__ import annotations

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.api.proto_values import ts
from shutterbook_scheduling.domain.time_slots import SlotConflict, TimeSlot


def time_slot_message(slot: TimeSlot) -> opb.TimeSlot:
    type_name = slot.type_name
    booking = slot.booking_name
    msg = opb.TimeSlot(
        name=slot.name,
        location=f"locations/{slot.location_id}" if slot.location_id else "",
        session_type="" if slot.appointment else type_name,
        appointment_type=type_name if slot.appointment else "",
        schedules=[f"schedules/{s}" for s in slot.schedule_ids],
        start_time=ts(slot.start_at),
        end_time=ts(slot.end_at),
        time_zone=slot.time_zone,
        published=slot.published,
        minimum_notice_minutes=slot.minimum_notice_minutes,
        maximum_advance_days=slot.maximum_advance_days,
        create_time=ts(slot.created_at),
        update_time=ts(slot.updated_at),
        booked_session="" if slot.appointment else booking,
        booked_appointment=booking if slot.appointment else "",
        removed=slot.removed,
        held=slot.held,
    )
    if slot.local_date is not None:
        day = slot.local_date
        msg.date.CopyFrom(date_pb2.Date(year=day.year, month=day.month, day=day.day))
    if slot.start_minute is not None:
        msg.start.CopyFrom(pb.TimeOfDay(hours=slot.start_minute // 60, minutes=slot.start_minute % 60))
    if slot.end_minute is not None:
        msg.end.CopyFrom(pb.TimeOfDay(hours=slot.end_minute // 60, minutes=slot.end_minute % 60))
    return msg


def conflict_message(conflict: SlotConflict) -> opb.TimeSlotConflict:
    return opb.TimeSlotConflict(
        slot_index=conflict.slot_index, entry=conflict.entry, schedule=f"schedules/{conflict.schedule_id}"
    )
