"""Form letters per company: a letter for each standard purpose (the product's default until
edited; rows are written on first listing) plus the studio's custom letters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shutterbook_kit.db import Database
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound, Violations
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.domain.defaults import DEFAULTS
from shutterbook_notifications.domain.letters import STANDARD_PURPOSES, LetterTemplates, Purpose, check
from shutterbook_notifications.storage.models import FormLetterRow
from shutterbook_notifications.storage.repository import LetterRepository

EDITABLE = ("display_name", "subject", "body_text", "body_html")


@dataclass(frozen=True)
class LetterDraft:
    display_name: str
    subject: str
    body_text: str
    body_html: str

    @property
    def templates(self) -> LetterTemplates:
        return LetterTemplates(self.subject, self.body_text, self.body_html)


async def letter_for_purpose(uow: UnitOfWork, company_id: str, purpose: Purpose) -> tuple[str, LetterTemplates]:
    """The company's letter of a standard purpose (its row, or the shipped default)."""
    row = await LetterRepository(uow.session).of_standard_purpose(company_id, purpose.value)
    if row is not None:
        return row.id, LetterTemplates(row.subject, row.body_text, row.body_html)
    return "", DEFAULTS[purpose][1]


async def letter_by_id(uow: UnitOfWork, company_id: str, letter_id: str) -> tuple[Purpose, LetterTemplates] | None:
    row = await LetterRepository(uow.session).get(company_id, letter_id)
    if row is None:
        return None
    return Purpose(row.purpose), LetterTemplates(row.subject, row.body_text, row.body_html)


async def _materialize_defaults(db: Database, company_id: str) -> None:
    """Write the default rows of the standard purposes the company has none for (idempotent)."""
    async with UnitOfWork(db, readonly=True) as uow:
        have = await LetterRepository(uow.session).standard_purposes(company_id)
    missing = [p for p in STANDARD_PURPOSES if p.value not in have]
    if not missing:
        return
    now = utcnow()
    async with UnitOfWork(db) as uow:
        letters = LetterRepository(uow.session)
        for purpose in missing:
            display, t = DEFAULTS[purpose]
            values = {
                "id": str(uuid.uuid4()),
                "company_id": company_id,
                "purpose": purpose.value,
                "standard_purpose": purpose.value,
                "display_name": display,
                "subject": t.subject,
                "body_text": t.body_text,
                "body_html": t.body_html,
                "built_in": True,
                "created_at": now,
                "updated_at": now,
            }
            await letters.add_unless_present(values, on_sqlite=db.is_sqlite)
        await uow.commit()


async def list_letters(db: Database, company_id: str) -> list[FormLetterRow]:
    await _materialize_defaults(db, company_id)
    order = {p.value: i for i, p in enumerate(Purpose)}
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await LetterRepository(uow.session).all(company_id)
    return sorted(rows, key=lambda r: (order.get(r.purpose, 99), r.display_name.casefold(), r.id))


async def get_letter(db: Database, company_id: str, letter_id: str) -> FormLetterRow:
    await _materialize_defaults(db, company_id)
    async with UnitOfWork(db, readonly=True) as uow:
        row = await LetterRepository(uow.session).get(company_id, letter_id)
    if row is None:
        raise NotFound("no such form letter")
    return row


def validate(draft: LetterDraft, prefix: str = "form_letter") -> None:
    v = Violations()
    if not draft.display_name.strip():
        v.add(f"{prefix}.display_name", "is required")
    elif len(draft.display_name) > 200:
        v.add(f"{prefix}.display_name", "must be at most 200 characters")
    if not draft.subject.strip():
        v.add(f"{prefix}.subject", "is required")
    if not draft.body_text.strip():
        v.add(f"{prefix}.body_text", "is required")
    for problem in check(draft.templates):
        v.add(f"{prefix}.{problem.field}", problem.description)
    v.raise_if_any("the form letter has invalid fields")


async def create_letter(uow: UnitOfWork, company_id: str, purpose: Purpose, draft: LetterDraft) -> FormLetterRow:
    """Write a custom letter in the caller's unit of work (which commits, with its request_id)."""
    if purpose is not Purpose.CUSTOM:
        raise InvalidArgument(
            "only custom letters can be created",
            violations=[FieldViolation("form_letter.purpose", "must be CUSTOM: standard purposes have their letter")],
        )
    validate(draft)
    now = utcnow()
    row = FormLetterRow(
        id=str(uuid.uuid4()),
        company_id=company_id,
        purpose=purpose.value,
        standard_purpose=None,
        display_name=draft.display_name.strip(),
        subject=draft.subject,
        body_text=draft.body_text,
        body_html=draft.body_html,
        built_in=False,
        created_at=now,
        updated_at=now,
    )
    await LetterRepository(uow.session).add(row)
    return row


async def update_letter(
    db: Database, company_id: str, letter_id: str, given: LetterDraft, paths: list[str]
) -> FormLetterRow:
    unknown = [p for p in paths if p not in EDITABLE]
    if unknown:
        raise InvalidArgument(
            "the update mask names fields that cannot be updated",
            violations=[FieldViolation("update_mask", f"unknown or read-only field {p!r}") for p in unknown],
        )
    fields = paths or list(EDITABLE)
    current = await get_letter(db, company_id, letter_id)
    merged = LetterDraft(**{f: (getattr(given, f) if f in fields else getattr(current, f)) for f in EDITABLE})
    validate(merged)
    async with UnitOfWork(db) as uow:
        row = await LetterRepository(uow.session).get(company_id, letter_id)
        assert row is not None
        row.display_name = merged.display_name.strip()
        row.subject, row.body_text, row.body_html = merged.subject, merged.body_text, merged.body_html
        row.built_in = False
        row.updated_at = utcnow()
        await uow.commit()
    return row
