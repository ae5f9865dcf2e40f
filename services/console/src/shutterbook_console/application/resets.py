"""Password reset through a one-time link: a random token mailed, only its hash kept,
valid for `reset_minutes`, good once. Asking for a link answers the same whether or not
the email has an account; an account with 3 links still valid gets no more mail."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from shutterbook_console.application.mailer import Mailer, PasswordResetMail
from shutterbook_console.application.secrets import hash_password, new_token, token_hash
from shutterbook_console.domain.staff import check_password, email_key
from shutterbook_console.storage.models import PasswordResetRow
from shutterbook_console.storage.repository import ResetRepository, SessionRepository, StaffRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

RESET_PATH = "/reset-password"
MAX_OPEN_LINKS = 3  # per account: more requests while these are still valid send nothing (no mail flood)


class ResetLinkInvalid(FailedPrecondition):
    def __init__(self) -> None:
        super().__init__(
            "This reset link has expired or was already used. Ask for a new one.", reason="RESET_LINK_INVALID"
        )


async def request_reset(
    db: Database, mailer: Mailer, email: str, *, public_url: str, minutes: int, company_id: str | None = None
) -> None:
    """Mails a link to every active account with this email (one per company); silent otherwise."""
    key = email_key(email)
    if not key:
        return
    now = utcnow()
    mails: list[PasswordResetMail] = []
    async with UnitOfWork(db) as uow:
        for row in await StaffRepository(uow.session).by_email(key, company_id):
            if not row.active or await ResetRepository(uow.session).open_count(row.id, now) >= MAX_OPEN_LINKS:
                continue
            token = new_token()
            uow.session.add(
                PasswordResetRow(
                    token_sha256=token_hash(token),
                    staff_id=row.id,
                    created_at=now,
                    expires_at=now + timedelta(minutes=minutes),
                )
            )
            link = f"{public_url}{RESET_PATH}#token={quote(token)}"
            mails.append(PasswordResetMail(to=row.email, name=row.name, link=link, valid_minutes=minutes))
        await uow.commit()
    for mail in mails:
        await mailer.send_password_reset(mail)


async def reset_password(db: Database, token: str, new_password: str) -> None:
    """Sets the new password, spends the link (and the account's other links), ends every session."""
    violations = Violations()
    check_password(new_password, violations, "new_password")
    violations.raise_if_any()
    new_hash = hash_password(new_password)
    now = utcnow()
    async with UnitOfWork(db) as uow:
        reset = await ResetRepository(uow.session).get(token_hash(token)) if token else None
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            raise ResetLinkInvalid()
        staff = await StaffRepository(uow.session).by_id(reset.staff_id)
        if staff is None or not staff.active:
            raise ResetLinkInvalid()
        staff.password_hash = new_hash
        staff.updated_at = now
        await ResetRepository(uow.session).spend_others(staff.id, now)
        await SessionRepository(uow.session).end_for_staff(staff.id)
        await uow.commit()
