"""OpenID Connect login for companies that have an identity provider (authorization code
flow with PKCE, state and nonce), built from authlib's OAuth 2 pieces and joserfc's JWT.

The id token is verified (signature against the provider's JWKS, issuer, audience, expiry,
nonce); its email must be verified, and it picks an existing active staff account of that
company. OIDC never creates an account.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from shutterbook_console.application.secrets import new_token, token_hash
from shutterbook_console.application.sessions import LoggedIn, start_session
from shutterbook_console.domain.staff import email_key
from shutterbook_console.storage.models import OidcLoginRow, OidcProviderRow
from shutterbook_console.storage.repository import OidcRepository, StaffRepository, to_account
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError, NotFound, Violations
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

log = logging.getLogger(__name__)
CALLBACK_PATH = "/login/oidc/callback"
LOGIN_MINUTES = 10
HTTP_TIMEOUT = 10.0
ID_TOKEN_ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]


class OidcLoginFailed(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Signing in with your identity provider did not work. Use your password, or ask your studio's owner.",
            reason="OIDC_LOGIN_FAILED",
        )


@dataclass(frozen=True)
class ProviderSettings:
    label: str
    issuer: str
    client_id: str
    client_secret: str


async def set_provider(db: Database, company_id: str, settings: ProviderSettings) -> None:
    violations = Violations()
    if not settings.issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        violations.add("issuer", "an https:// URL")
    if not settings.client_id:
        violations.add("client_id", "enter the client id")
    if not settings.client_secret:
        violations.add("client_secret", "enter the client secret")
    violations.raise_if_any()
    async with UnitOfWork(db) as uow:
        row = await OidcRepository(uow.session).provider(company_id)
        if row is None:
            row = OidcProviderRow(company_id=company_id)
            uow.session.add(row)
        row.label = settings.label.strip()[:100] or "your identity provider"
        row.issuer = settings.issuer.rstrip("/")
        row.client_id = settings.client_id
        row.client_secret = settings.client_secret
        row.updated_at = utcnow()
        await uow.commit()


async def provider_label(db: Database, company_id: str) -> str | None:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await OidcRepository(uow.session).provider(company_id)
    return row.label if row else None


async def _discover(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    reply = await http.get(f"{issuer}/.well-known/openid-configuration")
    reply.raise_for_status()
    document: dict[str, Any] = reply.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ValueError("the discovery document names another issuer")
    return document


async def begin_login(db: Database, company_id: str, public_url: str) -> str:
    """The provider's authorization URL to send the browser to."""
    async with UnitOfWork(db, readonly=True) as uow:
        provider = await OidcRepository(uow.session).provider(company_id)
    if provider is None:
        raise NotFound("this studio has no identity provider", reason="OIDC_NOT_CONFIGURED")
    try:  # outside any transaction: a slow provider never holds the database
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            discovery = await _discover(http, provider.issuer)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("OIDC discovery failed for company %s: %s", company_id, exc)
        raise OidcLoginFailed() from exc
    state, nonce, verifier = new_token(), new_token(), secrets.token_urlsafe(48)
    async with UnitOfWork(db) as uow:
        await OidcRepository(uow.session).purge_expired(utcnow())
        uow.session.add(
            OidcLoginRow(
                state_sha256=token_hash(state),
                company_id=company_id,
                nonce=nonce,
                code_verifier=verifier,
                expires_at=utcnow() + timedelta(minutes=LOGIN_MINUTES),
            )
        )
        await uow.commit()
    url: str = prepare_grant_uri(
        discovery["authorization_endpoint"],
        client_id=provider.client_id,
        response_type="code",
        redirect_uri=public_url + CALLBACK_PATH,
        scope="openid email profile",
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return url


async def _verified_email(provider: OidcProviderRow, pending: OidcLoginRow, code: str, redirect_uri: str) -> str:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        discovery = await _discover(http, provider.issuer)
        reply = await http.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            auth=(provider.client_id, provider.client_secret),  # client_secret_basic
            headers={"Accept": "application/json"},
        )
        reply.raise_for_status()
        id_token = reply.json().get("id_token")
        if not isinstance(id_token, str):
            raise ValueError("no id_token in the token response")
        jwks = await http.get(discovery["jwks_uri"])
        jwks.raise_for_status()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks.json()), algorithms=ID_TOKEN_ALGORITHMS)
    jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        nonce={"essential": True, "value": pending.nonce},
        exp={"essential": True},
        sub={"essential": True},
    ).validate(token.claims)
    email = token.claims.get("email")
    if not isinstance(email, str) or token.claims.get("email_verified") is not True:
        raise ValueError("the id token has no verified email")
    return email


async def finish_login(db: Database, state: str, code: str, public_url: str, session_hours: int) -> LoggedIn:
    if not state or not code:
        raise OidcLoginFailed()
    async with UnitOfWork(db) as uow:
        repo = OidcRepository(uow.session)
        pending = await repo.take_login(token_hash(state))
        provider = await repo.provider(pending.company_id) if pending else None
        await uow.commit()  # the state is spent whatever happens next
    if pending is None or provider is None or pending.expires_at <= utcnow():
        raise OidcLoginFailed()
    try:
        email = await _verified_email(provider, pending, code, public_url + CALLBACK_PATH)
    except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
        log.warning("OIDC login failed for company %s: %s", pending.company_id, exc)
        raise OidcLoginFailed() from exc
    async with UnitOfWork(db) as uow:
        rows = await StaffRepository(uow.session).by_email(email_key(email), pending.company_id)
        active = [r for r in rows if r.active]
        if len(active) != 1:
            log.info("OIDC login of %s: no active staff account in company %s", email, pending.company_id)
            raise OidcLoginFailed()
        started = await start_session(uow, to_account(active[0]), "oidc", session_hours)
        await uow.commit()
    return started
