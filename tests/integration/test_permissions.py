"""The permission table as a test matrix, on real gRPC servers: every method of every service
(from the descriptors) is in its service's table, and each role and each kind of caller x each
method is allowed or PERMISSION_DENIED exactly as the table (and the README's copy) says.
Then the checks that need the record: a front desk's refund limit, and billing records of
another location NOT_FOUND for staff scoped to locations."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, caller_metadata, company_metadata
from shutterbook_kit.identity import Caller, CallerKind, Role
from shutterbook_kit.permissions import grants
from tests.billing_support import create_deposit, create_item, known_client, pay, snapshot
from tests.security_support import CALLERS, PERMISSION_TABLES, as_company, permission_table_markdown, three_services

COMPANY = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
README = Path(__file__).resolve().parents[2] / "README.md"
SMALL = money_pb2.Money(currency_code="USD", amount_minor=100)


def request_for(method_name: str) -> Message | None:
    """Refunds state an amount within the staff limit, a session update a photo-day field (both
    limits are tested below)."""
    if method_name == "RefundPayment":
        return billing_pb2.RefundPaymentRequest(amount=SMALL)
    if method_name == "RefundDeposit":
        return billing_pb2.RefundDepositRequest(amount=SMALL)
    if method_name == "UpdateSession":  # a photo-day field: photographers pass on to the record
        return pb.UpdateSessionRequest(
            session=pb.Session(name=f"sessions/{uuid.uuid4()}"),
            update_mask=field_mask_pb2.FieldMask(paths=["confirmed"]),
        )
    return None


def test_readme_shows_the_permission_table_of_the_code() -> None:
    assert permission_table_markdown() in README.read_text(), "regenerate it: python -m tests.security_support"


async def test_each_caller_x_each_method_as_the_table_says(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with three_services(databases, nats_server.url) as s:
        for service, descriptor in s.services():
            served = {f"{descriptor.full_name}.{m.name}" for m in descriptor.methods}
            listed = {name for name in PERMISSION_TABLES[service] if name.startswith(descriptor.full_name + ".")}
            assert served - listed == set(), f"methods missing from {service}'s api/permissions.py"
            assert listed - served == set(), f"{service}'s table lists methods it does not serve"
        wrong: list[str] = []
        for who, template in CALLERS.items():
            caller = as_company(template, COMPANY)
            metadata = caller_metadata(caller)
            for service, method in s.methods():
                allowed = PERMISSION_TABLES[service][method.full_name] in grants(caller)
                code = await s.call(service, method, metadata, request_for(method.name))
                if (code == grpc.StatusCode.PERMISSION_DENIED) == allowed:
                    wrong.append(
                        f"{who} {method.full_name}: {code.name}, table says {'allowed' if allowed else 'denied'}"
                    )
                assert code != grpc.StatusCode.UNAUTHENTICATED
        assert wrong == []


def staff(role: Role, locations: frozenset[str] | None = None) -> tuple[tuple[str, str], ...]:
    return caller_metadata(
        Caller(COMPANY, CallerKind.STAFF, f"staff-{role.value}", roles=frozenset({role}), location_ids=locations)
    )


async def test_front_desk_refunds_up_to_the_limit_managers_any_amount(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """The front desk's limit (10_000 by default) holds for each refund and for all the
    refunds of one invoice (over its payments) or one deposit together: several small
    refunds never add up to more. Managers refund any amount."""
    async with three_services(databases, nats_server.url) as s:
        stub: billing_pb2_grpc.BillingServiceAsyncStub = billing_pb2_grpc.BillingServiceStub(s.channels["billing"])
        fee = await create_item(stub, "SESSION-FEE", 50_000, company=COMPANY)
        client = await known_client(stub, COMPANY)
        invoice = await stub.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(session=snapshot(client, [fee.name])),
            metadata=company_metadata(COMPANY),
        )
        payment = await pay(stub, invoice.name, 30_000, company=COMPANY)
        second = await pay(stub, invoice.name, 20_000, company=COMPANY)
        front_desk = staff(Role.FRONT_DESK)

        def refund(amount: int | None, name: str = payment.name) -> billing_pb2.RefundPaymentRequest:
            money = money_pb2.Money(currency_code="USD", amount_minor=amount) if amount is not None else None
            return billing_pb2.RefundPaymentRequest(name=name, amount=money, reason="test")

        async def refused(call: Awaitable[object]) -> None:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "REFUND_LIMIT" in str(err.value.trailing_metadata())

        async def refunded(name: str) -> int:
            got = await stub.GetPayment(billing_pb2.GetPaymentRequest(name=name), metadata=staff(Role.OWNER))
            return got.amount_refunded.amount_minor

        for too_much in (10_001, None):  # above the default limit of 10_000, or "all that is left"
            await refused(stub.RefundPayment(refund(too_much), metadata=front_desk))
        assert await refunded(payment.name) == 0
        # small refunds add up, over the invoice's payments: 6_000 + 4_000 is the limit
        assert (await stub.RefundPayment(refund(6_000), metadata=front_desk)).amount_refunded.amount_minor == 6_000
        await refused(stub.RefundPayment(refund(4_001, second.name), metadata=front_desk))
        await stub.RefundPayment(refund(4_000, second.name), metadata=front_desk)
        await refused(stub.RefundPayment(refund(1), metadata=front_desk))
        await refused(stub.RefundPayment(refund(1, second.name), metadata=front_desk))
        assert (await refunded(payment.name), await refunded(second.name)) == (6_000, 4_000)
        done = await stub.RefundPayment(refund(20_000), metadata=staff(Role.MANAGER))
        assert done.amount_refunded.amount_minor == 26_000

        # a deposit's refunds add up the same way
        deposit = await create_deposit(stub, client, 20_000, company=COMPANY)

        def refund_deposit(amount: int) -> billing_pb2.RefundDepositRequest:
            money = money_pb2.Money(currency_code="USD", amount_minor=amount)
            return billing_pb2.RefundDepositRequest(name=deposit.name, amount=money, reason="test")

        await stub.RefundDeposit(refund_deposit(6_000), metadata=front_desk)
        await refused(stub.RefundDeposit(refund_deposit(5_000), metadata=front_desk))
        await stub.RefundDeposit(refund_deposit(4_000), metadata=front_desk)
        await refused(stub.RefundDeposit(refund_deposit(1), metadata=front_desk))
        after = await stub.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=staff(Role.OWNER))
        assert after.amount_refunded.amount_minor == 10_000
        await stub.RefundDeposit(refund_deposit(5_000), metadata=staff(Role.MANAGER))


async def test_staff_of_another_location_find_no_billing_records(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with three_services(databases, nats_server.url) as s:
        stub: billing_pb2_grpc.BillingServiceAsyncStub = billing_pb2_grpc.BillingServiceStub(s.channels["billing"])
        fee = await create_item(stub, "SESSION-FEE", 5_000, company=COMPANY)
        session = snapshot(await known_client(stub, COMPANY), [fee.name])
        here = session.location.removeprefix("locations/")
        invoice = await stub.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(session=session), metadata=company_metadata(COMPANY)
        )
        payment = await pay(stub, invoice.name, 5_000, company=COMPANY)
        elsewhere = staff(Role.MANAGER, frozenset({"7d1c7a52-0000-4000-8000-000000000001"}))
        at_this_location = staff(Role.MANAGER, frozenset({here}))
        refused: dict[str, Awaitable[object]] = {
            "GetInvoice": stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=elsewhere),
            "GetPayment": stub.GetPayment(billing_pb2.GetPaymentRequest(name=payment.name), metadata=elsewhere),
            "ListPayments": stub.ListPayments(
                billing_pb2.ListPaymentsRequest(invoice=invoice.name), metadata=elsewhere
            ),
            "RefundPayment": stub.RefundPayment(
                billing_pb2.RefundPaymentRequest(name=payment.name, amount=SMALL, reason="test"), metadata=elsewhere
            ),
            "VoidInvoice": stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=invoice.name), metadata=elsewhere),
            "RenderSessionConfirmation": stub.RenderSessionConfirmation(
                billing_pb2.RenderSessionConfirmationRequest(invoice=invoice.name), metadata=elsewhere
            ),
        }
        for what, call in refused.items():
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.NOT_FOUND, what
        listed = await stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=elsewhere)
        assert listed.invoices == []
        # nothing changed, and staff of the invoice's location see it all
        assert (
            await stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=at_this_location)
        ).amount_paid.amount_minor == 5_000
        listed = await stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=at_this_location)
        assert [i.name for i in listed.invoices] == [invoice.name]
        got = await stub.GetPayment(billing_pb2.GetPaymentRequest(name=payment.name), metadata=at_this_location)
        assert got.amount_refunded.amount_minor == 0
