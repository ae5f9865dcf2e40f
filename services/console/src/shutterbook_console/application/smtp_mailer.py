"""Password reset links by email over SMTP (aiosmtplib): a plain-text part and an HTML
alternative, rendered from `web/templates/email/` and naming the studio."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shutterbook_console.application.mailer import PasswordResetMail
from shutterbook_console.settings import SmtpSettings

log = logging.getLogger("shutterbook_console.mail")
TEMPLATES = Path(__file__).parent.parent / "web" / "templates" / "email"


class SmtpMailer:
    def __init__(self, settings: SmtpSettings, *, studio_name: str = "") -> None:
        self.settings = settings
        self.studio_name = studio_name
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def password_reset_message(self, mail: PasswordResetMail) -> EmailMessage:
        context = {"mail": mail, "studio": self.studio_name}
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = mail.to
        where = f"{self.studio_name} staff console" if self.studio_name else "Shutterbook staff console"
        msg["Subject"] = f"Reset your password for the {where}"
        msg["Date"] = formatdate(localtime=False)
        domain = self.settings.sender.rsplit("@", 1)[-1].rstrip(">") or "shutterbook.localhost"
        msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(self.templates.get_template("password_reset.txt").render(context))
        msg.add_alternative(self.templates.get_template("password_reset.html").render(context), subtype="html")
        return msg

    async def send_password_reset(self, mail: PasswordResetMail) -> None:
        """A relay that refuses or cannot be reached is logged, not raised: the page answers
        alike whether or not an account exists, so a failure must not show there either."""
        s = self.settings
        try:
            await aiosmtplib.send(
                self.password_reset_message(mail),
                hostname=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password or None,
                use_tls=s.tls == "tls",
                start_tls=s.tls == "starttls",
                timeout=s.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.error(
                "password reset email to %s not sent: %s", mail.to, type(exc).__name__, extra={"mail_to": mail.to}
            )
