"""The console's own settings (`SHUTTERBOOK_CONSOLE_*`), read once at start beside the kit's.

Every variable is in the README's configuration table.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from shutterbook_kit.settings import DEFAULT_PORTS, ServiceSettings, env, env_float, env_int

SERVICE = "console"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
TLS_MODES = ("none", "starttls", "tls")


@dataclass(frozen=True)
class SmtpSettings:
    """The relay the console mails password reset links through: the same `SHUTTERBOOK_SMTP_*`
    variables notifications reads. Unset `SHUTTERBOOK_SMTP_HOST`: the console logs the link instead."""

    host: str
    port: int = 25
    tls: str = "none"  # none | starttls | tls (implicit TLS, usually port 465)
    username: str = ""
    password: str = ""
    sender: str = "Shutterbook <no-reply@shutterbook.localhost>"
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = env("SMTP_HOST", "").strip()
        if not host:
            return None
        tls = env("SMTP_TLS", "none").strip().lower()
        if tls not in TLS_MODES:
            raise ValueError(f"SHUTTERBOOK_SMTP_TLS must be one of {', '.join(TLS_MODES)}, got {tls!r}")
        return cls(
            host=host,
            port=env_int("SMTP_PORT", 8025),
            tls=tls,
            username=env("SMTP_USERNAME", ""),
            password=env("SMTP_PASSWORD", ""),
            sender=env("SMTP_FROM", cls.sender),
            timeout_seconds=env_float("SMTP_TIMEOUT_SECONDS", 10.0),
        )


@dataclass(frozen=True)
class ConsoleSettings:
    """What the console reads from its environment, on top of every service's settings."""

    service: ServiceSettings
    public_url: str  # where staff reach the console; links in mails and OIDC redirects start here
    secret_key: str  # signs CSRF tokens; empty: a key generated once and kept in the console's database
    session_hours: int
    reset_minutes: int
    lock_after_failures: int
    lock_minutes: int
    forwarded_allow_ips: str  # proxies whose X-Forwarded-For is believed (uvicorn's list)
    studio_name: str = ""  # named in the console's emails
    smtp: SmtpSettings | None = None  # None: reset links go to the log
    dev_mailbox_url: str = ""  # development: the SMTP sink's JSON listing; set, the Mailbox page shows it
    notifications_addr: str = ""  # notifications' gRPC address (the communication log)
    booking_page_url: str = ""  # the gateway's public address: "Copy Online Booking URL" links there
    booking_page_key: str = ""  # the publishable key (pbk_) those links carry (public by design)
    # the gateway's address as the console reaches it, for key administration (the Keys screen,
    # and the company's own publishable key in booking links); empty: no Keys screen, and the
    # links carry booking_page_key
    gateway_admin_url: str = ""

    @classmethod
    def from_env(cls, service: ServiceSettings) -> ConsoleSettings:
        default_url = f"http://127.0.0.1:{service.port}"
        return cls(
            service=service,
            public_url=env("CONSOLE_PUBLIC_URL", default_url).rstrip("/"),
            secret_key=env("CONSOLE_SECRET_KEY", ""),
            session_hours=env_int("CONSOLE_SESSION_HOURS", 12),
            reset_minutes=env_int("CONSOLE_RESET_MINUTES", 30),
            lock_after_failures=env_int("CONSOLE_LOCK_AFTER_FAILURES", 5),
            lock_minutes=env_int("CONSOLE_LOCK_MINUTES", 15),
            forwarded_allow_ips=env("CONSOLE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            studio_name=env("CONSOLE_STUDIO_NAME", "").strip(),
            smtp=SmtpSettings.from_env(),
            dev_mailbox_url=env("CONSOLE_DEV_MAILBOX_URL", "").strip().rstrip("/"),
            notifications_addr=env(
                "NOTIFICATIONS_ADDR", f"127.0.0.1:{env_int('NOTIFICATIONS_PORT', DEFAULT_PORTS['notifications'])}"
            ),
            booking_page_url=env("CONSOLE_BOOKING_PAGE_URL", "").strip().rstrip("/"),
            booking_page_key=env("CONSOLE_BOOKING_PAGE_KEY", "").strip(),
            gateway_admin_url=env("CONSOLE_GATEWAY_ADMIN_URL", "").strip().rstrip("/"),
        )

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure everywhere except a plain-HTTP console on this machine."""
        parts = urlsplit(self.public_url)
        return not (parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS)

    @property
    def database_url(self) -> str:
        return self.service.database_url
