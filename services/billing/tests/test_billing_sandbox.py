"""The sandbox payment provider behaves like a card network's test mode, and charges once
per idempotency key."""

from __future__ import annotations

import asyncio

import pytest

from shutterbook_billing.domain.payments import PaymentDeclined, ProviderUnavailable
from shutterbook_billing.providers.sandbox import TOKEN_DECLINED, TOKEN_ERROR, TOKEN_OK, TOKEN_SLOW, SandboxProvider


async def test_a_retried_charge_charges_once() -> None:
    sandbox = SandboxProvider()
    first = await sandbox.charge(
        idempotency_key="k1", token=TOKEN_OK, amount_minor=500, currency_code="USD", description=""
    )
    again = await sandbox.charge(
        idempotency_key="k1", token=TOKEN_OK, amount_minor=500, currency_code="USD", description=""
    )
    assert again == first
    other = await sandbox.charge(
        idempotency_key="k2", token=TOKEN_OK, amount_minor=700, currency_code="USD", description=""
    )
    assert other.charge_id != first.charge_id
    assert sandbox.charged_total() == 1200
    with pytest.raises(PaymentDeclined):  # the same key with another amount is refused
        await sandbox.charge(
            idempotency_key="k1", token=TOKEN_OK, amount_minor=501, currency_code="USD", description=""
        )


async def test_concurrent_retries_of_a_slow_charge_charge_once() -> None:
    sandbox = SandboxProvider(slow_seconds=0.05)
    results = await asyncio.gather(
        *(
            sandbox.charge(
                idempotency_key="slow", token=TOKEN_SLOW, amount_minor=900, currency_code="USD", description=""
            )
            for _ in range(5)
        )
    )
    assert len({r.charge_id for r in results}) == 1
    assert sandbox.charged_total() == 900


async def test_declined_and_unavailable_tokens() -> None:
    sandbox = SandboxProvider()
    with pytest.raises(PaymentDeclined):
        await sandbox.charge(
            idempotency_key="d", token=TOKEN_DECLINED, amount_minor=1, currency_code="USD", description=""
        )
    with pytest.raises(PaymentDeclined):
        await sandbox.charge(
            idempotency_key="u", token="tok_unknown", amount_minor=1, currency_code="USD", description=""
        )
    with pytest.raises(ProviderUnavailable):
        await sandbox.charge(
            idempotency_key="e", token=TOKEN_ERROR, amount_minor=1, currency_code="USD", description=""
        )
    assert sandbox.charges == {}


async def test_refunds_are_idempotent_and_bounded() -> None:
    sandbox = SandboxProvider()
    charge = await sandbox.charge(
        idempotency_key="c", token=TOKEN_OK, amount_minor=1000, currency_code="USD", description=""
    )
    first = await sandbox.refund(idempotency_key="r1", charge_id=charge.charge_id, amount_minor=600)
    assert await sandbox.refund(idempotency_key="r1", charge_id=charge.charge_id, amount_minor=600) == first
    assert sandbox.refunded[charge.charge_id] == 600
    with pytest.raises(PaymentDeclined):
        await sandbox.refund(idempotency_key="r2", charge_id=charge.charge_id, amount_minor=401)
