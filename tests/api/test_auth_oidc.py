"""OIDC bearer tokens through the real app: tokens signed with RSA keys made here, keys
configured as upstream's base64 DER `OIDC_PUBLIC`, a PEM file, a JWKS file and a JWKS URL
served on loopback; userinfo sync against a local stub identity provider."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from pyshepard.app import create_app
from pyshepard.auth import service as auth
from pyshepard.auth.users import service as users
from pyshepard.auth.users.models import User
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.identity import Principal
from tests.conftest import API

INVALID = {
    "status": 401,
    "exception": "AuthenticationException",
    "message": "Invalid Authentication",
}
MISSING = {
    "status": 401,
    "exception": "AuthenticationException",
    "message": "Invalid/missing authorization header",
}
KID = "test-key-1"


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_der_b64(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def jwks(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def claims_for(sub: str, *, lifetime: int = 300, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": sub, "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex, **extra}


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey, *, kid: str | None = KID) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_forgery(claims: dict[str, Any], secret: bytes) -> str:
    """The classic key-confusion attack: HMAC-sign with the server's *public* key bytes."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_name(prefix: str = "oidc") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# --- a real HTTP server on loopback, standing in for the identity provider -----------------


@dataclass
class StubServer:
    routes: dict[str, tuple[int, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def idp() -> Iterator[StubServer]:
    stub = StubServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stub.requests.append((self.path, dict(self.headers.items())))
            status, body = stub.routes.get(self.path, (404, {"error": "not found"}))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --- apps with their own OIDC settings on the session's database ---------------------------


@dataclass
class OidcApp:
    client: httpx.AsyncClient
    db: Database
    app: FastAPI


AppFactory = Callable[..., Any]


@pytest.fixture
def oidc_app(database_url: str, tmp_path: Path) -> AppFactory:
    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[OidcApp]:
        settings = Settings(data_dir=tmp_path, database_url=database_url, **overrides)
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield OidcApp(client=c, db=app.state.db, app=app)
        finally:
            await app.state.http.aclose()
            await app.state.db.dispose()

    return build


async def stored_user(db: Database, username: str) -> User | None:
    async def work(uow: UnitOfWork) -> User | None:
        return await users.find_user(uow, username)

    found: User | None = await db.run(work)
    return found


async def assert_authenticated_as(app: OidcApp, token: str, username: str) -> None:
    response = await app.client.get(f"{API}/users", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["username"] == username
    assert await stored_user(app.db, username) is not None


async def assert_rejected(app: OidcApp, token: str) -> None:
    response = await app.client.get(f"{API}/users", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == INVALID


# --- the four ways of configuring the verification key -------------------------------------


@pytest.fixture(params=["oidc_public", "pem_file", "jwks_file", "jwks_url"])
def key_settings(
    request: pytest.FixtureRequest, idp_key: rsa.RSAPrivateKey, tmp_path: Path, idp: StubServer
) -> dict[str, str]:
    mode: str = request.param
    if mode == "oidc_public":
        return {"oidc_public": public_der_b64(idp_key)}
    if mode == "pem_file":
        path = tmp_path / "realm.pem"
        path.write_bytes(public_pem(idp_key))
        return {"oidc_public_key_file": str(path)}
    if mode == "jwks_file":
        path = tmp_path / "jwks.json"
        path.write_text(json.dumps(jwks(idp_key)))
        return {"oidc_jwks_file": str(path)}
    idp.routes["/certs"] = (200, jwks(idp_key))
    return {"oidc_jwks_url": f"{idp.url}/certs"}


async def test_valid_token_authenticates_with_last_sub_segment(
    oidc_app: AppFactory, key_settings: dict[str, str], idp_key: rsa.RSAPrivateKey
) -> None:
    username = unique_name()
    token = sign(claims_for(f"f:realm-id:{username}", given_name="Ada"), idp_key)
    async with oidc_app(**key_settings) as app:
        await assert_authenticated_as(app, token, username)
        user = await stored_user(app.db, username)
        assert user is not None
        assert user.first_name == "Ada"


async def test_upstream_oidc_public_env_name_is_accepted(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OIDC_PUBLIC", public_der_b64(idp_key))
    username = unique_name()
    async with oidc_app() as app:
        await assert_authenticated_as(app, sign(claims_for(username), idp_key), username)


async def test_jwks_url_is_fetched_from_the_server(
    oidc_app: AppFactory, idp: StubServer, idp_key: rsa.RSAPrivateKey
) -> None:
    idp.routes["/certs"] = (200, jwks(idp_key))
    username = unique_name()
    async with oidc_app(oidc_jwks_url=f"{idp.url}/certs") as app:
        await assert_authenticated_as(app, sign(claims_for(username), idp_key), username)
        await assert_authenticated_as(app, sign(claims_for(username), idp_key), username)
    assert [path for path, _ in idp.requests] == ["/certs"]  # cached between requests


async def test_jwks_token_with_unknown_kid_is_rejected(
    oidc_app: AppFactory, idp: StubServer, idp_key: rsa.RSAPrivateKey
) -> None:
    idp.routes["/certs"] = (200, jwks(idp_key))
    async with oidc_app(oidc_jwks_url=f"{idp.url}/certs") as app:
        await assert_rejected(app, sign(claims_for(unique_name()), idp_key, kid="rotated-away"))


async def test_unreachable_jwks_url_rejects_tokens(
    oidc_app: AppFactory, idp: StubServer, idp_key: rsa.RSAPrivateKey
) -> None:
    idp.routes["/certs"] = (500, {"error": "down"})
    async with oidc_app(oidc_jwks_url=f"{idp.url}/certs") as app:
        await assert_rejected(app, sign(claims_for(unique_name()), idp_key))


async def test_configurable_username_claim(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey
) -> None:
    username = unique_name("pref")
    claims = claims_for(f"f:realm:{uuid.uuid4()}", preferred_username=username)
    async with oidc_app(
        oidc_public=public_der_b64(idp_key), oidc_username_claim="preferred_username"
    ) as app:
        await assert_authenticated_as(app, sign(claims, idp_key), username)
        # a token without that claim names nobody
        await assert_rejected(app, sign(claims_for(unique_name()), idp_key))


# --- tokens that must be refused ---------------------------------------------------------


def _expired(key: rsa.RSAPrivateKey, _public: bytes) -> str:
    return sign(claims_for(unique_name(), lifetime=-3600), key)


def _not_yet_valid(key: rsa.RSAPrivateKey, _public: bytes) -> str:
    return sign(claims_for(unique_name(), nbf=int(time.time()) + 3600), key)


def _alg_none(_key: rsa.RSAPrivateKey, _public: bytes) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims_for(unique_name())).encode())}."


def _hs256_with_public_pem(_key: rsa.RSAPrivateKey, public: bytes) -> str:
    return hs256_forgery(claims_for(unique_name()), public)


def _hs256_with_public_der(key: rsa.RSAPrivateKey, _public: bytes) -> str:
    return hs256_forgery(claims_for(unique_name()), base64.b64decode(public_der_b64(key)))


def _tampered_payload(key: rsa.RSAPrivateKey, _public: bytes) -> str:
    header, _payload, signature = sign(claims_for(unique_name()), key).split(".")
    forged = b64url(json.dumps(claims_for("admin")).encode())
    return f"{header}.{forged}.{signature}"


def _without_sub(key: rsa.RSAPrivateKey, _public: bytes) -> str:
    claims = claims_for("ignored")
    del claims["sub"]
    return sign(claims, key)


def _garbage(_key: rsa.RSAPrivateKey, _public: bytes) -> str:
    return "this.is-not.a-jwt"


@pytest.mark.parametrize(
    "make_token",
    [
        _expired,
        _not_yet_valid,
        _alg_none,
        _hs256_with_public_pem,
        _hs256_with_public_der,
        _tampered_payload,
        _without_sub,
        _garbage,
    ],
)
async def test_invalid_tokens_are_rejected_with_upstream_body(
    oidc_app: AppFactory,
    idp_key: rsa.RSAPrivateKey,
    tmp_path: Path,
    make_token: Callable[[rsa.RSAPrivateKey, bytes], str],
) -> None:
    pem = tmp_path / "realm.pem"
    pem.write_bytes(public_pem(idp_key))
    token = make_token(idp_key, public_pem(idp_key))
    # the same token through every static-key configuration
    for settings in ({"oidc_public": public_der_b64(idp_key)}, {"oidc_public_key_file": str(pem)}):
        async with oidc_app(**settings) as app:
            await assert_rejected(app, token)


async def test_token_signed_with_another_key_is_rejected(
    oidc_app: AppFactory,
    key_settings: dict[str, str],
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    username = unique_name()
    async with oidc_app(**key_settings) as app:
        await assert_rejected(app, sign(claims_for(username), stranger_key))
        assert await stored_user(app.db, username) is None


async def test_bearer_without_configured_oidc_is_rejected(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey
) -> None:
    async with oidc_app() as app:
        await assert_rejected(app, sign(claims_for(unique_name()), idp_key))


async def test_required_realm_role(oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey) -> None:
    member, outsider, no_roles, malformed = (unique_name() for _ in range(4))
    async with oidc_app(oidc_public=public_der_b64(idp_key), oidc_role="shepard-user") as app:
        with_role = claims_for(member, realm_access={"roles": ["offline", "shepard-user"]})
        await assert_authenticated_as(app, sign(with_role, idp_key), member)
        other_role = claims_for(outsider, realm_access={"roles": ["offline"]})
        await assert_rejected(app, sign(other_role, idp_key))
        await assert_rejected(app, sign(claims_for(no_roles), idp_key))
        odd_shape = claims_for(malformed, realm_access="shepard-user")
        await assert_rejected(app, sign(odd_shape, idp_key))
        assert await stored_user(app.db, outsider) is None
        assert await stored_user(app.db, no_roles) is None


async def test_missing_and_non_bearer_headers(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey
) -> None:
    async with oidc_app(oidc_public=public_der_b64(idp_key)) as app:
        response = await app.client.get(f"{API}/users")
        assert response.status_code == 401
        assert response.json() == MISSING
        basic = {"Authorization": "Basic dXNlcjpwYXNz"}
        response = await app.client.get(f"{API}/collections", headers=basic)
        assert response.status_code == 401
        assert response.json() == MISSING
        response = await app.client.get(f"{API}/collections", headers={"Authorization": "Bearer "})
        assert response.status_code == 401
        assert response.json() == INVALID


async def test_deleted_user_token_is_rejected(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey
) -> None:
    username = unique_name()
    token = sign(claims_for(username), idp_key)
    async with oidc_app(oidc_public=public_der_b64(idp_key)) as app:
        await assert_authenticated_as(app, token, username)

        async def delete(uow: UnitOfWork) -> None:
            await users.delete_user(uow, username)

        await app.db.run(delete)
        await assert_rejected(app, token)


# --- userinfo sync (OIDC_AUTHORITY) ------------------------------------------------------


def authority(idp: StubServer, userinfo: tuple[int, Any]) -> str:
    idp.routes["/realms/test/.well-known/openid-configuration"] = (
        200,
        {"issuer": f"{idp.url}/realms/test", "userinfo_endpoint": f"{idp.url}/userinfo"},
    )
    idp.routes["/userinfo"] = userinfo
    return f"{idp.url}/realms/test/"


async def test_userinfo_is_fetched_and_user_upserted(
    oidc_app: AppFactory, idp: StubServer, idp_key: rsa.RSAPrivateKey
) -> None:
    username = unique_name()
    sub = f"f:realm:{username}"
    info = {"sub": sub, "given_name": "Grace", "family_name": "Hopper", "email": "g@example.org"}
    token = sign(claims_for(sub, given_name="Token", family_name="Claims"), idp_key)
    async with oidc_app(
        oidc_public=public_der_b64(idp_key), oidc_authority=authority(idp, (200, info))
    ) as app:
        await assert_authenticated_as(app, token, username)
        user = await stored_user(app.db, username)
        assert user is not None
        assert (user.first_name, user.last_name, user.email) == ("Grace", "Hopper", "g@example.org")
        response = await app.client.get(f"{API}/users", headers=bearer(token))
        assert response.json()["firstName"] == "Grace"
        assert response.json()["email"] == "g@example.org"
        # a second request is served from the per-user cache
        await assert_authenticated_as(app, token, username)
    userinfo_calls = [headers for path, headers in idp.requests if path == "/userinfo"]
    assert len(userinfo_calls) == 1
    assert userinfo_calls[0]["Authorization"] == f"Bearer {token}"


async def test_userinfo_refreshes_an_existing_profile(
    oidc_app: AppFactory, idp: StubServer, idp_key: rsa.RSAPrivateKey
) -> None:
    username = unique_name()

    async def create(uow: UnitOfWork) -> None:
        await users.create_user(uow, username, first_name="Old", email="old@example.org")

    info = {"sub": username, "given_name": "New", "family_name": "Name", "email": "n@example.org"}
    async with oidc_app(
        oidc_public=public_der_b64(idp_key), oidc_authority=authority(idp, (200, info))
    ) as app:
        await app.db.run(create)
        await assert_authenticated_as(app, sign(claims_for(username), idp_key), username)
        user = await stored_user(app.db, username)
        assert user is not None
        assert (user.first_name, user.last_name, user.email) == ("New", "Name", "n@example.org")


@pytest.mark.parametrize(
    ("userinfo", "message"),
    [
        ((500, {"error": "boom"}), "User info could not be retrieved"),
        ((401, {"error": "invalid_token"}), "User info could not be retrieved"),
        ((200, ["not", "an", "object"]), "User info could not be retrieved"),
        (
            (200, {"sub": "f:realm:somebody-else", "given_name": "X"}),
            "The usernames from the access token and the userinfo response do not match",
        ),
        (
            (200, {"given_name": "No", "family_name": "Subject"}),
            "The usernames from the access token and the userinfo response do not match",
        ),
    ],
)
async def test_userinfo_failure_is_401_and_stores_nothing(
    oidc_app: AppFactory,
    idp: StubServer,
    idp_key: rsa.RSAPrivateKey,
    userinfo: tuple[int, Any],
    message: str,
) -> None:
    username = unique_name()
    async with oidc_app(
        oidc_public=public_der_b64(idp_key), oidc_authority=authority(idp, userinfo)
    ) as app:
        response = await app.client.get(
            f"{API}/users", headers=bearer(sign(claims_for(username), idp_key))
        )
        assert response.status_code == 401
        assert response.json() == {
            "status": 401,
            "exception": "AuthenticationException",
            "message": message,
        }
        assert await stored_user(app.db, username) is None


async def test_missing_discovery_document_is_401(
    oidc_app: AppFactory, idp: StubServer, idp_key: rsa.RSAPrivateKey
) -> None:
    username = unique_name()
    async with oidc_app(
        oidc_public=public_der_b64(idp_key), oidc_authority=f"{idp.url}/realms/absent"
    ) as app:
        response = await app.client.get(
            f"{API}/users", headers=bearer(sign(claims_for(username), idp_key))
        )
        assert response.status_code == 401
        assert await stored_user(app.db, username) is None


async def test_concurrent_first_requests_of_a_new_user(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey
) -> None:
    """A UI fires several requests right after login; the user is created exactly once."""
    username = unique_name()
    token = sign(claims_for(username, given_name="Race"), idp_key)
    async with oidc_app(oidc_public=public_der_b64(idp_key)) as app:
        responses = await asyncio.gather(
            *(app.client.get(f"{API}/users", headers=bearer(token)) for _ in range(8))
        )
        assert [r.status_code for r in responses] == [200] * 8
        assert {r.json()["username"] for r in responses} == {username}


async def test_platform_roles_follow_the_token(
    oidc_app: AppFactory, idp_key: rsa.RSAPrivateKey
) -> None:
    """Realm roles `admin`/`reviewer` become platform roles, and leave with the realm role."""
    username = unique_name()
    admin_token = sign(claims_for(username, realm_access={"roles": ["admin", "x"]}), idp_key)
    plain_token = sign(claims_for(username, realm_access={"roles": ["x"]}), idp_key)
    async with oidc_app(oidc_public=public_der_b64(idp_key)) as app:
        verifier = app.app.state.oidc

        async def principal(token: str) -> Principal:
            async def work(uow: UnitOfWork) -> Principal:
                return await auth.authenticate(
                    uow, verifier, authorization=f"Bearer {token}", api_key=None
                )

            found: Principal = await app.db.run(work)
            return found

        admin = await principal(admin_token)
        assert (admin.username, admin.roles, admin.via) == (username, frozenset({"admin"}), "oidc")
        assert (await principal(plain_token)).roles == frozenset()
