"""Demo data for `make run`, created through the service's own gRPC API, idempotently:
every create carries a deterministic request_id, so a second run creates nothing new.

The shared catalogue: a hundred and twenty clients (some with families), two schools ("Lincoln
High" and "Riverside Elementary") with 2025 and 2026 memberships, a group and a filter.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.common.v1 import date_pb2
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.tenancy import CallContext

CLIENT_COUNT = 120
BATCH = 20
GIVEN = ["Ada", "Ben", "Chloé", "Diego", "Emma", "Farid", "Grace", "Hiro", "Inés", "Jamal", "Kai", "Lena"]
FAMILY = ["Andersen", "Brooks", "Castillo", "Dubois", "Eriksson", "Fischer", "García", "Hughes", "Ito", "Jensen"]
SOURCES = ["Referral", "Google", "Instagram", "School", ""]
SCHOOLS = ["Lincoln High", "Riverside Elementary"]
T = TypeVar("T")


def demo_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shutterbook-demo:{kind}:{key}"))


def demo_client(i: int) -> clients_pb2.Client:
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
    client = clients_pb2.Client(
        given_name=given,
        family_name=family,
        emails=[f"{given.lower()}.{family.lower()}.{i}@example.com"],
        phones=[f"+1 212 555 {i:04d}"],
        referral_source=SOURCES[i % len(SOURCES)],
        tags=["student"] if i % 4 == 0 else (["vip"] if i % 15 == 1 else []),
        postal_address=clients_pb2.PostalAddress(
            address_lines=[f"{100 + i} Main Street"], locality="New York", administrative_area="NY", postal_code="10001"
        ),
    )
    if i % 3 == 0:
        client.household_name = f"The {family} Family"
        client.family_members.extend(
            [
                clients_pb2.FamilyMember(
                    given_name=GIVEN[(i + 5) % len(GIVEN)], relationship=clients_pb2.FAMILY_RELATIONSHIP_SPOUSE
                ),
                clients_pb2.FamilyMember(
                    given_name=GIVEN[(i + 7) % len(GIVEN)],
                    relationship=clients_pb2.FAMILY_RELATIONSHIP_CHILD,
                    birth_date=date_pb2.Date(year=2010 + i % 12, month=1 + i % 12, day=1 + i % 28),
                ),
            ]
        )
    return client


async def _batched(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    out: list[T] = []
    for start in range(0, len(calls), BATCH):
        out += await asyncio.gather(*(call() for call in calls[start : start + BATCH]))
    return out


async def seed_demo(channel: grpc.aio.Channel, company_id: str) -> list[str]:
    """Create the demo clients, schools, memberships, group and filter; returns the client names."""
    return [c.name for c in await seed_demo_clients(channel, company_id)]


async def seed_demo_clients(channel: grpc.aio.Channel, company_id: str) -> list[clients_pb2.Client]:
    """`seed_demo`, returning the clients themselves (for `EnsureKnownClient` elsewhere)."""
    stub: clients_pb2_grpc.ClientsServiceAsyncStub = clients_pb2_grpc.ClientsServiceStub(channel)
    meta = call_metadata(CallContext(company_id=company_id, caller="demo"))

    def create(i: int) -> Callable[[], Awaitable[clients_pb2.Client]]:
        request = clients_pb2.CreateClientRequest(client=demo_client(i), request_id=demo_id("client", str(i)))
        return lambda: stub.CreateClient(request, metadata=meta)

    clients = await _batched([create(i) for i in range(CLIENT_COUNT)])
    names = [c.name for c in clients]

    schools = []
    for school in SCHOOLS:
        schools.append(
            await stub.CreateOrganization(
                clients_pb2.CreateOrganizationRequest(
                    organization=clients_pb2.Organization(
                        display_name=school, kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
                    ),
                    request_id=demo_id("organization", school),
                ),
                metadata=meta,
            )
        )

    def enroll(i: int, org: clients_pb2.Organization, year: int) -> Callable[[], Awaitable[clients_pb2.Membership]]:
        request = clients_pb2.CreateMembershipRequest(
            membership=clients_pb2.Membership(
                client=names[i], organization=org.name, year=year, role=f"Grade {9 + i % 4}"
            ),
            request_id=demo_id("membership", f"{org.display_name}:{year}:{i}"),
        )
        return lambda: stub.CreateMembership(request, metadata=meta)

    # students (every 4th client) split between the schools; most were members in 2025 too
    enrollments = []
    for i in range(0, CLIENT_COUNT, 4):
        org = schools[(i // 4) % len(schools)]
        enrollments.append(enroll(i, org, 2026))
        if i % 3:
            enrollments.append(enroll(i, org, 2025))
    await _batched(enrollments)

    group = await stub.CreateClientGroup(
        clients_pb2.CreateClientGroupRequest(
            client_group=clients_pb2.ClientGroup(
                display_name="Holiday Mini Sessions", description="Past mini-session clients"
            ),
            request_id=demo_id("group", "holiday-minis"),
        ),
        metadata=meta,
    )
    await stub.AddClientGroupMembers(
        clients_pb2.AddClientGroupMembersRequest(
            client_group=group.name, clients=names[1::7], request_id=demo_id("group-members", "holiday-minis")
        ),
        metadata=meta,
    )
    await stub.CreateSavedFilter(
        clients_pb2.CreateSavedFilterRequest(
            saved_filter=clients_pb2.SavedFilter(
                display_name="Lincoln High 2026 students",
                criteria=clients_pb2.ClientCriteria(tags=["student"], organization=schools[0].name, year=2026),
            ),
            request_id=demo_id("saved-filter", "lincoln-2026"),
        ),
        metadata=meta,
    )
    return clients
