"""The staff CLI end to end against the real clients and scheduling services: select a group,
unselect one client, verify, create the job and follow it to the end; bad rows and a row
that does not hold everyone are refused with the field named."""

from __future__ import annotations

import asyncio
import io
from functools import partial

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_scheduling import bulk_cli
from tests.bulk_support import bulk_slice, session_numbers
from tests.helpers import create_client, known_client
from tests.scheduling_support import COMPANY_A, A, make_studio


async def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await asyncio.to_thread(bulk_cli.main, list(argv), out)
    return code, out.getvalue()


async def test_cli_runs_the_wizard_end_to_end(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with bulk_slice(databases, nats_server.url) as s:
        people = [await create_client(s.clients, COMPANY_A, f"Player{i}") for i in range(4)]
        for person in people:
            await eventually(partial(known_client, s.scheduling.stub, COMPANY_A, person), what="client known")
        team = await s.clients.CreateClientGroup(
            clients_pb2.CreateClientGroupRequest(client_group=clients_pb2.ClientGroup(display_name="Tigers U12")),
            metadata=A,
        )
        await s.clients.AddClientGroupMembers(
            clients_pb2.AddClientGroupMembersRequest(client_group=team.name, clients=[p.name for p in people]),
            metadata=A,
        )
        studio = await make_studio(s.scheduling)
        base = ["--target", f"127.0.0.1:{s.scheduling.host.port}", "--company", COMPANY_A]
        code, text = await cli(*base, "select", "--group", team.name)
        assert code == 0
        assert text.count("selected\t") == 4

        template = [
            "--location",
            studio.location.name,
            "--session-type",
            studio.session_type.name,
            "--photographer",
            studio.photographer.name,
            "--description",
            "Team photos",
        ]
        # 09:00-10:00 by 20 minutes -> 3 slots for 4 clients: not enough, nothing written
        short = "start=2030-06-03,end=2030-06-03,from=09:00,to=10:00,duration=20"
        code, text = await cli(*base, "run", "--group", team.name, *template, "--row", short)
        assert code == 2
        assert "3 sessions in the rows [3] for 4 clients" in text
        assert await session_numbers(s.scheduling.database_url, COMPANY_A) == []

        code, text = await cli(
            *base,
            "run",
            "--group",
            team.name,
            *template,
            "--row",
            "start=2030-06-03,end=2030-06-01,from=09:00,to=10:00,duration=0",
        )
        assert code == 1
        assert "time_slot_rows[0].end_date" in text
        assert "time_slot_rows[0].session_duration_minutes" in text

        # unselect one: 3 clients fit
        code, text = await cli(
            *base,
            "run",
            "--group",
            team.name,
            "--unselect",
            people[1].name,
            "--unselect",
            "clients/not-in-the-group",
            *template,
            "--row",
            short + ",skip=sat+sun",
        )
        assert code == 0, text
        # the unselected client is listed as such, never among the selected ones
        selected = [line.split("\t")[1] for line in text.splitlines() if line.startswith("selected\t")]
        assert selected == [people[0].name, people[2].name, people[3].name]
        assert f"unselected\t{people[1].name}\t" in text
        assert "not in the selection (--unselect ignored)\tclients/not-in-the-group" in text
        assert "job bulkJobs/" in text
        assert "succeeded: done 3, failures 0, total 3" in text
        assert sorted(await session_numbers(s.scheduling.database_url, COMPANY_A)) == ["1000", "1001", "1002"]
        job_name = text.split("job ", 1)[1].split()[0]
        code, text = await cli(*base, "status", job_name)
        assert (code, text.strip()) == (0, f"{job_name} succeeded: done 3, failures 0, total 3")
        items = await s.bulk.ListBulkJobItems(bpb.ListBulkJobItemsRequest(parent=job_name), metadata=A)
        assert [i.client for i in items.items] == [people[0].name, people[2].name, people[3].name]

        code, text = await cli(*base, "run", "--group", team.name, *template, "--row", "start=someday")
        assert code == bulk_cli.USAGE_ERROR
