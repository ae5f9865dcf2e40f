"""Settings from environment variables, all prefixed `SHUTTERBOOK_`, read once at start.

Every variable is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from shutterbook_kit.caller_token import SIGNING_KEY_NAME, KeyRing

PREFIX = "SHUTTERBOOK_"

DEFAULT_PORTS = {
    "clients": 50051,
    "scheduling": 50052,
    "billing": 50053,
    "notifications": 50054,
    "gateway": 8000,
    "console": 8100,
}


def env(name: str, default: str) -> str:
    """Read `SHUTTERBOOK_<name>`, falling back to `default`."""
    return os.environ.get(PREFIX + name, default)


def _env_number(name: str, default: float, parse: type[int] | type[float], kind: str) -> float:
    raw = env(name, str(default))
    try:
        return parse(raw)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{name} must be {kind}, got {raw!r}") from exc


def env_int(name: str, default: int) -> int:
    return int(_env_number(name, default, int, "an integer"))


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def env_bool(name: str, default: bool) -> bool:
    raw = env(name, "true" if default else "false").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env(name, default).strip().lower()
    if raw not in choices:
        raise ValueError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def var_dir() -> Path:
    """Where the embedded default keeps its SQLite files and JetStream storage."""
    return Path(env("VAR_DIR", str(Path.cwd() / "var"))).resolve()


def default_caller_keys_dir() -> Path:
    """Where `make run` keeps its development caller-token keys."""
    return var_dir() / "caller-token"


def default_database_url(service: str) -> str:
    return f"sqlite+aiosqlite:///{var_dir() / f'{service}.db'}"


@dataclass(frozen=True)
class ServiceSettings:
    """What every service reads from its environment."""

    service: str
    database_url: str
    nats_url: str
    host: str
    port: int
    jetstream_replicas: int
    grpc_reflection: bool
    shutdown_grace_seconds: float
    shutdown_drain_seconds: float
    default_deadline_seconds: float
    log_level: str
    consumer_ack_wait_seconds: float = 30.0
    consumer_max_deliver: int = 8
    outbox_lease_seconds: float = 30.0
    outbox_linger_seconds: float = 0.02
    event_loop: str = "uvloop"
    upstreams: dict[str, str] = field(default_factory=dict)
    caller_token_signing_key_file: str = ""
    caller_token_verify_keys_dir: str = ""
    caller_token_ttl_seconds: float = 300.0

    def caller_keys(self) -> KeyRing:
        """The caller-token key ring these settings name (read from its files)."""
        return KeyRing.load(
            self.caller_token_signing_key_file,
            self.caller_token_verify_keys_dir,
            ttl_seconds=self.caller_token_ttl_seconds,
        )

    @classmethod
    def from_env(cls, service: str) -> ServiceSettings:
        upper = service.upper()
        return cls(
            service=service,
            database_url=env(f"{upper}_DATABASE_URL", default_database_url(service)),
            nats_url=env("NATS_URL", "nats://127.0.0.1:4222"),
            host=env(f"{upper}_HOST", "127.0.0.1"),
            port=env_int(f"{upper}_PORT", DEFAULT_PORTS[service]),
            jetstream_replicas=env_int("JETSTREAM_REPLICAS", 1),
            grpc_reflection=env_bool("GRPC_REFLECTION", True),
            shutdown_grace_seconds=env_float("SHUTDOWN_GRACE_SECONDS", 20.0),
            shutdown_drain_seconds=env_float("SHUTDOWN_DRAIN_SECONDS", 0.5),
            default_deadline_seconds=env_float("DEFAULT_DEADLINE_SECONDS", 30.0),
            log_level=env("LOG_LEVEL", "INFO"),
            consumer_ack_wait_seconds=env_float("CONSUMER_ACK_WAIT_SECONDS", 30.0),
            consumer_max_deliver=env_int("CONSUMER_MAX_DELIVER", 8),
            outbox_lease_seconds=env_float("OUTBOX_LEASE_SECONDS", 30.0),
            outbox_linger_seconds=env_float("OUTBOX_LINGER_SECONDS", 0.02),
            event_loop=env_choice("EVENT_LOOP", "uvloop", ("uvloop", "asyncio")),
            caller_token_signing_key_file=env(
                "CALLER_TOKEN_SIGNING_KEY_FILE", str(default_caller_keys_dir() / SIGNING_KEY_NAME)
            ),
            caller_token_verify_keys_dir=env("CALLER_TOKEN_VERIFY_KEYS_DIR", str(default_caller_keys_dir())),
            caller_token_ttl_seconds=env_float("CALLER_TOKEN_TTL_SECONDS", 300.0),
            upstreams={
                name: env(
                    f"{name.upper()}_ADDR",
                    f"127.0.0.1:{env_int(f'{name.upper()}_PORT', DEFAULT_PORTS[name])}",
                )
                for name in ("clients", "scheduling", "billing")
                if name != service
            },
        )
