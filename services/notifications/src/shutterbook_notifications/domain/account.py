"""What billing says a session owes, as letters and the confirmation PDF show it (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

# ISO 4217 currencies without minor units (the rest have two, except the three-decimal ones).
_NO_MINOR = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"}
_THREE_MINOR = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def money_text(amount_minor: int, currency_code: str) -> str:
    """`1,234.50 USD` from minor units, exactly (integer arithmetic)."""
    digits = 0 if currency_code in _NO_MINOR else 3 if currency_code in _THREE_MINOR else 2
    whole, part = divmod(abs(amount_minor), 10**digits)
    shown = f"{whole:,}" + (f".{part:0{digits}d}" if digits else "")
    return f"{'-' if amount_minor < 0 else ''}{shown} {currency_code}".strip()


@dataclass(frozen=True)
class AccountLine:
    description: str
    quantity: int
    unit_price_minor: int
    total_minor: int  # after its share of the discount, with tax


@dataclass(frozen=True)
class SessionAccount:
    """The session's invoices that are not void, summed (one currency: the first invoice's)."""

    currency_code: str
    lines: list[AccountLine] = field(default_factory=list)
    total_minor: int = 0
    paid_minor: int = 0
    balance_minor: int = 0

    @property
    def balance(self) -> str:
        """The `balance` field of letters: empty when nothing is due."""
        return money_text(self.balance_minor, self.currency_code) if self.balance_minor > 0 else ""

    def text(self, amount_minor: int) -> str:
        return money_text(amount_minor, self.currency_code)
