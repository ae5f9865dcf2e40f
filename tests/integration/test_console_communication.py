"""The Communication tab's data in the console: a client's messages, read from a real
notifications service (after a real online booking sent its confirmation through a real SMTP
server), with the call signed for the logged-in staff member and scoped to their company and
their locations (a desk at another of the company's studios does not see the session's mail)."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest

from shutterbook.notifications.v1 import notifications_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, caller_metadata, eventually
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.console_support import console, log_in
from tests.helpers import COMPANY_A, COMPANY_B
from tests.notifications_support import notifications_service
from tests.stack_support import booking_body, booking_stack, offer_online


async def test_a_clients_messages_for_staff_of_the_company(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, stack.services.scheduling_port) as n,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as gateway,
    ):
        offer = await offer_online(stack, time_zone="America/Chicago")
        created = await gateway.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0), email="ada@example.com"), headers=stack.headers()
        )
        assert created.status_code == 201, created.text
        booking = created.json()
        client_id = booking["client_id"]

        console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
        async with console(console_db, notifications_addr=f"127.0.0.1:{n.port}") as c:
            at_the_studio = [offer.studio.location.name.split("/", 1)[1]]
            await c.staff("desk@a.example", ["front_desk"], company=COMPANY_A, locations=at_the_studio)
            await c.staff("other-studio@a.example", ["front_desk"], company=COMPANY_A)  # another location
            await c.staff("desk@b.example", ["front_desk"], company=COMPANY_B)
            async with c.client() as anonymous:
                refused = await anonymous.get(f"/api/v1/clients/{client_id}/messages")
                assert refused.status_code == 401

            async with c.client() as desk:
                assert (await log_in(desk, "desk@a.example")).status_code == 200

                async def sent() -> list[dict[str, object]] | None:
                    reply = await desk.get(f"/api/v1/clients/{client_id}/messages")
                    assert reply.status_code == 200, reply.text
                    found: list[dict[str, object]] = reply.json()["messages"]
                    return found if found and found[0]["state"] == "sent" else None

                [message] = await eventually(sent, what="the confirmation, sent, in the client's log")
                assert message["purpose"] == "online_booking_confirmation"
                assert message["channel"] == "email"
                assert message["recipient"] == "ada@example.com"
                assert message["session"] == f"sessions/{booking['id']}"
                assert message["attachments"] == ["booking.ics"]
                assert message["sent_at"]
                assert message["failure_reason"] == ""
                other = await desk.get(f"/api/v1/clients/{uuid.uuid4()}/messages")
                assert other.json()["messages"] == []
                bad = await desk.get(f"/api/v1/clients/{client_id}/messages", params={"page_token": "garbage"})
                assert bad.status_code == 422
                assert bad.headers["content-type"].startswith("application/problem+json")

            # nor by its name, for a caller kept to another location (the studio's own desk reads it)
            def desk_at(*locations: str) -> tuple[tuple[str, str], ...]:
                caller = Caller(
                    COMPANY_A,
                    CallerKind.STAFF,
                    "desk",
                    roles=frozenset({Role.FRONT_DESK}),
                    location_ids=frozenset(locations),
                )
                return caller_metadata(caller)

            name = pb.GetMessageRequest(name=f"messages/{message['id']}")
            assert (await n.stub.GetMessage(name, metadata=desk_at(*at_the_studio))).name == name.name
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await n.stub.GetMessage(name, metadata=desk_at(str(uuid.uuid4())))
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

            async with c.client() as other_studio:  # the company's, at another location: not its mail
                assert (await log_in(other_studio, "other-studio@a.example")).status_code == 200
                reply = await other_studio.get(f"/api/v1/clients/{client_id}/messages")
                assert reply.status_code == 200
                assert reply.json()["messages"] == []

            async with c.client() as elsewhere:  # another company's staff: not their client
                assert (await log_in(elsewhere, "desk@b.example")).status_code == 200
                reply = await elsewhere.get(f"/api/v1/clients/{client_id}/messages")
                assert reply.status_code == 200
                assert reply.json()["messages"] == []

        async with console(console_db, notifications_addr="127.0.0.1:1") as c, c.client() as desk:
            assert (await log_in(desk, "desk@a.example")).status_code == 200
            down = await desk.get(f"/api/v1/clients/{client_id}/messages")
            assert down.status_code == 503
            assert down.json()["code"] == "UNAVAILABLE"


pytestmark = pytest.mark.asyncio
