"""What `make run` starts: one `ServiceSpec` per process, in one table.

A new process joins `make run` with one entry in `SERVICES`: how to start it, the port it
listens on (and the setting that moves it), how to tell it is up, any environment of its
own, and its lines in the banner. The supervisor (`run.py`) starts every entry at once,
waits until each answers its health check, restarts one that dies, and stops them all
(then NATS) on Ctrl-C.

Only the standard library and the kit's settings module (itself stdlib-only) are imported,
so scripts and tests can read the table before anything is installed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from shutterbook_kit.demo import DEMO_PUBLISHABLE_KEY, DEMO_STAFF, DEMO_STAFF_PASSWORD
from shutterbook_kit.settings import DEFAULT_PORTS, PREFIX


@dataclass(frozen=True)
class Health:
    """How the supervisor knows a process is up.

    `grpc`: grpc.health.v1 `Check` of the overall entry ("") answers SERVING; `http`: a GET of
    `path` answers 200; `tcp`: the port accepts a connection."""

    kind: Literal["grpc", "http", "tcp"]
    path: str = ""


GRPC_HEALTH = Health("grpc")
TCP_HEALTH = Health("tcp")


def http_health(path: str) -> Health:
    return Health("http", path)


@dataclass(frozen=True)
class ServiceSpec:
    """One process of `make run`.

    - `name`: how logs and messages call it; its output goes to `var/logs/<name>.log`.
    - `command`: its argv. A first element found beside the venv's Python (a console script
      such as `shutterbook-clients`, or `python`) is run from there. Each element is
      `str.format`ted like `env` (so `"{port}"` passes the port as an argument).
    - `port_setting` / `default_port`: it listens on `SHUTTERBOOK_<port_setting>` or else
      `default_port`. `make run` sets `SHUTTERBOOK_<port_setting>` of every entry in every
      process's environment, so each process finds the others' ports there.
    - `health`: how to tell it is up (see `Health`).
    - `env`: environment of its own, on top of the shared one. Values are `str.format`ted
      with `var` (the var directory), `port` (its own) and `ports` (every entry's port by
      name, and `nats`): `{"SHUTTERBOOK_X_SMTP_PORT": "{ports[smtp]}"}`, and `mailbox` (the
      SMTP sink's JSON listing, empty when `SHUTTERBOOK_SMTP_HOST` names a relay instead).
    - `banner`: its lines in the banner, formatted with `host`, `port`, `var`, `ports`,
      `demo_api_key`, `demo_publishable_key` and `demo_company`.
    - `stop_tier`: on Ctrl-C, the processes of the highest tier stop first, then the next:
      callers before what they call, so nothing drains against a service already gone.
    """

    name: str
    command: tuple[str, ...]
    port_setting: str
    default_port: int
    health: Health = GRPC_HEALTH
    env: Mapping[str, str] = field(default_factory=dict)
    banner: tuple[str, ...] = ()
    stop_tier: int = 0

    def port(self, environ: Mapping[str, str] = os.environ) -> int:
        raw = environ.get(PREFIX + self.port_setting, "")
        return int(raw) if raw else self.default_port


NATS_PORT_SETTING = "DEV_NATS_PORT"
NATS_DEFAULT_PORT = 4322

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="gateway",
        command=("shutterbook-booking-gateway", "serve", "--migrate", "--seed"),
        port_setting="GATEWAY_PORT",
        default_port=DEFAULT_PORTS["gateway"],
        health=http_health("/healthz"),
        env={"SHUTTERBOOK_GATEWAY_READY_FILE": "{var}/run/demo-seeded"},
        stop_tier=2,
        banner=(
            "booking page       http://{host}:{port}/book?key={demo_publishable_key}",
            "booking API        http://{host}:{port}/v1",
            "API docs           http://{host}:{port}/docs",
            "gateway health     http://{host}:{port}/healthz  http://{host}:{port}/readyz",
        ),
    ),
    ServiceSpec(
        name="console",
        command=("shutterbook-console", "serve", "--migrate"),
        port_setting="CONSOLE_PORT",
        default_port=DEFAULT_PORTS["console"],
        health=http_health("/healthz"),
        stop_tier=2,
        env={
            "SHUTTERBOOK_CONSOLE_DEV_MAILBOX_URL": "{mailbox}",
            "SHUTTERBOOK_CONSOLE_BOOKING_PAGE_URL": "http://127.0.0.1:{ports[gateway]}",
            "SHUTTERBOOK_CONSOLE_BOOKING_PAGE_KEY": DEMO_PUBLISHABLE_KEY,
            "SHUTTERBOOK_CONSOLE_GATEWAY_ADMIN_URL": "http://127.0.0.1:{ports[gateway]}",
        },
        banner=(
            "staff console      http://{host}:{port}/",
            *(f"demo login         {email}  ({role.replace('_', ' ')})" for email, _, role in DEMO_STAFF),
            f"demo password      {DEMO_STAFF_PASSWORD}  (every demo login; development only)",
        ),
    ),
    ServiceSpec(
        name="clients",
        command=("shutterbook-clients", "serve", "--migrate"),
        port_setting="CLIENTS_PORT",
        default_port=DEFAULT_PORTS["clients"],
        banner=("clients gRPC       {host}:{port}",),
    ),
    ServiceSpec(
        name="scheduling",
        command=("shutterbook-scheduling", "serve", "--migrate"),
        port_setting="SCHEDULING_PORT",
        default_port=DEFAULT_PORTS["scheduling"],
        banner=("scheduling gRPC    {host}:{port}",),
    ),
    ServiceSpec(
        name="billing",
        command=("shutterbook-billing", "serve", "--migrate"),
        port_setting="BILLING_PORT",
        default_port=DEFAULT_PORTS["billing"],
        banner=("billing gRPC       {host}:{port}",),
    ),
    ServiceSpec(
        name="notifications",
        command=("shutterbook-notifications", "serve", "--migrate"),
        port_setting="NOTIFICATIONS_PORT",
        default_port=DEFAULT_PORTS["notifications"],
        banner=("notifications gRPC {host}:{port}",),
        stop_tier=1,
    ),
)


def port_settings() -> list[str]:
    """Every setting that moves a port `make run` listens on (each process's, then NATS's)."""
    return [spec.port_setting for spec in SERVICES] + [NATS_PORT_SETTING]
