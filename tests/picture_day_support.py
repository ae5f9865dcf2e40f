"""Helpers of the picture day tests (issue 21): the clients and scheduling services of
`bulk_support`, families with member children made through the real clients service (and
known to scheduling by its events), and a picture day over them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import httpx

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import picture_day_pb2_grpc
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from tests.bulk_support import BulkSlice, clock, day, template
from tests.helpers import gateway
from tests.scheduling_support import COMPANY_A, A, Studio

FAR_DAY = day(2030, 5, 6)


def picture_day_stub(s: BulkSlice) -> picture_day_pb2_grpc.PictureDayServiceAsyncStub:
    assert s.picture_days is not None
    return s.picture_days


async def organization(s: BulkSlice, name: str, meta: tuple[tuple[str, str], ...] = A) -> clients_pb2.Organization:
    return await s.clients.CreateOrganization(
        clients_pb2.CreateOrganizationRequest(
            organization=clients_pb2.Organization(display_name=name, kind=clients_pb2.ORGANIZATION_KIND_SCHOOL)
        ),
        metadata=meta,
    )


async def family(
    s: BulkSlice,
    org: clients_pb2.Organization,
    family_name: str,
    children: list[str],
    *,
    year: int = 2026,
    email: str = "",
    meta: tuple[tuple[str, str], ...] = A,
) -> clients_pb2.Client:
    """A household with a parent, `children` (relationship child) and a membership of `org`."""
    members = [clients_pb2.FamilyMember(given_name="Pat", relationship=clients_pb2.FAMILY_RELATIONSHIP_SPOUSE)]
    members += [
        clients_pb2.FamilyMember(given_name=c, relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD) for c in children
    ]
    client = await s.clients.CreateClient(
        clients_pb2.CreateClientRequest(
            client=clients_pb2.Client(
                given_name="Alex",
                family_name=family_name,
                emails=[email] if email else [],
                family_members=members if children else [],
            )
        ),
        metadata=meta,
    )
    await s.clients.CreateMembership(
        clients_pb2.CreateMembershipRequest(
            membership=clients_pb2.Membership(client=client.name, organization=org.name, year=year)
        ),
        metadata=meta,
    )
    return client


async def wait_known(s: BulkSlice, clients: list[clients_pb2.Client], meta: tuple[tuple[str, str], ...] = A) -> None:
    """Until scheduling knows every client with its family members."""
    from shutterbook.scheduling.v1 import scheduling_pb2 as pb

    async def all_known() -> bool | None:
        for client in clients:
            try:
                found = await s.scheduling.stub.GetKnownClient(
                    pb.GetKnownClientRequest(name=client.name.replace("clients/", "knownClients/")), metadata=meta
                )
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
            if len(found.family_members) != len(client.family_members):
                return None
        return True

    await eventually(all_known, timeout=60, interval=0.2, what="families known to scheduling")


async def families(
    s: BulkSlice, org: clients_pb2.Organization, count: int, children: int, *, at_once: int = 12
) -> list[clients_pb2.Client]:
    """`count` families of `children` children each, made `at_once` at a time."""
    gate = asyncio.Semaphore(at_once)

    async def one(i: int) -> clients_pb2.Client:
        async with gate:
            return await family(s, org, f"Family{i:04d}", [f"Kid{i}-{k}" for k in range(children)])

    made = await asyncio.gather(*(one(i) for i in range(count)))
    await wait_known(s, list(made))
    return list(made)


def picture_day(
    studio: Studio,
    org: clients_pb2.Organization,
    *,
    slots_from: tuple[int, int] = (9, 0),
    slots_until: tuple[int, int] = (10, 0),
    minutes: int = 15,
    siblings: int = 2,
    opens: timedelta = timedelta(hours=-1),
    closes: timedelta = timedelta(days=1),
    close_action: pdpb.PictureDayCloseAction.ValueType = pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED,
) -> pdpb.PictureDay:
    now = datetime.now(UTC)
    out = pdpb.PictureDay(
        display_name="Lincoln Elementary 2026",
        families=bpb.BulkClientSelector(organization=org.name, year=2026),
        template=template(studio),
        time_slot_rows=[
            bpb.TimeSlotRow(
                start_date=FAR_DAY,
                end_date=FAR_DAY,
                start_time=clock(*slots_from),
                end_time=clock(*slots_until),
                session_duration_minutes=minutes,
            )
        ],
        siblings_per_slot=siblings,
        close_action=close_action,
    )
    out.open_time.FromDatetime(now + opens)
    out.close_time.FromDatetime(now + closes)
    return out


@dataclass
class Race:
    booked: int = 0
    refused: int = 0


@dataclass(frozen=True)
class Portal:
    base_url: str
    key: str  # the studio's publishable key (the portal page's `?key=`)

    def family(self, code: str) -> httpx.AsyncClient:
        """An HTTP client of the portal signed in as the family of the access `code`."""
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"X-Api-Key": self.key, "X-Access-Code": code}, timeout=30
        )


@asynccontextmanager
async def portal(databases: DatabaseFactory, s: BulkSlice, nats_url: str) -> AsyncIterator[Portal]:
    """The gateway in front of the slice's clients and scheduling, with a publishable key of
    company A (billing is not called by the portal: nothing listens at its address)."""
    gateway_db = await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
    db = Database(gateway_db)
    try:
        key = await issue_key(db, COMPANY_A, "picture day page", publishable=True)
    finally:
        await db.dispose()
    upstreams = {
        "clients": s.clients_target,
        "scheduling": f"127.0.0.1:{s.scheduling.host.port}",
        "billing": "127.0.0.1:1",
    }
    async with gateway(gateway_db, upstreams, nats_url) as base_url:
        yield Portal(base_url, key)


async def issue_codes(s: BulkSlice, day_name: str) -> dict[str, str]:
    """A fresh access code for each family of the day, by client name."""
    issued = await picture_day_stub(s).IssuePictureDayAccessCodes(
        pdpb.IssuePictureDayAccessCodesRequest(parent=day_name), metadata=A
    )
    return {c.client: c.access_code for c in issued.access_codes}
