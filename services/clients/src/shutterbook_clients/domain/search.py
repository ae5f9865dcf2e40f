"""Search keys and query terms, pure.

Every key is lowercase ASCII (`anyascii` transliterates accents and other scripts), so a
LIKE over them is case- and accent-insensitive and behaves the same on SQLite and
PostgreSQL. List keys are `|`-delimited with a `|` at each end (`|ada lovelace|ada|`), so
"is one of" is `LIKE '%|q|%'` and "starts a word" is `LIKE '%|q%'` or `LIKE '% q%'`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii

_SPACES = re.compile(r"\s+")
_PHONEISH = re.compile(r"^[\d\s+\-().]+$")
MIN_PHONE_DIGITS = 3
MAX_TERMS = 8


def normalize(text: str) -> str:
    """Lowercase ASCII with single spaces; `|` (the key delimiter) becomes a space."""
    return _SPACES.sub(" ", anyascii(text).lower().replace("|", " ")).strip()


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def list_key(values: Iterable[str]) -> str:
    items = [v for v in values if v]
    return "|" + "|".join(items) + "|" if items else ""


def phone_digit_keys(e164: str, national: str) -> list[str]:
    return [k for k in dict.fromkeys((digits(e164), digits(national))) if k]


@dataclass(frozen=True)
class Query:
    """A search query: the whole query normalized, its terms, and its phone digits."""

    text: str
    terms: tuple[str, ...]
    phone_digits: str  # digits of the whole query when it reads as a phone number, else ""

    @staticmethod
    def parse(raw: str) -> Query:
        text = normalize(raw)
        terms = tuple(dict.fromkeys(text.split(" ")))[:MAX_TERMS] if text else ()
        whole = digits(raw) if _PHONEISH.match(raw.strip() or "x") else ""
        return Query(text=text, terms=terms, phone_digits=whole if len(whole) >= MIN_PHONE_DIGITS else "")


def term_phone_digits(term: str) -> str:
    """The digits of a term that reads as a phone fragment (at least 3 digits), else ""."""
    if not _PHONEISH.match(term):
        return ""
    found = digits(term)
    return found if len(found) >= MIN_PHONE_DIGITS else ""
