"""Public API: clients a partner registers for booking."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from shutterbook.clients.v1 import clients_pb2
from shutterbook_gateway.api.deps import (
    API_KEY_SECURITY,
    IdempotencyKey,
    provide_partner,
    provide_upstreams,
    request_id_for,
)
from shutterbook_gateway.api.problems import WRITE_PROBLEMS
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.resource_names import resource_id

UPSTREAM_TIMEOUT = 5.0


class ClientCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A client to register. Unknown fields are refused, never applied."""

    given_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    family_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    household_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    emails: Annotated[list[Annotated[str, msgspec.Meta(max_length=254)]], msgspec.Meta(max_length=10)] = []
    phones: Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(max_length=10)] = []


class Client(msgspec.Struct):
    id: str
    given_name: str
    family_name: str
    household_name: str
    emails: list[str]
    phones: list[str]
    created_at: str


def client_from_proto(msg: clients_pb2.Client) -> Client:
    return Client(
        id=resource_id(msg.name, "clients"),
        given_name=msg.given_name,
        family_name=msg.family_name,
        household_name=msg.household_name,
        emails=list(msg.emails),
        phones=list(msg.phones),
        created_at=msg.create_time.ToJsonString(),
    )


class ClientsController(Controller):
    security = API_KEY_SECURITY
    path = "/v1/clients"
    tags = ["clients"]
    dependencies = {
        "partner": Provide(provide_partner),
        "upstreams": Provide(provide_upstreams, sync_to_thread=False),
    }

    @post(
        "/", operation_id="createClient", responses=WRITE_PROBLEMS, summary="Register a client of the partner's studio"
    )
    async def create_client(
        self,
        data: JSONBody[ClientCreate],
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        idempotency_key: IdempotencyKey = None,
    ) -> Client:
        request = clients_pb2.CreateClientRequest(
            client=clients_pb2.Client(
                given_name=data.given_name,
                family_name=data.family_name,
                household_name=data.household_name,
                emails=data.emails,
                phones=data.phones,
            ),
            request_id=request_id_for(partner, idempotency_key),
        )
        created = await upstreams.clients.CreateClient(request, metadata=partner.metadata(), timeout=UPSTREAM_TIMEOUT)
        return client_from_proto(created)
