"""Every method of every service refuses a call it cannot trust: no token, an expired token,
a token signed by an unknown key, a forged company (claims changed after signing), a company
that is not a UUID, or the old bare `x-shutterbook-company` metadata. UNAUTHENTICATED, and
no row of any database changes. The methods come from the service descriptors.

Then key rotation: during it tokens of the old and the new key are both accepted, after it the
old key's are refused, and a stream of calls made while the server switches keys never fails.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_devstack.caller_keys import session_key_ring
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit import caller_token
from shutterbook_kit.caller_token import PUBLIC_KEY_SUFFIX, SIGNING_KEY_NAME, KeyRing, Signer, key_id, public_pem
from shutterbook_kit.identity import Caller, CallerKind
from tests.security_support import three_services

COMPANY = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
OTHER_COMPANY = "0b7e6f3a-2222-4b4b-8b8b-00000000000b"
OWNER_LIKE = Caller(COMPANY, CallerKind.SERVICE, "attacker", display_name="attacker")


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def forged_company(token: str) -> str:
    """The token with its company claim changed and the original signature kept."""
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["cmp"] = OTHER_COMPANY
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{signature}"


def untrusted_metadata() -> dict[str, tuple[tuple[str, str], ...]]:
    ring = session_key_ring()
    good = caller_token.sign(ring, OWNER_LIKE)
    return {
        "no token": (),
        "bare company metadata": (("x-shutterbook-company", COMPANY), ("x-shutterbook-caller", "attacker")),
        "not a bearer token": (("authorization", f"Basic {good}"),),
        "garbage": bearer("not-a-token"),
        "expired": bearer(caller_token.sign(ring, OWNER_LIKE, now=time.time() - 3600, ttl_seconds=300)),
        "unknown key": bearer(caller_token.sign(KeyRing.generate(), OWNER_LIKE)),
        "forged company": bearer(forged_company(good)),
        "company not a UUID": bearer(caller_token.sign(ring, Caller("acme", CallerKind.SERVICE, "attacker"))),
    }


async def test_every_method_of_every_service_refuses_untrusted_calls(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with three_services(databases, nats_server.url) as s:
        methods = list(s.methods())
        assert {m.containing_service.name for _, m in methods} >= {
            "ClientsService",
            "SchedulingService",
            "OnlineBookingService",
            "BulkSchedulingService",
            "BillingService",
        }
        before = await s.row_counts()
        refused: dict[str, grpc.StatusCode] = {}
        for what, metadata in untrusted_metadata().items():
            for service, method in methods:
                code = await s.call(service, method, metadata)
                if code != grpc.StatusCode.UNAUTHENTICATED:
                    refused[f"{method.full_name} with {what}"] = code
        assert refused == {}
        assert await s.row_counts() == before
        # and the same calls with a valid token reach the handlers (so the check above can fail)
        reached = [await s.call(service, method, company_metadata(COMPANY)) for service, method in methods]
        assert grpc.StatusCode.UNAUTHENTICATED not in reached


def write_key(directory: Path, key: Ed25519PrivateKey) -> Path:
    path = directory / f"{key_id(key.public_key())}{PUBLIC_KEY_SUFFIX}"
    path.write_bytes(public_pem(key.public_key()))
    return path


async def test_key_rotation_without_a_failed_call(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    old = KeyRing.generate()
    old.write(keys)
    new_key = Ed25519PrivateKey.generate()
    old_signer = Signer(old)
    new_signer = Signer(old.signed_by(new_key))
    caller = Caller(COMPANY, CallerKind.SERVICE, "rotation-test", display_name="rotation-test")
    overrides = {
        "caller_token_signing_key_file": str(keys / SIGNING_KEY_NAME),
        "caller_token_verify_keys_dir": str(keys),
    }
    async with three_services(databases, nats_server.url, **overrides) as s:
        host = s.hosts["clients"]
        stub: clients_pb2_grpc.ClientsServiceAsyncStub = clients_pb2_grpc.ClientsServiceStub(s.channels["clients"])
        request = clients_pb2.ListClientsRequest(page_size=1)
        signer = old_signer
        failures: list[str] = []
        calls = 0
        switching = asyncio.Event()

        async def stream() -> None:
            nonlocal calls
            while calls < 2000 and not switching.is_set():  # bounded: the switch ends it
                try:
                    await stub.ListClients(request, metadata=signer.metadata(caller), timeout=10)
                except grpc.aio.AioRpcError as err:
                    failures.append(err.code().name)
                calls += 1
                await asyncio.sleep(0)

        async def refused(by: Signer) -> bool:
            try:
                await stub.ListClients(request, metadata=by.metadata(caller), timeout=10)
            except grpc.aio.AioRpcError as err:
                return err.code() == grpc.StatusCode.UNAUTHENTICATED
            return False

        assert await refused(new_signer)  # not yet known
        traffic = asyncio.create_task(stream())
        await asyncio.sleep(0.2)
        # 1. the new public key is added everywhere: both verify
        new_file = write_key(keys, new_key)
        host.reload_caller_keys()
        await asyncio.sleep(0.2)
        assert not await refused(old_signer)
        assert not await refused(new_signer)
        # 2. the signers switch to the new key
        signer = new_signer
        await asyncio.sleep(0.2)
        # 3. the old public key is dropped
        for path in keys.glob(f"*{PUBLIC_KEY_SUFFIX}"):
            if path != new_file:
                path.unlink()
        host.reload_caller_keys()
        await asyncio.sleep(0.2)
        switching.set()
        await traffic
        assert failures == []
        assert calls > 10
        assert await refused(old_signer)
        assert not await refused(new_signer)
