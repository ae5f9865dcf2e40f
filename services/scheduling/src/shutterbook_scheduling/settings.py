"""The scheduling service's own settings (beyond the kit's ServiceSettings), read once at start
(`SchedulingSettings.from_env()` in `main.serve`) and passed down: holds to the online booking
use cases, intervals and leases to the workers. The README's configuration table lists every
variable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from shutterbook_kit.settings import env, env_float, env_int

DEFAULT_HOLD_MINUTES = 10.0
DEFAULT_MAX_HOLDS = 3


def _hold_minutes(raw: str) -> float:
    """A positive number of minutes, at most a day; anything else is the default."""
    try:
        minutes = float(raw)
    except ValueError:
        return DEFAULT_HOLD_MINUTES
    return minutes if 0 < minutes <= 24 * 60 else DEFAULT_HOLD_MINUTES


def _max_holds(raw: str) -> int:
    """A whole number from 1 to 1000; anything else is the default."""
    try:
        limit = int(raw)
    except ValueError:
        return DEFAULT_MAX_HOLDS
    return limit if 1 <= limit <= 1000 else DEFAULT_MAX_HOLDS


@dataclass(frozen=True)
class HoldSettings:
    """How long an online hold lasts and how many live holds one client may have."""

    minutes: float = DEFAULT_HOLD_MINUTES
    max_per_client: int = DEFAULT_MAX_HOLDS

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class WorkerTiming:
    """A periodic worker's round interval and the lease it takes on what it works on."""

    interval_seconds: float
    lease_seconds: float


@dataclass(frozen=True)
class OpenSlotAnswerSettings:
    """Scheduling's read model of ListOpenSlots answers (`application.open_slot_answers`): how
    long an answer is kept at most (0: none is, every call computes) and how many, and how many
    bytes of them, one process keeps."""

    ttl_seconds: float = 5.0
    max_entries: int = 2_000
    max_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class SchedulingSettings:
    """Holds, the timing of the reminder, bulk job, standing pattern and picture day close
    workers, and the open-slot answers kept (README, "Configuration")."""

    holds: HoldSettings = field(default_factory=HoldSettings)
    reminder_interval_seconds: float = 5.0
    bulk_lease_seconds: float = 30.0
    patterns: WorkerTiming = field(default_factory=lambda: WorkerTiming(300.0, 60.0))
    picture_day_close: WorkerTiming = field(default_factory=lambda: WorkerTiming(30.0, 120.0))
    open_slots: OpenSlotAnswerSettings = field(default_factory=OpenSlotAnswerSettings)
    # how long the online booking paths keep a location, schedule or type read (0: none is
    # kept; `application.reference_cache`): the bound on staleness when an event is missed
    reference_ttl_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> SchedulingSettings:
        return cls(
            holds=HoldSettings(
                minutes=_hold_minutes(env("SCHEDULING_HOLD_MINUTES", str(DEFAULT_HOLD_MINUTES))),
                max_per_client=_max_holds(env("SCHEDULING_MAX_HOLDS_PER_CLIENT", str(DEFAULT_MAX_HOLDS))),
            ),
            reminder_interval_seconds=env_float("SCHEDULING_REMINDER_INTERVAL_SECONDS", 5.0),
            bulk_lease_seconds=env_float("SCHEDULING_BULK_LEASE_SECONDS", 30.0),
            patterns=WorkerTiming(
                interval_seconds=env_float("SCHEDULING_PATTERN_INTERVAL_SECONDS", 300.0),
                lease_seconds=env_float("SCHEDULING_PATTERN_LEASE_SECONDS", 60.0),
            ),
            picture_day_close=WorkerTiming(
                interval_seconds=env_float("SCHEDULING_PICTURE_DAY_CLOSE_INTERVAL_SECONDS", 30.0),
                lease_seconds=env_float("SCHEDULING_PICTURE_DAY_LEASE_SECONDS", 120.0),
            ),
            open_slots=OpenSlotAnswerSettings(
                ttl_seconds=max(env_float("SCHEDULING_OPEN_SLOTS_TTL_SECONDS", 5.0), 0.0),
                max_entries=max(env_int("SCHEDULING_OPEN_SLOTS_MAX_ENTRIES", 2_000), 1),
                max_bytes=max(env_int("SCHEDULING_OPEN_SLOTS_MAX_MEGABYTES", 64), 1) * 1024 * 1024,
            ),
            reference_ttl_seconds=max(env_float("SCHEDULING_REFERENCE_TTL_SECONDS", 30.0), 0.0),
        )


def service_address() -> str:
    """Where the scheduling service answers, for its command-line tools (`bulk_cli`):
    SHUTTERBOOK_SCHEDULING_ADDR, default 127.0.0.1:50052."""
    return env("SCHEDULING_ADDR", "127.0.0.1:50052")
