"""Caller tokens: what is signed is what is verified, and every bad token is refused."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shutterbook_kit import caller_token
from shutterbook_kit.caller_token import InvalidCallerToken, KeyRing, Signer, sign, verify
from shutterbook_kit.identity import Caller, CallerKind, Role

COMPANY = "5f0c6a52-6a43-4d1e-9b8e-2f6d3c1a7e01"
STAFF = Caller(
    company_id=COMPANY,
    kind=CallerKind.STAFF,
    caller_id="staff-7",
    display_name="Ada Front",
    roles=frozenset({Role.FRONT_DESK, Role.PHOTOGRAPHER}),
    location_ids=frozenset({"loc-a", "loc-b"}),
    staff_schedule_id="sched-1",
)


def test_what_is_signed_is_verified() -> None:
    ring = KeyRing.generate()
    assert verify(ring, sign(ring, STAFF)) == STAFF
    partner = Caller(COMPANY, CallerKind.PARTNER, "key1")
    assert verify(ring, sign(ring, partner)) == partner  # no locations claim: every location
    assert verify(ring, sign(ring, partner)).location_ids is None


def test_header_names_the_signing_key_and_eddsa() -> None:
    ring = KeyRing.generate()
    header = jwt.get_unverified_header(sign(ring, STAFF))
    assert header["alg"] == "EdDSA"
    assert header["kid"] == ring.signing_key_id


def test_expired_token_is_refused() -> None:
    ring = KeyRing.generate()
    old = sign(ring, STAFF, now=time.time() - 3600, ttl_seconds=300)
    with pytest.raises(InvalidCallerToken, match="expired"):
        verify(ring, old)


def test_token_of_an_unknown_key_is_refused() -> None:
    ring, other = KeyRing.generate(), KeyRing.generate()
    with pytest.raises(InvalidCallerToken, match="unknown key"):
        verify(ring, sign(other, STAFF))


def test_token_signed_by_another_key_under_a_known_kid_is_refused() -> None:
    ring = KeyRing.generate()
    impostor = ring.signed_by(Ed25519PrivateKey.generate())
    token = jwt.encode(
        {
            "sub": "x",
            "cmp": COMPANY,
            "knd": "service",
            "iss": "shutterbook",
            "aud": "shutterbook-services",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        impostor.signing_key,
        algorithm="EdDSA",
        headers={"kid": ring.signing_key_id},
    )
    with pytest.raises(InvalidCallerToken, match="not valid"):
        verify(ring, token)


def test_changed_claims_break_the_signature() -> None:
    ring = KeyRing.generate()
    head, body, signature = sign(ring, STAFF).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["cmp"] = "11111111-1111-4111-8111-111111111111"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidCallerToken):
        verify(ring, f"{head}.{forged_body}.{signature}")


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_other_algorithms_are_refused(algorithm: str) -> None:
    ring = KeyRing.generate()
    claims = {
        "sub": "x",
        "cmp": COMPANY,
        "knd": "service",
        "iss": "shutterbook",
        "aud": "shutterbook-services",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    key = None if algorithm == "none" else "a-shared-secret-of-enough-length-for-hs256"
    token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": ring.signing_key_id})
    with pytest.raises(InvalidCallerToken):
        verify(ring, token)


@pytest.mark.parametrize(
    "company", ["", "acme", "5f0c6a52-6a43-4d1e-9b8e-2f6d3c1a7e0", "5f0c6a526a434d1e9b8e2f6d3c1a7e01"]
)
def test_company_must_be_a_uuid(company: str) -> None:
    ring = KeyRing.generate()
    token = sign(ring, Caller(company, CallerKind.SERVICE, "svc"))
    with pytest.raises(InvalidCallerToken, match="company"):
        verify(ring, token)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidCallerToken):
        verify(KeyRing.generate(), token)


def test_bearer_metadata() -> None:
    assert caller_token.bearer([("x-other", "1"), ("authorization", "Bearer abc")]) == "abc"
    for bad in ([], [("authorization", "Basic abc")], [("authorization", "Bearer ")]):
        with pytest.raises(InvalidCallerToken):
            caller_token.bearer(bad)


def test_rotation_old_and_new_verify_during_then_old_refused(tmp_path: Path) -> None:
    old = KeyRing.generate()
    new_key = Ed25519PrivateKey.generate()
    both = old.with_verify_keys([*old.verify_keys.values(), new_key.public_key()])
    old_token = sign(old, STAFF)
    new_token = sign(both.signed_by(new_key), STAFF)
    assert verify(both, old_token) == verify(both, new_token) == STAFF
    after = both.with_verify_keys([new_key.public_key()])
    assert verify(after, new_token) == STAFF
    with pytest.raises(InvalidCallerToken, match="unknown key"):
        verify(after, old_token)


def test_ring_round_trips_through_files(tmp_path: Path) -> None:
    ring = KeyRing.generate(ttl_seconds=120)
    ring.write(tmp_path)
    loaded = KeyRing.load(str(tmp_path / caller_token.SIGNING_KEY_NAME), str(tmp_path), ttl_seconds=120)
    assert loaded.signing_key_id == ring.signing_key_id
    assert set(loaded.verify_keys) == {ring.signing_key_id}
    assert verify(ring, sign(loaded, STAFF)) == STAFF
    verify_only = KeyRing.load("", str(tmp_path))
    assert verify_only.signing_key is None
    with pytest.raises(RuntimeError):
        sign(verify_only, STAFF)


def test_signer_reuses_a_fresh_token_per_caller() -> None:
    signer = Signer(KeyRing.generate())
    first = signer.token(STAFF)
    assert signer.token(STAFF) == first
    assert signer.token(Caller(COMPANY, CallerKind.SERVICE, "svc")) != first
    assert signer.metadata(STAFF) == (("authorization", f"Bearer {first}"),)


def test_verifier_remembers_verified_tokens_per_ring() -> None:
    old = KeyRing.generate()
    token = sign(old, STAFF)
    verifier = caller_token.Verifier(old)
    assert verifier.verify(token) == verifier.verify(token) == STAFF
    with pytest.raises(InvalidCallerToken):
        verifier.verify(sign(KeyRing.generate(), STAFF))
    rotated = caller_token.Verifier(old.with_verify_keys([Ed25519PrivateKey.generate().public_key()]))
    with pytest.raises(InvalidCallerToken, match="unknown key"):
        rotated.verify(token)
