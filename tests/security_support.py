"""The three gRPC services in this process, and generic calls to any method by its descriptor:
what the caller-token and permission tests need to go over every method of every service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pool import Default as default_pool
from google.protobuf.message import Message

from shutterbook_billing import main as billing_main
from shutterbook_billing.api.permissions import PERMISSIONS as BILLING_PERMISSIONS
from shutterbook_clients import main as clients_main
from shutterbook_clients.api.permissions import PERMISSIONS as CLIENTS_PERMISSIONS
from shutterbook_devstack.testing import DatabaseFactory, running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.identity import Caller, CallerKind, Role
from shutterbook_kit.permissions import Permission, grants
from shutterbook_kit.settings import ServiceSettings
from shutterbook_notifications import main as notifications_main
from shutterbook_notifications.api.permissions import PERMISSIONS as NOTIFICATIONS_PERMISSIONS
from shutterbook_notifications.settings import NotificationSettings
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api.permissions import PERMISSIONS as SCHEDULING_PERMISSIONS

# What a method does, by its name: these only read (everything else may change state).
READ_ONLY_PREFIXES = ("Get", "List", "Search", "Query", "Export", "Render")

PERMISSION_TABLES: Mapping[str, Mapping[str, Permission]] = {
    "clients": CLIENTS_PERMISSIONS,
    "scheduling": SCHEDULING_PERMISSIONS,
    "billing": BILLING_PERMISSIONS,
    "notifications": NOTIFICATIONS_PERMISSIONS,
}


@dataclass
class Running:
    hosts: dict[str, ServiceHost]
    databases: dict[str, str]
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    def services(self) -> Iterator[tuple[str, ServiceDescriptor]]:
        """(service, descriptor) of every gRPC service each host serves, from the descriptors."""
        for name, host in self.hosts.items():
            for full_name in host.parts.service_names:
                yield name, default_pool().FindServiceByName(full_name)

    def methods(self) -> Iterator[tuple[str, MethodDescriptor]]:
        for name, service in self.services():
            for method in service.methods:
                yield name, method

    async def call(
        self, service: str, method: MethodDescriptor, metadata: Any, request: Message | None = None
    ) -> grpc.StatusCode:
        """Call `method` (with an empty request unless given); the status code it ends with."""
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        stub: grpc.aio.UnaryUnaryMultiCallable[Any, Any] = self.channels[service].unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        try:
            await stub(request if request is not None else request_class(), metadata=metadata, timeout=20)
        except grpc.aio.AioRpcError as err:
            return err.code()
        return grpc.StatusCode.OK

    async def row_counts(self) -> dict[str, int]:
        """Rows per table of every service's database (`service.table`)."""
        counts: dict[str, int] = {}
        for name, url in self.databases.items():
            db = Database(url)
            try:
                async with db.engine.connect() as conn:
                    tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
                    for table in tables:
                        total = await conn.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))
                        counts[f"{name}.{table}"] = int(total or 0)
            finally:
                await db.dispose()
        return counts


@asynccontextmanager
async def three_services(databases: DatabaseFactory, nats_url: str, **overrides: Any) -> AsyncIterator[Running]:
    """clients, scheduling, billing and notifications in this process on fresh databases."""

    def notifications(settings: ServiceSettings) -> ServiceHost:
        return notifications_main.build(replace(NotificationSettings.from_env(), service=settings))

    builders: dict[str, tuple[Callable[[ServiceSettings], ServiceHost], Path]] = {
        "clients": (clients_main.build, clients_main.MIGRATIONS),
        "scheduling": (scheduling_main.build, scheduling_main.MIGRATIONS),
        "billing": (billing_main.build, billing_main.MIGRATIONS),
        "notifications": (notifications, notifications_main.MIGRATIONS),
    }
    urls = {name: await databases.new(name, migrate_with=migrations) for name, (_, migrations) in builders.items()}
    hosts = {
        name: build(service_settings(name, urls[name], nats_url, **overrides)) for name, (build, _) in builders.items()
    }
    async with AsyncExitStack() as stack:
        found = Running(hosts, urls)
        for name, host in hosts.items():
            await stack.enter_async_context(running(host))
            found.channels[name] = await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{host.port}"))
        yield found


# --- the permission table, as the README shows it --------------------------------------------

PLACEHOLDER_COMPANY = "00000000-0000-4000-8000-000000000000"
CALLERS: dict[str, Caller] = {
    **{
        role.value.replace("_", " "): Caller(
            PLACEHOLDER_COMPANY, CallerKind.STAFF, f"staff-{role.value}", roles=frozenset({role})
        )
        for role in Role
    },
    "partner key": Caller(PLACEHOLDER_COMPANY, CallerKind.PARTNER, "partner-key"),
    "publishable key": Caller(PLACEHOLDER_COMPANY, CallerKind.PUBLISHABLE, "publishable-key"),
    "service": Caller(PLACEHOLDER_COMPANY, CallerKind.SERVICE, "service"),
    "job": Caller(PLACEHOLDER_COMPANY, CallerKind.JOB, "job"),
}


def as_company(caller: Caller, company_id: str) -> Caller:
    return Caller(company_id, caller.kind, caller.caller_id, caller.display_name, caller.roles, caller.location_ids)


# permissions no RPC needs as a whole: checked where the record or the amount is known
NO_RPC_NOTES = {
    Permission.BILLING_REFUND_ANY: "(RefundPayment, RefundDeposit above the staff refund limit)",
    Permission.COMPANY_ADMIN: "",
}


def permission_table_markdown() -> str:
    """The README's permission table, generated from the code: one row per permission, the
    RPCs that need it, and which callers hold it."""
    methods: dict[Permission, list[str]] = {p: [] for p in Permission}
    for table in PERMISSION_TABLES.values():
        for full_name, permission in table.items():
            methods[permission].append(full_name.rsplit(".", 1)[1])
    head = ["permission", "RPCs", *CALLERS]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for permission, names in methods.items():
        held = ["yes" if permission in grants(caller) else "" for caller in CALLERS.values()]
        rpcs = ", ".join(sorted(set(names))) or NO_RPC_NOTES[permission]
        lines.append("| " + " | ".join([f"`{permission.value}`", rpcs, *held]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m tests.security_support: print the README's table
    print(permission_table_markdown(), end="")
