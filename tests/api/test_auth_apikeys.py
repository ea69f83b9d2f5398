"""API keys through the authentication middleware: server-signed JWS, revocable at once,
optional expiry, owner must exist; public endpoints and CORS preflight need no credentials."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from pyshepard.app import create_app
from pyshepard.auth.apikeys import service as apikeys
from pyshepard.auth.apikeys.models import ApiKey, SigningKey
from pyshepard.auth.users import service as users
from pyshepard.core.clock import utcnow
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import InvalidInput
from pyshepard.core.migrate import upgrade
from tests.conftest import API, SYSTEM, ApiUser

INVALID = {
    "status": 401,
    "exception": "AuthenticationException",
    "message": "Invalid Authentication",
}
MakeUser = Callable[..., Awaitable[ApiUser]]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def whoami(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.get(f"{API}/users", headers={"X-API-KEY": key})


async def assert_rejected(client: httpx.AsyncClient, key: str) -> None:
    response = await whoami(client, key)
    assert response.status_code == 401
    assert response.json() == INVALID


async def test_valid_key_authenticates_its_owner(client: httpx.AsyncClient, user: ApiUser) -> None:
    response = await whoami(client, user.api_key)
    assert response.status_code == 200
    assert response.json()["username"] == user.username


async def test_key_claims_follow_upstream(db: Database, user: ApiUser) -> None:
    claims = jwt.decode(user.api_key, options={"verify_signature": False})
    assert claims["sub"] == user.username
    assert claims["jti"] == user.key_uid
    assert claims["iss"] == "http://testserver"
    assert {"iat", "nbf"} <= claims.keys()
    assert "exp" not in claims
    assert jwt.get_unverified_header(user.api_key)["alg"] == "RS256"

    async def stored(uow: UnitOfWork) -> ApiKey | None:
        return await uow.session.get(ApiKey, user.key_uid)

    row = await db.run(stored)
    assert row is not None
    assert row.jws == user.api_key


async def test_deleted_key_is_rejected_at_once(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    assert (await whoami(client, user.api_key)).status_code == 200

    async def revoke(uow: UnitOfWork) -> None:
        await apikeys.delete_api_key(uow, SYSTEM, user.username, user.key_uid)

    await db.run(revoke)
    await assert_rejected(client, user.api_key)


async def test_other_keys_survive_revoking_one(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    async def second_key(uow: UnitOfWork) -> str:
        issued = await apikeys.create_api_key(
            uow, SYSTEM, user.username, name="second", issuer="http://testserver"
        )
        await apikeys.delete_api_key(uow, SYSTEM, user.username, user.key_uid)
        return issued.jws

    remaining: str = await db.run(second_key)
    await assert_rejected(client, user.api_key)
    response = await whoami(client, remaining)
    assert response.status_code == 200
    assert response.json()["username"] == user.username


async def test_key_of_soft_deleted_user_is_rejected(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    assert (await whoami(client, user.api_key)).status_code == 200  # remembered as valid

    async def delete(uow: UnitOfWork) -> None:
        await users.delete_user(uow, user.username)

    await db.run(delete)
    await assert_rejected(client, user.api_key)


async def _revoke_behind_the_service(db: Database, uid: str) -> None:
    """What another replica or a CLI process does: the row goes, this process is not told."""

    async def drop(uow: UnitOfWork) -> None:
        row = await uow.session.get(ApiKey, uid)
        assert row is not None
        await uow.session.delete(row)

    await db.run(drop)


async def _client_with_recheck(settings: Settings, seconds: float) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update={"api_key_recheck_seconds": seconds}))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_change_made_elsewhere_counts_after_the_recheck_interval(
    settings: Settings, db: Database, user: ApiUser
) -> None:
    async with await _client_with_recheck(settings, 0.5) as client:
        assert (await whoami(client, user.api_key)).status_code == 200
        await _revoke_behind_the_service(db, user.key_uid)
        # this process checked the key a moment ago and trusts that check for 0.5 s
        assert (await whoami(client, user.api_key)).status_code == 200
        await asyncio.sleep(0.6)
        await assert_rejected(client, user.api_key)


async def test_recheck_zero_asks_the_database_every_time(
    settings: Settings, db: Database, user: ApiUser
) -> None:
    async with await _client_with_recheck(settings, 0) as client:
        assert (await whoami(client, user.api_key)).status_code == 200
        await _revoke_behind_the_service(db, user.key_uid)
        await assert_rejected(client, user.api_key)


async def test_tampered_keys_are_rejected(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser
) -> None:
    header, payload, signature = user.api_key.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = other_user.username
    forged_payload = b64url(json.dumps(claims).encode())
    await assert_rejected(client, f"{header}.{forged_payload}.{signature}")

    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    await assert_rejected(client, f"{header}.{payload}.{flipped}")
    await assert_rejected(client, f"{header}.{payload}.")
    await assert_rejected(client, user.api_key + "x")
    assert (await whoami(client, user.api_key)).status_code == 200


async def test_key_signed_by_another_server_is_rejected(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(user.api_key, options={"verify_signature": False})
    forged = jwt.encode(claims, foreign, algorithm="RS256")
    await assert_rejected(client, forged)


async def test_unsigned_and_garbage_keys_are_rejected(
    client: httpx.AsyncClient, user: ApiUser
) -> None:
    claims = jwt.decode(user.api_key, options={"verify_signature": False})
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    await assert_rejected(client, f"{header}.{b64url(json.dumps(claims).encode())}.")
    await assert_rejected(client, "garbage")
    response = await client.get(f"{API}/collections", headers={"X-API-KEY": ""})
    assert response.status_code == 401
    assert response.json() == INVALID  # upstream: a present but empty header is an invalid key


async def test_expired_key_is_rejected(
    client: httpx.AsyncClient, db: Database, make_user: MakeUser
) -> None:
    owner = await make_user()

    async def short_lived(uow: UnitOfWork) -> str:
        issued = await apikeys.create_api_key(
            uow,
            SYSTEM,
            owner.username,
            name="short",
            issuer="http://testserver",
            expires_at=utcnow() + timedelta(seconds=2),
        )
        return issued.jws

    key: str = await db.run(short_lived)
    assert "exp" in jwt.decode(key, options={"verify_signature": False})
    assert (await whoami(client, key)).status_code == 200
    await asyncio.sleep(2.5)
    await assert_rejected(client, key)


async def test_stored_expiry_is_enforced(
    client: httpx.AsyncClient, db: Database, user: ApiUser
) -> None:
    """The row's expiry counts even for a JWS without `exp` (shortened after issue)."""

    async def expire(uow: UnitOfWork) -> None:
        row = await uow.session.get(ApiKey, user.key_uid)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)

    await db.run(expire)
    await assert_rejected(client, user.api_key)


