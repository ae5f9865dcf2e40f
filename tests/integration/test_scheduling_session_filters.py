"""ListSessions as the console's Sessions hub asks it: filters on photographer, type, status,
flags, file number, due date and a staff member's locations, latest first, paged; bad filters
are INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import grpc
import pytest

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.clients_support import rpc_error, violations
from tests.helpers import COMPANY_A
from tests.scheduling_support import A, at, day, make_known_client, make_studio, scheduling_service, session_request


async def test_the_hub_filters_sort_and_page(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        elsewhere = await make_studio(svc, name="Bayside")
        client = await make_known_client(svc, COMPANY_A, "Ada")
        sessions = []
        for n in range(6):
            target = studio if n < 5 else elsewhere
            session = session_request(target, client, day(2031, 3, 3 + n), at(10), file_number=f"F-{n}")
            if n % 2:
                session.photographer = ""
            sessions.append(await s.CreateSession(pb.CreateSessionRequest(session=session), metadata=A))
        flagged = pb.UpdateSessionRequest(session=pb.Session(name=sessions[2].name, no_show=True, redo=True))
        flagged.update_mask.paths.extend(["no_show", "redo"])
        await s.UpdateSession(flagged, metadata=A)
        due = pb.UpdateSessionRequest(session=pb.Session(name=sessions[4].name, status_due_date=day(2032, 1, 1)))
        due.update_mask.paths.append("status_due_date")
        await s.UpdateSession(due, metadata=A)

        async def names(**filters: object) -> list[str]:
            reply = await s.ListSessions(pb.ListSessionsRequest(page_size=100, **filters), metadata=A)  # type: ignore[arg-type]
            return [x.name for x in reply.sessions]

        all_ = [x.name for x in sessions]
        assert await names(photographer=studio.photographer.name) == [all_[0], all_[2], all_[4]]
        assert await names(photographer=studio.photographer.name, no_show=True) == [all_[2]]
        assert await names(no_show=False, locations=[studio.location.name]) == [all_[0], all_[1], all_[3], all_[4]]
        assert await names(file_number="F-3") == [all_[3]]
        stored = (await s.ListSessions(pb.ListSessionsRequest(page_size=100), metadata=A)).sessions
        due_by = [
            x.name
            for x in stored
            if x.status_due_date.year
            and (x.status_due_date.year, x.status_due_date.month, x.status_due_date.day) <= (2031, 12, 31)
        ]
        assert all_[4] not in due_by
        assert due_by
        assert await names(status_due_before=day(2031, 12, 31)) == due_by
        assert await names(session_type=elsewhere.session_type.name) == [all_[5]]
        assert await names(locations=[elsewhere.location.name]) == [all_[5]]
        assert await names(status=sessions[0].status) == all_
        assert await names(order_by="start_time desc") == all_[::-1]

        # latest first, two a page: every session once, in order
        seen: list[str] = []
        token = ""
        while True:
            reply = await s.ListSessions(
                pb.ListSessionsRequest(page_size=2, page_token=token, order_by="start_time desc"), metadata=A
            )
            seen += [x.name for x in reply.sessions]
            token = reply.next_page_token
            if not token:
                break
        assert seen == all_[::-1]

        for bad, field in (
            ({"order_by": "price"}, "order_by"),
            ({"photographer": "staff/1"}, "photographer"),
            ({"locations": ["nowhere"]}, "locations[0]"),
            ({"status_due_before": day(2031, 2, 30)}, "status_due_before"),
        ):
            err = await rpc_error(s.ListSessions(pb.ListSessionsRequest(**bad), metadata=A))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in violations(err), (bad, violations(err))


pytestmark = pytest.mark.asyncio
