"""Email over SMTP with aiosmtplib: a plain-text part, an optional HTML alternative, attachments."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from shutterbook_notifications.domain.delivery import DeliveryFailure, smtp_failure
from shutterbook_notifications.settings import SmtpSettings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, str]) -> Attachment:
        return cls(raw["filename"], raw["content_type"], base64.b64decode(raw["data"]))


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str  # stable across retries, so a receiver can tell a resend
    to: str
    subject: str
    body_text: str
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)


def build_message(sender: str, email: OutgoingEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].rstrip(">") or "shutterbook.localhost"
    msg["Message-ID"] = make_msgid(idstring=email.message_id, domain=domain)
    msg.set_content(email.body_text)
    if email.body_html:
        msg.add_alternative(email.body_html, subtype="html")
    for item in email.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename)
    return msg


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                build_message(s.sender, email),
                hostname=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password or None,
                use_tls=s.tls == "tls",
                start_tls=s.tls == "starttls",
                timeout=s.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:  # one recipient a message: its answer
            refused = exc.recipients[0]
            raise smtp_failure(refused.code, refused.message) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise smtp_failure(exc.code, exc.message) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailure(f"SMTP relay unreachable: {type(exc).__name__}", temporary=True) from exc