async def test_expiry_in_the_past_is_refused(db: Database, user: ApiUser) -> None:
    async def issue(uow: UnitOfWork) -> None:
        await apikeys.create_api_key(
            uow,
            SYSTEM,
            user.username,
            name="late",
            issuer="http://testserver",
            expires_at=utcnow() - timedelta(minutes=1),
        )

    with pytest.raises(InvalidInput, match="future"):
        await db.run(issue)


async def test_public_endpoints_need_no_credentials(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/versionz"):
        assert (await client.get(f"{API}{path}")).status_code == 200
        # credentials are not even looked at there
        bad = await client.get(f"{API}{path}", headers={"X-API-KEY": "garbage"})
        assert bad.status_code == 200


async def test_cors_preflight_is_not_blocked(client: httpx.AsyncClient) -> None:
    response = await client.options(
        f"{API}/collections",
        headers={
            "Origin": "https://ui.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in {"*", "https://ui.example.org"}
    assert "POST" in response.headers["access-control-allow-methods"]
    plain = await client.options(f"{API}/collections")
    assert plain.status_code != 401


async def test_401_responses_carry_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/collections", headers={"Origin": "https://ui.example.org"})
    assert response.status_code == 401
    assert "access-control-allow-origin" in response.headers


async def test_signing_key_is_stored_before_any_key_is_trusted(
    scratch_database_url: str, tmp_path: Path
) -> None:
    """A rejected key on a fresh database must not leave an unsaved signing key behind:
    keys minted afterwards must verify against the key every other process reads."""
    await asyncio.to_thread(upgrade, scratch_database_url)
    app = create_app(Settings(data_dir=tmp_path, database_url=scratch_database_url))
    db: Database = app.state.db
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await assert_rejected(client, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")

            async def mint(uow: UnitOfWork) -> str:
                await users.create_user(uow, "first_user")
                issued = await apikeys.create_api_key(
                    uow, SYSTEM, "first_user", name="k", issuer="http://testserver"
                )
                return issued.jws

            key: str = await db.run(mint)

            async def stored_keys(uow: UnitOfWork) -> list[SigningKey]:
                return list((await uow.session.scalars(select(SigningKey))).all())

            rows: list[SigningKey] = await db.run(stored_keys)
            assert len(rows) == 1
            private = serialization.load_pem_private_key(rows[0].private_pem.encode(), None)
            assert isinstance(private, rsa.RSAPrivateKey)
            claims = jwt.decode(key, private.public_key(), algorithms=["RS256"])
            assert claims["sub"] == "first_user"
            response = await whoami(client, key)
            assert response.status_code == 200
            assert response.json()["username"] == "first_user"
    finally:
        await app.state.http.aclose()
        await db.dispose()
