"""Signed caller tokens: the `Caller` of a call as a short-lived JWT (EdDSA, Ed25519).

Every call into a service carries `authorization: Bearer <token>`. The token states the
company, the caller's kind and id, display name, roles, locations and staff schedule, and
expires minutes after it was signed. It is signed with the one signing key of a key ring
and verified against the ring's verification keys (public keys only), found by the `kid`
header: the RFC 7638 thumbprint of the public key, so a key's id can never disagree with
the key.

Rotation without downtime: (1) add the new public key to every verifier's ring (both keys
verify), (2) switch the signers to the new private key, (3) once the old tokens have
expired, drop the old public key (its tokens are refused from then on).

The library is PyJWT (with `cryptography` for Ed25519): it checks the signature, the
algorithm (only EdDSA is accepted, so no `none` and no key confusion), `exp`, `iat`,
`iss` and `aud`; this module only maps the claims to a `Caller`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shutterbook_kit.identity import Caller, CallerKind, Role

ALGORITHM = "EdDSA"
ISSUER = "shutterbook"
AUDIENCE = "shutterbook-services"
METADATA_KEY = "authorization"
SCHEME = "Bearer "
DEFAULT_TTL_SECONDS = 300.0
LEEWAY_SECONDS = 10.0  # clock skew between hosts
SIGNING_KEY_NAME = "signing.key.pem"
PUBLIC_KEY_SUFFIX = ".pub.pem"
_MAX_CACHED = 1024


class InvalidCallerToken(Exception):
    """A token that is missing, expired, signed by an unknown key, forged or malformed. The
    message is safe to return to the caller (it never echoes the token)."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 public key (base64url SHA-256)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    return _b64(hashlib.sha256(canonical).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _load_public(pem: bytes, source: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{source} is not an Ed25519 public key")
    return key


