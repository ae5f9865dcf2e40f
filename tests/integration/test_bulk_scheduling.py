"""Bulk scheduling end to end: clients chosen through the real clients service (group,
saved filter, organization and year, "without a future session", not-yet-known clients),
verify counts and conflicts, a job that books in slot order with numbers from the
preference, per-item failures, idempotent creation, bad input, and tenancy."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import grpc
import pytest
from sqlalchemy import delete

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.bulk_support import bulk_slice, clock, day, seed_known_clients, template, wait_finished, weekday_rows
from tests.helpers import create_client, known_client
from tests.scheduling_support import COMPANY_A, A, B, make_studio


async def test_select_clients_through_the_clients_service(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with bulk_slice(databases, nats_server.url) as s:
        people = [await create_client(s.clients, COMPANY_A, f"Pupil{i}") for i in range(5)]
        outsider = await create_client(s.clients, COMPANY_A, "Outsider")
        for client in [*people, outsider]:
            await eventually(partial(known_client, s.scheduling.stub, COMPANY_A, client), what="client known")
        group = await s.clients.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Class 10B")),
            metadata=A,
        )
        await s.clients.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(client_group=group.name, clients=[p.name for p in people[:4]]),
            metadata=A,
        )
        school = await s.clients.CreateOrganization(
            clients_pb2.CreateOrganizationRequest(
                organization=clients_pb2.Organization(
                    display_name="Lincoln High", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                )
            ),
            metadata=A,
        )
        for client, year in ((people[0], 2026), (people[1], 2026), (people[2], 2025)):
            await s.clients.CreateMembership(
                clients_pb2.CreateMembershipRequest(
                    membership=clients_pb2.Membership(client=client.name, organization=school.name, year=year)
                ),
                metadata=A,
            )
        saved = await s.clients.CreateSavedFilter(
            clients_pb2.CreateSavedFilterRequest(
                saved_filter=clients_pb2.SavedFilter(
                    display_name="Lincoln any year", criteria=clients_pb2.ClientCriteria(organization=school.name)
                )
            ),
            metadata=A,
        )

        async def select(**selector: object) -> bpb.SelectBulkClientsResponse:
            only = bool(selector.pop("only_without_future_session", False))
            return await s.bulk.SelectBulkClients(
                bpb.SelectBulkClientsRequest(
                    selector=bpb.BulkClientSelector(**selector),  # type: ignore[arg-type]
                    only_without_future_session=only,
                ),
                metadata=A,
            )

        by_group = await select(group=group.name)
        assert [c.client for c in by_group.clients] == [p.name for p in people[:4]]
        assert by_group.clients[0].display_name == "Pupil0 Tester"
        by_year = await select(organization=school.name, year=2026)
        assert {c.client for c in by_year.clients} == {people[0].name, people[1].name}
        any_year = await select(organization=school.name)
        assert {c.client for c in any_year.clients} == {p.name for p in people[:3]}
        by_filter = await select(saved_filter=saved.name)
        assert {c.client for c in by_filter.clients} == {p.name for p in people[:3]}

        # a future session booked for Pupil1 -> left out with the option, kept without it
        studio = await make_studio(s.scheduling)
        await s.scheduling.stub.CreateSession(
            pb.CreateSessionRequest(
                session=pb.Session(
                    client=people[1].name,
                    session_type=studio.session_type.name,
                    location=studio.location.name,
                    session_date=day(2030, 5, 6),
                    start=clock(9),
                )
            ),
            metadata=A,
        )
        without_future = await select(group=group.name, only_without_future_session=True)
        assert [c.client for c in without_future.clients] == [people[0].name, people[2].name, people[3].name]
        assert without_future.excluded_with_future_session == 1

        # a client whose creation event scheduling has not seen: reported, not selected
        db = Database(s.scheduling.database_url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(
                    delete(KnownClientRow).where(KnownClientRow.client_id == people[3].name.removeprefix("clients/"))
                )
        finally:
            await db.dispose()
        partly_known = await select(group=group.name)
        assert [c.client for c in partly_known.not_known_clients] == [people[3].name]
        assert people[3].name not in {c.client for c in partly_known.clients}

        # another company sees none of company A's group (the clients service answers NOT_FOUND)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await s.bulk.SelectBulkClients(
                bpb.SelectBulkClientsRequest(selector=bpb.BulkClientSelector(group=group.name)), metadata=B
            )
        assert caught.value.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT}
        if caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT:
            assert "selector.group" in rpc_violations(caught.value)

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await select(group=group.name, organization=school.name)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "selector" in rpc_violations(caught.value)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await select(group="groups/nope", year=2026)
        assert set(rpc_violations(caught.value)) == {"selector.group", "selector.year"}


async def test_verify_then_a_job_books_every_client_in_slot_order(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with bulk_slice(databases, nats_server.url, with_clients=False) as s:
        studio = await make_studio(s.scheduling)  # America/New_York
        clients = await seed_known_clients(s.scheduling.database_url, COMPANY_A, 12)
        # one day, 09:00-12:00, 20 minutes + 10 between: 9:00, 9:30, ... 11:30 -> 6 slots;
        # a second row on the next day, 09:00-17:00 by 60 min with a 12:00-13:00 break -> 7
        rows = [
            bpb.TimeSlotRow(
                start_date=day(2030, 3, 4),
                end_date=day(2030, 3, 4),
                start_time=clock(9),
                end_time=clock(12),
                session_duration_minutes=20,
                minutes_between_sessions=10,
            ),
            bpb.TimeSlotRow(
                start_date=day(2030, 3, 5),
                end_date=day(2030, 3, 5),
                start_time=clock(9),
                end_time=clock(17),
                session_duration_minutes=60,
                break_start=clock(12),
                break_end=clock(13),
            ),
        ]
        # the photographer is already booked 10:00-10:45 on the first day: slots 2 (10:00) and 3 (10:30)
        await s.scheduling.stub.CreateSession(
            pb.CreateSessionRequest(
                session=pb.Session(
                    client=clients[-1],
                    session_type=studio.session_type.name,
                    location=studio.location.name,
                    session_date=day(2030, 3, 4),
                    start=clock(10),
                    end=clock(10, 45),
                    photographer=studio.photographer.name,
                )
            ),
            metadata=A,
        )
        chosen = clients[:11]
        verified = await s.bulk.VerifyBulkSchedule(
            bpb.VerifyBulkScheduleRequest(template=template(studio), time_slot_rows=rows, clients=chosen), metadata=A
        )
        assert (verified.slot_count, verified.client_count, verified.enough_slots) == (13, 11, True)
        assert list(verified.slots_per_row) == [6, 7]
        assert sorted({c.slot_index for c in verified.conflicts}) == [2, 3]
        assert {c.schedule for c in verified.conflicts} == {studio.photographer.name}
        assert verified.conflicts[0].slot_start_time.ToDatetime(tzinfo=UTC) == datetime(2030, 3, 4, 15, tzinfo=UTC)

        too_many = await s.bulk.VerifyBulkSchedule(
            bpb.VerifyBulkScheduleRequest(template=template(studio), time_slot_rows=rows[:1], clients=chosen),
            metadata=A,
        )
        assert (too_many.slot_count, too_many.enough_slots) == (6, False)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await s.bulk.CreateBulkJob(
                bpb.CreateBulkJobRequest(
                    bulk_job=bpb.BulkJob(template=template(studio), time_slot_rows=rows[:1]), clients=chosen
                ),
                metadata=A,
            )
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

        request = bpb.CreateBulkJobRequest(
            bulk_job=bpb.BulkJob(template=template(studio), time_slot_rows=rows),
            clients=chosen,
            request_id="bulk-job-test-0001",
        )
        job = await s.bulk.CreateBulkJob(request, metadata=A)
        assert job.name.startswith("bulkJobs/")
        assert job.total == 11
        again = await s.bulk.CreateBulkJob(request, metadata=A)
        assert again.name == job.name  # idempotent by request_id

        finished = await wait_finished(s.bulk, job.name, A, timeout=60)
        assert (finished.total, finished.done, finished.failures) == (11, 9, 2)
        assert finished.HasField("complete_time")
        items = (await s.bulk.ListBulkJobItems(bpb.ListBulkJobItemsRequest(parent=job.name), metadata=A)).items
        assert [i.client for i in items] == chosen
        failed = [i.position for i in items if i.state == bpb.BULK_JOB_ITEM_STATE_FAILED]
        assert failed == [2, 3]
        assert "SCHEDULE_CONFLICT" in items[2].failure or "conflict" in items[2].failure.lower()
        sessions = [
            await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=i.session), metadata=A)
            for i in items
            if i.state == bpb.BULK_JOB_ITEM_STATE_DONE
        ]
        starts = [x.start_time.ToDatetime(tzinfo=UTC) for x in sessions]
        assert starts == sorted(starts)
        assert (sessions[0].start.hours, sessions[0].end.hours, sessions[0].end.minutes) == (9, 9, 20)
        assert {x.description for x in sessions} == {"School portraits"}
        assert {x.photographer for x in sessions} == {studio.photographer.name}
        assert {x.camera_room for x in sessions} == {studio.room.name}
        numbers = [int(x.session_number) for x in sessions]
        # the hand-made booking took 1000; the job's numbers follow, one each, in slot order
        assert numbers == list(range(1001, 1010))

        # pages of items
        page = await s.bulk.ListBulkJobItems(bpb.ListBulkJobItemsRequest(parent=job.name, page_size=5), metadata=A)
        assert len(page.items) == 5
        rest = await s.bulk.ListBulkJobItems(
            bpb.ListBulkJobItemsRequest(parent=job.name, page_size=100, page_token=page.next_page_token), metadata=A
        )
        assert [i.position for i in rest.items] == list(range(5, 11))

        outbox = await s.scheduling.outbox()
        booked = [e for e in outbox if e.subject == "scheduling.session.booked"]
        assert len(booked) == 10  # the hand-made one and the job's nine
        payloads = []
        for envelope in booked:
            payload = ev.SessionBookedEvent()
            envelope.payload.Unpack(payload)
            payloads.append(payload.session.session)
        assert {x.name for x in sessions} <= set(payloads)
        completed = [e for e in outbox if e.subject == "scheduling.bulk_job.completed"]
        assert len(completed) == 1

        # another company's job is NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await s.bulk.GetBulkJob(bpb.GetBulkJobRequest(name=job.name), metadata=B)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND

        # the past jobs, newest first, a page at a time, with their counts; none for another company
        later_row = bpb.TimeSlotRow(
            start_date=day(2030, 3, 6),
            end_date=day(2030, 3, 6),
            start_time=clock(9),
            end_time=clock(10),
            session_duration_minutes=30,
        )
        later = await s.bulk.CreateBulkJob(
            bpb.CreateBulkJobRequest(
                bulk_job=bpb.BulkJob(template=template(studio), time_slot_rows=[later_row]), clients=clients[11:]
            ),
            metadata=A,
        )
        await wait_finished(s.bulk, later.name, A, timeout=60)
        first = await s.bulk.ListBulkJobs(bpb.ListBulkJobsRequest(page_size=1), metadata=A)
        assert [j.name for j in first.bulk_jobs] == [later.name]
        older = await s.bulk.ListBulkJobs(
            bpb.ListBulkJobsRequest(page_size=1, page_token=first.next_page_token), metadata=A
        )
        assert [(j.name, j.total, j.done, j.failures) for j in older.bulk_jobs] == [(job.name, 11, 9, 2)]
        assert older.bulk_jobs[0].template.description == "School portraits"
        assert older.next_page_token == ""
        assert list((await s.bulk.ListBulkJobs(bpb.ListBulkJobsRequest(), metadata=B)).bulk_jobs) == []


async def test_bad_input_names_the_row_and_the_field(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with bulk_slice(databases, nats_server.url, with_clients=False) as s:
        studio = await make_studio(s.scheduling)
        clients = await seed_known_clients(s.scheduling.database_url, COMPANY_A, 2)
        good = weekday_rows(day(2030, 3, 4), day(2030, 3, 8))[0]
        end_before_start = bpb.TimeSlotRow()
        end_before_start.CopyFrom(good)
        end_before_start.end_date.CopyFrom(day(2030, 3, 1))
        times_reversed = bpb.TimeSlotRow()
        times_reversed.CopyFrom(good)
        times_reversed.end_time.CopyFrom(clock(7))
        no_duration = bpb.TimeSlotRow()
        no_duration.CopyFrom(good)
        no_duration.session_duration_minutes = 0
        break_outside = bpb.TimeSlotRow()
        break_outside.CopyFrom(good)
        break_outside.break_end.CopyFrom(clock(19))
        rows = [good, end_before_start, times_reversed, no_duration, break_outside]
        verify = s.bulk.VerifyBulkSchedule(
            bpb.VerifyBulkScheduleRequest(template=template(studio), time_slot_rows=rows), metadata=A
        )
        create = s.bulk.CreateBulkJob(
            bpb.CreateBulkJobRequest(
                bulk_job=bpb.BulkJob(template=template(studio), time_slot_rows=rows),
                clients=[clients[0], clients[1], clients[0], "people/1"],
            ),
            metadata=A,
        )
        for call, pending in (("verify", verify), ("create", create)):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await pending
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            found = set(rpc_violations(caught.value))
            assert {
                "time_slot_rows[1].end_date",
                "time_slot_rows[2].end_time",
                "time_slot_rows[3].session_duration_minutes",
                "time_slot_rows[4].break_end",
            } <= found, found
            assert not any(f.startswith("time_slot_rows[0]") for f in found)
            if call == "create":
                assert {"clients[2]", "clients[3]"} <= found

        bad_templates = {
            "template.session_type": template(studio, session_type="sessionTypes/00000000-0000-4000-8000-000000000000"),
            "template.camera_room": template(studio, camera_room=studio.photographer.name),
            "template.status": template(studio, status="statuses/1"),
        }
        for field, bad in bad_templates.items():
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await s.bulk.VerifyBulkSchedule(
                    bpb.VerifyBulkScheduleRequest(template=bad, time_slot_rows=[good]), metadata=A
                )
            assert set(rpc_violations(caught.value)) == {field}
        # another company cannot use company A's location
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await s.bulk.VerifyBulkSchedule(
                bpb.VerifyBulkScheduleRequest(template=template(studio), time_slot_rows=[good]), metadata=B
            )
        assert "template.location" in rpc_violations(caught.value)


async def test_verify_counts_a_row_across_a_dst_change(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with bulk_slice(databases, nats_server.url, with_clients=False) as s:
        studio = await make_studio(s.scheduling)  # New York: spring forward Sun 9 March 2031 02:00
        row = bpb.TimeSlotRow(
            start_date=day(2031, 3, 8),
            end_date=day(2031, 3, 10),
            start_time=clock(1),
            end_time=clock(4),
            session_duration_minutes=30,
        )
        verified = await s.bulk.VerifyBulkSchedule(
            bpb.VerifyBulkScheduleRequest(template=template(studio), time_slot_rows=[row]), metadata=A
        )
        # 6 a day; on the 9th 01:30 (ends 02:00), 02:00 and 02:30 do not exist -> 6 + 3 + 6
        assert (verified.slot_count, verified.skipped_nonexistent_slots) == (15, 3)
