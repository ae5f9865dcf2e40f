"""Demo data for `make run`, created through the services' own gRPC APIs once they are up,
so the events flow as they would for real data (clients -> scheduling's directory, booked
sessions -> auto-created invoices). Each service's `demo.seed_demo` is idempotent, so a
second `make run` creates nothing new."""

from __future__ import annotations

import importlib
from types import ModuleType

import grpc

from shutterbook_kit.demo import DEMO_COMPANY_ID


def _demo_module(package: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{package}.demo")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.demo":
            raise
        return None


async def seed_demo(ports: dict[str, int], *, host: str = "127.0.0.1") -> list[str]:
    """Seed every service that has demo data; returns what was seeded, for the banner."""
    done: list[str] = []
    channels = {name: grpc.aio.insecure_channel(f"{host}:{port}") for name, port in ports.items()}
    try:
        clients: list[str] = []
        if (module := _demo_module("shutterbook_clients")) is not None:
            clients = await module.seed_demo(channels["clients"], DEMO_COMPANY_ID)
            done.append(f"{len(clients)} clients")
        items: dict[str, str] = {}
        if (module := _demo_module("shutterbook_billing")) is not None:
            items = await module.seed_demo(channels["billing"], DEMO_COMPANY_ID, clients)
            done.append(f"{len(items)} price list items, invoices, payments, a deposit")
        if (module := _demo_module("shutterbook_scheduling")) is not None:
            await module.seed_demo(channels["scheduling"], DEMO_COMPANY_ID, clients, items)
            done.append("locations, staff, rooms, types, sessions, appointments")
        online = importlib.import_module("shutterbook_scheduling.online_demo")
        slots = await online.seed_demo_slots(channels["scheduling"], DEMO_COMPANY_ID)
        done.append(f"{slots} online time slots")
    finally:
        for channel in channels.values():
            await channel.close()
    return done
