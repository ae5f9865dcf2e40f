"""A small OpenID Connect provider for tests, served on loopback: discovery document, an
authorize endpoint that approves at once (as whoever `login_as` names), a token endpoint
(client_secret_basic, PKCE S256, single-use codes) and a JWKS. Id tokens are RS256 JWTs
signed with joserfc, carrying the nonce of the authorization request."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from litestar import Litestar, Request, Response, get, post
from litestar.response import Redirect

from shutterbook_devstack.nats_server import free_port

CLIENT_ID = "shutterbook-console"
CLIENT_SECRET = "test-client-secret"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    email: str


@dataclass
class Provider:
    issuer: str = ""
    login_as: str = ""
    email_verified: bool = True
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-key"}))
    signing_key: RSAKey | None = None  # set to sign with a key the JWKS does not hold (a forgery)
    codes: dict[str, Grant] = field(default_factory=dict)
    token_requests: int = 0

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "sub": hashlib.sha256(grant.email.encode()).hexdigest()[:20],
            "email": grant.email,
            "email_verified": self.email_verified,
            "nonce": grant.nonce,
            "iat": now,
            "exp": now + 300,
        }
        key = self.signing_key or self.key
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)


def _app(provider: Provider) -> Litestar:
    @get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    @get("/jwks")
    async def jwks() -> dict[str, Any]:
        return dict(KeySet([provider.key]).as_dict(private=False))

    @get("/authorize")
    async def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
        q = request.query_params
        if (
            q.get("client_id") != CLIENT_ID
            or q.get("response_type") != "code"
            or q.get("code_challenge_method") != "S256"
        ):
            return Response({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        provider.codes[code] = Grant(
            CLIENT_ID, q["redirect_uri"], q.get("nonce", ""), q.get("code_challenge", ""), provider.login_as
        )
        return Redirect(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}")

    @post("/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Response[Any]:
        provider.token_requests += 1
        form = await request.form()
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Response({"error": "invalid_client"}, status_code=401)
        grant = provider.codes.pop(str(form.get("code", "")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or grant.redirect_uri != form.get("redirect_uri") or grant.code_challenge != challenge:
            return Response({"error": "invalid_grant"}, status_code=400)
        return Response(
            {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": provider.id_token(grant)}
        )

    return Litestar([discovery, jwks, authorize, token], logging_config=None)


@asynccontextmanager
async def oidc_provider() -> AsyncIterator[Provider]:
    port = free_port()
    provider = Provider(issuer=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(_app(provider), host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield provider
    finally:
        server.should_exit = True
        await task
