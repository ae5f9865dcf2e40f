"""Settings of the notifications service, read once at start (README: Configuration)."""

from __future__ import annotations

from dataclasses import dataclass

from shutterbook_kit.settings import ServiceSettings, env, env_float, env_int
from shutterbook_notifications.domain.delivery import RetryPolicy

TLS_MODES = ("none", "starttls", "tls")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    tls: str = "none"  # none | starttls | tls (implicit TLS, usually port 465)
    username: str = ""
    password: str = ""
    sender: str = "Shutterbook <no-reply@shutterbook.localhost>"
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> SmtpSettings:
        tls = env("SMTP_TLS", "none").strip().lower()
        if tls not in TLS_MODES:
            raise ValueError(f"SHUTTERBOOK_SMTP_TLS must be one of {', '.join(TLS_MODES)}, got {tls!r}")
        return cls(
            host=env("SMTP_HOST", "127.0.0.1"),
            port=env_int("SMTP_PORT", 8025),
            tls=tls,
            username=env("SMTP_USERNAME", ""),
            password=env("SMTP_PASSWORD", ""),
            sender=env("SMTP_FROM", cls.sender),
            timeout_seconds=env_float("SMTP_TIMEOUT_SECONDS", 10.0),
        )


@dataclass(frozen=True)
class NotificationSettings:
    service: ServiceSettings
    smtp: SmtpSettings
    retry: RetryPolicy
    send_interval_seconds: float = 1.0
    send_lease_seconds: float = 60.0
    company_name: str = ""

    @classmethod
    def from_env(cls) -> NotificationSettings:
        return cls(
            service=ServiceSettings.from_env("notifications"),
            smtp=SmtpSettings.from_env(),
            retry=RetryPolicy(
                max_attempts=env_int("NOTIFICATIONS_MAX_ATTEMPTS", 8),
                base_seconds=env_float("NOTIFICATIONS_RETRY_BASE_SECONDS", 30.0),
                max_seconds=env_float("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600.0),
            ),
            send_interval_seconds=env_float("NOTIFICATIONS_SEND_INTERVAL_SECONDS", 1.0),
            send_lease_seconds=env_float("NOTIFICATIONS_SEND_LEASE_SECONDS", 60.0),
            company_name=env("NOTIFICATIONS_COMPANY_NAME", ""),
        )
