"""How the console sends mail: over SMTP (`smtp_mailer.SmtpMailer`) when a relay is
configured, else the logging mailer here writes the message (with its link) to the log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("shutterbook_console.mail")


@dataclass(frozen=True)
class PasswordResetMail:
    to: str
    name: str
    link: str
    valid_minutes: int


class Mailer(Protocol):
    async def send_password_reset(self, mail: PasswordResetMail) -> None: ...


class LogMailer:
    """No SMTP relay configured: the reset link goes to the console's log."""

    async def send_password_reset(self, mail: PasswordResetMail) -> None:
        log.warning(
            "password reset link for %s (valid %d minutes): %s",
            mail.to,
            mail.valid_minutes,
            mail.link,
            extra={"mail_to": mail.to},
        )
