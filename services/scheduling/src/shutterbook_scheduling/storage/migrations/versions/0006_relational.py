"""Relational schema: every field of locations, staff members, schedules, session and
appointment types, sessions, appointments, online time slots and bulk jobs becomes a column or
a child row; the serialized protobuf `data` columns are decoded into them and dropped.

The blobs are decoded with the generated stubs (the contract did not change). The copy is
self-contained (it does not use the service's converters, which may change later). Indexes for
the console's filters on sessions come with it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from shutterbook.scheduling.v1 import bulk_pb2, online_pb2, scheduling_pb2
from shutterbook_kit.schema import BigIntId, UtcDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BLOB_TABLES = (
    "locations",
    "staff_members",
    "schedules",
    "booking_types",
    "session_statuses",
    "sessions",
    "appointments",
    "online_time_slots",
    "bulk_jobs",
)


# --- field helpers (frozen copies of the converters of this revision) ---------------------------


def _minute(msg: Any, field: str) -> int | None:
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return int(value.hours) * 60 + int(value.minutes)


def _date(msg: Any, field: str) -> date | None:
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    if value.year == 0 and value.month == 0 and value.day == 0:
        return None
    return date(value.year, value.month, value.day)


def _instant(msg: Any, field: str) -> datetime | None:
    return getattr(msg, field).ToDatetime(tzinfo=UTC) if msg.HasField(field) else None


def _id(name: str, collection: str) -> str:
    return name.removeprefix(f"{collection}/")


def _hours(hours: Any) -> list[dict[str, Any]]:
    return [
        {"position": i, "day": h.day, "start_minute": _minute(h, "start"), "end_minute": _minute(h, "end")}
        for i, h in enumerate(hours)
    ]


def _times(msg: Any) -> dict[str, Any]:
    out = {}
    for field, column in (("create_time", "created_at"), ("update_time", "updated_at")):
        moment = _instant(msg, field)
        if moment is not None:
            out[column] = moment
    return out


# --- tables ----------------------------------------------------------------------------------------


def _child(name: str, parent: str, parent_column: str, *columns: Any) -> sa.Table:
    table = op.create_table(
        name,
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column(parent_column, sa.String(36), sa.ForeignKey(f"{parent}.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_{parent_column}", name, [parent_column])
    assert table is not None
    return table


def _hours_columns() -> list[Any]:
    return [
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("start_minute", sa.Integer, nullable=True),
        sa.Column("end_minute", sa.Integer, nullable=True),
    ]


def _text(name: str, length: int | None = None) -> sa.Column[Any]:
    kind: Any = sa.Text if length is None else sa.String(length)
    return sa.Column(name, kind, nullable=False, server_default="")


def _flag(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())


def _number(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _wall_clock() -> list[sa.Column[Any]]:
    return [
        sa.Column("local_date", sa.Date, nullable=True),
        sa.Column("start_minute", sa.Integer, nullable=True),
        sa.Column("end_minute", sa.Integer, nullable=True),
    ]


def _add(table: str, *columns: sa.Column[Any]) -> None:
    for column in columns:
        op.add_column(table, column)


def upgrade() -> None:
    bind = op.get_bind()
    # locations
    _add(
        "locations",
        _flag("has_address"),
        _text("address_locality", 200),
        _text("address_administrative_area", 200),
        _text("address_postal_code", 40),
        _text("address_region_code", 8),
    )
    address_lines = _child(
        "location_address_lines", "locations", "location_id", sa.Column("line", sa.Text, nullable=False)
    )
    location_hours = _child(
        "location_hours", "locations", "location_id", sa.Column("kind", sa.String(8), nullable=False), *_hours_columns()
    )
    # staff members
    _add("staff_members", _text("email", 320))
    roles = _child(
        "staff_member_roles", "staff_members", "staff_member_id", sa.Column("role", sa.Integer, nullable=False)
    )
    # schedules
    _add("schedules", _text("staff_member_id", 36))
    working_hours = _child("schedule_working_hours", "schedules", "schedule_id", *_hours_columns())
    time_off = _child(
        "schedule_time_off",
        "schedules",
        "schedule_id",
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        _text("reason", 400),
    )
    # types
    _add(
        "booking_types",
        _text("color", 16),
        _number("default_duration_minutes"),
        _number("buffer_before_minutes"),
        _number("buffer_after_minutes"),
        _text("default_status_id", 36),
        _flag("auto_create_invoice"),
        _flag("linked"),
        _flag("has_online"),
        _flag("online_available"),
        _text("online_description", 400),
        _text("online_marketing_description"),
        _flag("online_auto_remove_conflicting_slots"),
        sa.Column("online_display_price_minor", sa.BigInteger, nullable=True),
        _text("online_display_price_currency", 8),
        _flag("online_payment"),
        _number("online_payment_option"),
        sa.Column("online_payment_amount_minor", sa.BigInteger, nullable=True),
        _text("online_payment_amount_currency", 8),
        _text("online_booked_status_id", 36),
        _text("online_cancelled_status_id", 36),
        _text("online_rescheduled_status_id", 36),
        _text("online_location_id", 36),
        _text("online_location_text", 400),
        _text("online_marketing_image_uri"),
    )
    price_items = _child(
        "booking_type_price_list_items", "booking_types", "type_id", sa.Column("item_id", sa.String(36), nullable=False)
    )
    promotions = _child(
        "booking_type_online_promotions",
        "booking_types",
        "type_id",
        sa.Column("promotion", sa.String(200), nullable=False),
    )
    # sessions
    _add(
        "sessions",
        _text("time_zone", 64),
        _text("description"),
        sa.Column("status_due_date", sa.Date, nullable=True),
        _text("photographer_id", 36),
        _text("assistant_id", 36),
        _text("camera_room_id", 36),
        _text("camera_room_text", 400),
        _text("booked_by", 200),
        sa.Column("booked_on", UtcDateTime, nullable=True),
        _text("file_number", 100),
        sa.Column("reminder_minutes", sa.Integer, nullable=True),
        _flag("confirmed"),
        _flag("no_show"),
        _flag("redo"),
        _flag("use_advanced_calendar"),
        _flag("booked_online"),
        *_wall_clock(),
    )
    participants = _child(
        "session_participants",
        "sessions",
        "session_id",
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_session_participants_member", "session_participants", ["client_id", "member_id"])
    blocks = _child(
        "session_time_blocks",
        "sessions",
        "session_id",
        *_wall_clock(),
        _text("location_id", 36),
        sa.Column("start_at", UtcDateTime, nullable=True),
        sa.Column("end_at", UtcDateTime, nullable=True),
    )
    block_schedules = op.create_table(
        "session_time_block_schedules",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("block_id", BigIntId, sa.ForeignKey("session_time_blocks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
    )
    assert block_schedules is not None
    op.create_index("ix_session_time_block_schedules_block_id", "session_time_block_schedules", ["block_id"])
    # appointments
    _add(
        "appointments",
        _text("time_zone", 64),
        _text("description"),
        _flag("confirmed"),
        sa.Column("reminder_minutes", sa.Integer, nullable=True),
        _text("booked_by", 200),
        *_wall_clock(),
    )
    appointment_schedules = _child(
        "appointment_schedules",
        "appointments",
        "appointment_id",
        sa.Column("schedule_id", sa.String(36), nullable=False),
    )
    # online time slots
    _add(
        "online_time_slots",
        _flag("is_appointment"),
        _text("time_zone", 64),
        _number("minimum_notice_minutes"),
        _number("maximum_advance_days"),
        *_wall_clock(),
    )
    _add("online_slot_schedules", _number("position"))
    # bulk jobs
    _add(
        "bulk_jobs",
        sa.Column("has_template", sa.Boolean, nullable=False, server_default=sa.true()),
        _text("template_location", 200),
        _text("template_description"),
        _text("template_session_type", 200),
        _text("template_status", 200),
        _text("template_photographer", 200),
        _text("template_assistant", 200),
        _text("template_camera_room", 200),
    )
    job_rows = op.create_table(
        "bulk_job_rows",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(36), sa.ForeignKey("bulk_jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("start_minute", sa.Integer, nullable=True),
        sa.Column("end_minute", sa.Integer, nullable=True),
        _number("session_duration_minutes"),
        _flag("exclude_saturdays"),
        _flag("exclude_sundays"),
        sa.Column("break_start_minute", sa.Integer, nullable=True),
        sa.Column("break_end_minute", sa.Integer, nullable=True),
        _number("minutes_between_sessions"),
    )
    assert job_rows is not None
    op.create_index("ix_bulk_job_rows_job_id", "bulk_job_rows", ["job_id"])

    def rows_of(table: str) -> list[Any]:
        return list(bind.execute(sa.text(f"SELECT id, data FROM {table} ORDER BY id")))

    handles: dict[str, sa.Table] = {}

    def update(table: str, row_id: str, values: dict[str, Any]) -> None:
        if table not in handles:  # the table as it now is, so values bind through its column types
            handles[table] = sa.Table(table, sa.MetaData(), autoload_with=bind)
        handle = handles[table]
        bind.execute(handle.update().where(handle.c.id == row_id).values(**values))

    def insert(table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            bind.execute(table.insert(), rows)

    for row_id, data in rows_of("locations"):
        loc = scheduling_pb2.Location.FromString(data)
        address = loc.address
        update(
            "locations",
            row_id,
            {
                "display_name": loc.display_name,
                "time_zone": loc.time_zone,
                "has_address": loc.HasField("address"),
                "address_locality": address.locality,
                "address_administrative_area": address.administrative_area,
                "address_postal_code": address.postal_code,
                "address_region_code": address.region_code,
                **_times(loc),
            },
        )
        insert(
            address_lines,
            [{"location_id": row_id, "position": i, "line": x} for i, x in enumerate(address.address_lines)],
        )
        insert(location_hours, [{"location_id": row_id, "kind": "studio", **h} for h in _hours(loc.studio_hours)])
        insert(location_hours, [{"location_id": row_id, "kind": "lunch", **h} for h in _hours(loc.lunch_periods)])

    for row_id, data in rows_of("staff_members"):
        staff = scheduling_pb2.StaffMember.FromString(data)
        update("staff_members", row_id, {"display_name": staff.display_name, "email": staff.email, **_times(staff)})
        insert(roles, [{"staff_member_id": row_id, "position": i, "role": r} for i, r in enumerate(staff.roles)])

    for row_id, data in rows_of("schedules"):
        schedule = scheduling_pb2.Schedule.FromString(data)
        update(
            "schedules",
            row_id,
            {
                "display_name": schedule.display_name,
                "staff_member_id": _id(schedule.staff_member, "staffMembers"),
                **_times(schedule),
            },
        )
        insert(working_hours, [{"schedule_id": row_id, **h} for h in _hours(schedule.working_hours)])
        insert(
            time_off,
            [
                {
                    "schedule_id": row_id,
                    "position": i,
                    "start_at": _instant(off, "start_time"),
                    "end_at": _instant(off, "end_time"),
                    "reason": off.reason,
                }
                for i, off in enumerate(schedule.time_off)
            ],
        )

    for row_id, kind, data in list(bind.execute(sa.text("SELECT id, kind, data FROM booking_types ORDER BY id"))):
        t: Any = (scheduling_pb2.SessionType if kind == "session" else scheduling_pb2.AppointmentType).FromString(data)
        online = t.online
        update(
            "booking_types",
            row_id,
            {
                "display_name": t.display_name,
                "color": t.color,
                "default_duration_minutes": t.default_duration_minutes,
                "buffer_before_minutes": t.buffer_before_minutes,
                "buffer_after_minutes": t.buffer_after_minutes,
                "default_status_id": _id(getattr(t, "default_status", ""), "sessionStatuses"),
                "auto_create_invoice": t.auto_create_invoice,
                "linked": bool(getattr(t, "linked", False)),
                "has_online": t.HasField("online"),
                "online_available": online.available_online,
                "online_description": online.online_description,
                "online_marketing_description": online.marketing_description,
                "online_auto_remove_conflicting_slots": online.auto_remove_conflicting_slots,
                "online_display_price_minor": (
                    online.display_price.amount_minor if online.HasField("display_price") else None
                ),
                "online_display_price_currency": online.display_price.currency_code,
                "online_payment": online.online_payment,
                "online_payment_option": online.payment_option,
                "online_payment_amount_minor": (
                    online.payment_amount.amount_minor if online.HasField("payment_amount") else None
                ),
                "online_payment_amount_currency": online.payment_amount.currency_code,
                "online_booked_status_id": _id(online.booked_online_status, "sessionStatuses"),
                "online_cancelled_status_id": _id(online.cancelled_online_status, "sessionStatuses"),
                "online_rescheduled_status_id": _id(online.rescheduled_online_status, "sessionStatuses"),
                "online_location_id": _id(online.location, "locations"),
                "online_location_text": online.location_text,
                "online_marketing_image_uri": online.marketing_image_uri,
                **_times(t),
            },
        )
        insert(
            price_items,
            [
                {"type_id": row_id, "position": i, "item_id": _id(item, "priceListItems")}
                for i, item in enumerate(t.price_list_items)
            ],
        )
        insert(
            promotions,
            [{"type_id": row_id, "position": i, "promotion": p} for i, p in enumerate(online.online_promotions)],
        )

    for row_id, data in rows_of("session_statuses"):
        # due days, default flag and name were columns already (the column is what the
        # service acted on: one default per company)
        update("session_statuses", row_id, _times(scheduling_pb2.SessionStatus.FromString(data)))

    for row_id, data in rows_of("sessions"):
        s = scheduling_pb2.Session.FromString(data)
        values: dict[str, Any] = {
            "time_zone": s.time_zone,
            "description": s.description,
            "local_date": _date(s, "session_date"),
            "start_minute": _minute(s, "start"),
            "end_minute": _minute(s, "end"),
            "status_due_date": _date(s, "status_due_date"),
            "photographer_id": _id(s.photographer, "schedules"),
            "assistant_id": _id(s.assistant, "schedules"),
            "camera_room_id": _id(s.camera_room, "schedules"),
            "camera_room_text": s.camera_room_text,
            "booked_by": s.booked_by,
            "booked_on": _instant(s, "booked_on"),
            "file_number": s.file_number,
            "reminder_minutes": s.reminder_minutes if s.HasField("reminder_minutes") else None,
            "confirmed": s.confirmed,
            "no_show": s.no_show,
            "redo": s.redo,
            "use_advanced_calendar": s.use_advanced_calendar,
            "booked_online": s.booked_online,
            **_times(s),
        }
        for field, column in (("start_time", "start_at"), ("end_time", "end_at")):
            moment = _instant(s, field)
            if moment is not None:
                values[column] = moment
        update("sessions", row_id, values)
        found = []
        for i, name in enumerate(s.participants):
            client_part, _, member = name.removeprefix("clients/").partition("/familyMembers/")
            found.append({"session_id": row_id, "position": i, "client_id": client_part, "member_id": member})
        insert(participants, found)
        for i, block in enumerate(s.time_blocks):
            block_id = bind.execute(
                blocks.insert().values(
                    session_id=row_id,
                    position=i,
                    local_date=_date(block, "date"),
                    start_minute=_minute(block, "start"),
                    end_minute=_minute(block, "end"),
                    location_id=_id(block.location, "locations"),
                    start_at=_instant(block, "start_time"),
                    end_at=_instant(block, "end_time"),
                )
            ).inserted_primary_key[0]
            insert(
                block_schedules,
                [
                    {"block_id": block_id, "position": j, "schedule_id": _id(x, "schedules")}
                    for j, x in enumerate(block.schedules)
                ],
            )

    for row_id, data in rows_of("appointments"):
        a = scheduling_pb2.Appointment.FromString(data)
        values = {
            "time_zone": a.time_zone,
            "description": a.description,
            "local_date": _date(a, "appointment_date"),
            "start_minute": _minute(a, "start"),
            "end_minute": _minute(a, "end"),
            "confirmed": a.confirmed,
            "reminder_minutes": a.reminder_minutes if a.HasField("reminder_minutes") else None,
            "booked_by": a.booked_by,
            **_times(a),
        }
        for field, column in (("start_time", "start_at"), ("end_time", "end_at")):
            moment = _instant(a, field)
            if moment is not None:
                values[column] = moment
        update("appointments", row_id, values)
        insert(
            appointment_schedules,
            [
                {"appointment_id": row_id, "position": i, "schedule_id": _id(x, "schedules")}
                for i, x in enumerate(a.schedules)
            ],
        )

    for row_id, data in rows_of("online_time_slots"):
        slot = online_pb2.TimeSlot.FromString(data)
        update(
            "online_time_slots",
            row_id,
            {
                "is_appointment": bool(slot.appointment_type),
                "time_zone": slot.time_zone,
                "local_date": _date(slot, "date"),
                "start_minute": _minute(slot, "start"),
                "end_minute": _minute(slot, "end"),
                "minimum_notice_minutes": slot.minimum_notice_minutes,
                "maximum_advance_days": slot.maximum_advance_days,
                **_times(slot),
            },
        )
        for i, schedule in enumerate(slot.schedules):
            bind.execute(
                sa.text("UPDATE online_slot_schedules SET position = :p WHERE slot_id = :s AND schedule_id = :c"),
                {"p": i, "s": row_id, "c": _id(schedule, "schedules")},
            )

    for row_id, data in rows_of("bulk_jobs"):
        job = bulk_pb2.BulkJob.FromString(data)
        template = job.template
        update(
            "bulk_jobs",
            row_id,
            {
                "has_template": job.HasField("template"),
                "template_location": template.location,
                "template_description": template.description,
                "template_session_type": template.session_type,
                "template_status": template.status,
                "template_photographer": template.photographer,
                "template_assistant": template.assistant,
                "template_camera_room": template.camera_room,
            },
        )
        insert(
            job_rows,
            [
                {
                    "job_id": row_id,
                    "position": i,
                    "start_date": _date(r, "start_date"),
                    "end_date": _date(r, "end_date"),
                    "start_minute": _minute(r, "start_time"),
                    "end_minute": _minute(r, "end_time"),
                    "session_duration_minutes": r.session_duration_minutes,
                    "exclude_saturdays": r.exclude_saturdays,
                    "exclude_sundays": r.exclude_sundays,
                    "break_start_minute": _minute(r, "break_start"),
                    "break_end_minute": _minute(r, "break_end"),
                    "minutes_between_sessions": r.minutes_between_sessions,
                }
                for i, r in enumerate(job.time_slot_rows)
            ],
        )

    for table in BLOB_TABLES:
        # in place on both backends (SQLite 3.35+): a batch copy of a parent table would fire
        # the ON DELETE CASCADE of its new child rows
        op.execute(f"ALTER TABLE {table} DROP COLUMN data")

    op.create_index("ix_schedules_location", "schedules", ["company_id", "location_id"])
    op.create_index("ix_schedules_staff_member_id", "schedules", ["staff_member_id"])
    op.create_index("ix_sessions_status", "sessions", ["company_id", "status_id", "start_at"])
    op.create_index("ix_sessions_photographer", "sessions", ["company_id", "photographer_id", "start_at"])
    op.create_index("ix_sessions_type", "sessions", ["company_id", "type_id", "start_at"])
    op.create_index("ix_sessions_due", "sessions", ["company_id", "status_due_date"])
    op.create_index("ix_sessions_file_number", "sessions", ["company_id", "file_number"])
    op.create_index(
        "ix_sessions_flags", "sessions", ["company_id", "confirmed", "no_show", "redo", "on_hold", "start_at"]
    )
    op.create_index("ix_appointments_session", "appointments", ["company_id", "session_id"])


def downgrade() -> None:
    raise NotImplementedError("the blobs are not rebuilt: restore the backup taken before upgrading")