def _load_private(pem: bytes, source: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{source} is not an Ed25519 private key")
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class KeyRing:
    """One signing key (optional: a process that only verifies holds none) and the public
    keys accepted for verification, by key id."""

    verify_keys: Mapping[str, Ed25519PublicKey]
    signing_key: Ed25519PrivateKey | None = None
    ttl_seconds: float = DEFAULT_TTL_SECONDS

    @classmethod
    def generate(cls, *, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> KeyRing:
        """A fresh ring that verifies what it signs (tests, development)."""
        key = Ed25519PrivateKey.generate()
        return cls({key_id(key.public_key()): key.public_key()}, key, ttl_seconds)

    @classmethod
    def load(cls, signing_key_file: str, verify_keys_dir: str, *, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> KeyRing:
        """The signing key from a PKCS#8 PEM file (empty path: none) and every `*.pub.pem`
        in `verify_keys_dir` (empty path: none)."""
        signing = None
        if signing_key_file:
            path = Path(signing_key_file)
            if not path.is_file():
                raise FileNotFoundError(
                    f"no caller-token signing key at {signing_key_file} (SHUTTERBOOK_CALLER_TOKEN_SIGNING_KEY_FILE; "
                    "empty for a process that signs nothing; `make run` generates development keys)"
                )
            signing = _load_private(path.read_bytes(), signing_key_file)
        verify: dict[str, Ed25519PublicKey] = {}
        if verify_keys_dir:
            for path in sorted(Path(verify_keys_dir).glob(f"*{PUBLIC_KEY_SUFFIX}")):
                public = _load_public(path.read_bytes(), str(path))
                verify[key_id(public)] = public
        return cls(verify, signing, ttl_seconds)

    @property
    def signing_key_id(self) -> str:
        if self.signing_key is None:
            raise RuntimeError("this key ring holds no signing key (SHUTTERBOOK_CALLER_TOKEN_SIGNING_KEY_FILE)")
        return key_id(self.signing_key.public_key())

    def with_verify_keys(self, keys: Iterable[Ed25519PublicKey]) -> KeyRing:
        """This ring verifying exactly `keys` (rotation steps in tests and tools)."""
        return KeyRing({key_id(k): k for k in keys}, self.signing_key, self.ttl_seconds)

    def signed_by(self, key: Ed25519PrivateKey) -> KeyRing:
        return KeyRing(self.verify_keys, key, self.ttl_seconds)

    def write(self, directory: Path) -> None:
        """Write the signing key and the public keys in the layout `load` reads."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.signing_key is not None:
            path = directory / SIGNING_KEY_NAME
            path.write_bytes(private_pem(self.signing_key))
            path.chmod(0o600)
        for kid, public in self.verify_keys.items():
            (directory / f"{kid}{PUBLIC_KEY_SUFFIX}").write_bytes(public_pem(public))


def _claims(caller: Caller) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": caller.caller_id,
        "cmp": caller.company_id,
        "knd": caller.kind.value,
        "nam": caller.display_name,
        "rol": sorted(r.value for r in caller.roles),
    }
    if caller.location_ids is not None:
        claims["loc"] = sorted(caller.location_ids)
    if caller.staff_schedule_id:
        claims["sch"] = caller.staff_schedule_id
    return claims


def sign(ring: KeyRing, caller: Caller, *, now: float | None = None, ttl_seconds: float | None = None) -> str:
    """A token for `caller`, valid for the ring's TTL (or `ttl_seconds`) from `now`."""
    if ring.signing_key is None:
        raise RuntimeError("this key ring holds no signing key (SHUTTERBOOK_CALLER_TOKEN_SIGNING_KEY_FILE)")
    issued = time.time() if now is None else now
    payload = {
        **_claims(caller),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(issued),
        "exp": int(issued + (ring.ttl_seconds if ttl_seconds is None else ttl_seconds)),
    }
    return jwt.encode(payload, ring.signing_key, algorithm=ALGORITHM, headers={"kid": ring.signing_key_id})


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidCallerToken(f"caller token claim {what} is malformed")
    return list(value)


def verify(ring: KeyRing, token: str) -> Caller:
    """The caller a token states, or InvalidCallerToken."""
    return _verified(ring, token)[0]


def _verified(ring: KeyRing, token: str) -> tuple[Caller, float]:
    """The caller a token states and when the token expires, or InvalidCallerToken."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidCallerToken("caller token is malformed") from None
    kid = header.get("kid")
    key = ring.verify_keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidCallerToken("caller token is signed by an unknown key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "cmp", "knd"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidCallerToken("caller token has expired") from None
    except jwt.InvalidTokenError:
        raise InvalidCallerToken("caller token is not valid") from None
    return _caller(claims), float(claims["exp"])


def _caller(claims: Mapping[str, Any]) -> Caller:
    company = claims.get("cmp")
    if not _is_uuid(company):
        raise InvalidCallerToken("caller token names no valid company")
    try:
        kind = CallerKind(str(claims.get("knd")))
        roles = frozenset(Role(r) for r in _strings(claims.get("rol", []), "rol"))
    except ValueError:
        raise InvalidCallerToken("caller token names an unknown kind or role") from None
    caller_id, name, schedule = claims.get("sub"), claims.get("nam", ""), claims.get("sch", "")
    if not all(isinstance(v, str) for v in (caller_id, name, schedule)) or not caller_id:
        raise InvalidCallerToken("caller token is malformed")
    locations = claims.get("loc")
    return Caller(
        company_id=str(company).lower(),
        kind=kind,
        caller_id=str(caller_id),
        display_name=str(name),
        roles=roles,
        location_ids=None if locations is None else frozenset(_strings(locations, "loc")),
        staff_schedule_id=str(schedule),
    )


def bearer(metadata: Iterable[tuple[str, str | bytes]]) -> str:
    """The token of `authorization: Bearer <token>` metadata, or InvalidCallerToken."""
    for key, value in metadata:
        if key == METADATA_KEY:
            text = value.decode() if isinstance(value, bytes) else value
            if text.startswith(SCHEME) and len(text) > len(SCHEME):
                return text[len(SCHEME) :].strip()
            raise InvalidCallerToken("authorization metadata is not a Bearer token")
    raise InvalidCallerToken("missing caller token (authorization: Bearer metadata)")


@dataclass
class Signer:
    """Signs tokens for callers with a ring's signing key, reusing a token until half its
    lifetime has passed (signing is cheap, but a busy gateway signs for every call)."""

    ring: KeyRing
    _cache: dict[Caller, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self, caller: Caller) -> str:
        now = time.time()
        with self._lock:
            cached = self._cache.get(caller)
            if cached is not None and cached[1] > now:
                return cached[0]
        token = sign(self.ring, caller, now=now)
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[caller] = (token, now + self.ring.ttl_seconds / 2)
        return token

    def metadata(self, caller: Caller) -> tuple[tuple[str, str], ...]:
        return ((METADATA_KEY, SCHEME + self.token(caller)),)


class Verifier:
    """Verifies tokens against one key ring, remembering the tokens it has verified until they
    expire: a signer reuses a token for half its lifetime, so most calls carry a token already
    verified (a signature check costs about a hundred times a dictionary lookup). A new ring
    (rotation) gets a new Verifier, so nothing verified under a dropped key is remembered."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._seen: dict[str, tuple[Caller, float]] = {}

    def verify(self, token: str) -> Caller:
        now = time.time()
        seen = self._seen.get(token)
        if seen is not None and now <= seen[1] + LEEWAY_SECONDS:
            return seen[0]
        caller, expires = _verified(self.ring, token)
        if len(self._seen) >= _MAX_CACHED:
            self._seen.clear()
        self._seen[token] = (caller, expires)
        return caller


_process_signer: Signer | None = None


def install_signer(ring: KeyRing) -> None:
    """Make `ring` the key ring this process signs its outgoing calls with (done once at
    start from the settings: by the service host, the gateway and the CLI)."""
    global _process_signer
    if _process_signer is None or _process_signer.ring != ring:
        _process_signer = Signer(ring)


def process_signer() -> Signer:
    if _process_signer is None:
        raise RuntimeError("no caller-token signer installed: build the process from its settings")
    return _process_signer
