"""API keys: server-signed JWS (upstream claims), revocable at once, optional expiry."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pyshepard.auth import recent_credentials
from pyshepard.auth.apikeys.models import ApiKey, SigningKey
from pyshepard.auth.apikeys.store import ApiKeyStore
from pyshepard.auth.users import service as users
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from pyshepard.core.identity import Principal

SIGNING_KEY_NAME = "apikeys"
ALGORITHM = "RS256"
MAX_NAME_LENGTH = 255  # the api_keys.name column
_key_cache: dict[str, rsa.RSAPrivateKey] = {}
CLAIMS_CACHE_SIZE = 4096
_claims_cache: dict[tuple[str, int], dict[str, Any]] = {}


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    jws: str


def _store(uow: UnitOfWork) -> ApiKeyStore:
    return ApiKeyStore(uow.session)


def _load_pem(pem: str) -> rsa.RSAPrivateKey:
    loaded = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):  # pragma: no cover - we only ever store RSA
        raise TypeError("signing key is not RSA")
    return loaded


async def _stored_key(uow: UnitOfWork) -> rsa.RSAPrivateKey | None:
    """The committed signing key, if any. Only committed keys are cached: caching a key that
    was generated in a transaction later rolled back would make this process sign (and verify)
    with a key no other process has."""
    cache_key = f"{uow.settings.resolved_database_url}#{SIGNING_KEY_NAME}"
    if cache_key in _key_cache:
        return _key_cache[cache_key]
    row = await _store(uow).signing_key(SIGNING_KEY_NAME)
    if row is None:
        return None
    _key_cache[cache_key] = _load_pem(row.private_pem)
    return _key_cache[cache_key]


async def _signing_key(uow: UnitOfWork) -> rsa.RSAPrivateKey:
    """The shared signing key; generated once and stored so every replica uses the same one."""
    existing = await _stored_key(uow)
    if existing is not None:
        return existing
    generated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = generated.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    candidate = SigningKey(name=SIGNING_KEY_NAME, private_pem=pem, created_at=utcnow())
    if await _store(uow).add_signing_key(candidate):
        return generated
    winner = await _stored_key(uow)  # another process stored one first
    if winner is None:  # pragma: no cover - the insert only fails when a row exists
        raise RuntimeError("signing key vanished")
    return winner


def _require_self(actor: Principal, username: str) -> None:
    """Keys are only ever handled by their owner (or the system, for the CLI)."""
    if actor.via != "system" and actor.username != username:
        raise PermissionDenied()


async def create_api_key(
    uow: UnitOfWork,
    actor: Principal,
    username: str,
    *,
    name: str,
    issuer: str,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Mint a key for `username` (self only unless `actor` is the system). Raises 400/404/403."""
    if not name or not name.strip():
        raise InvalidInput("name must not be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be at most {MAX_NAME_LENGTH} characters long")
    await users.get_user(uow, username)
    _require_self(actor, username)
    now = utcnow()
    if expires_at is None and uow.settings.apikey_default_lifetime_days > 0:
        expires_at = now + timedelta(days=uow.settings.apikey_default_lifetime_days)
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expiry must lie in the future")
    uid = str(uuid.uuid4())
    claims: dict[str, object] = {"sub": username, "iss": issuer, "nbf": now, "iat": now, "jti": uid}
    if expires_at is not None:
        claims["exp"] = expires_at
    token = jwt.encode(claims, await _signing_key(uow), algorithm=ALGORITHM)
    key = await _store(uow).add(
        ApiKey(
            uid=uid,
            name=name,
            belongs_to=username,
            jws=token,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedKey(key=key, jws=token)


async def list_api_keys(uow: UnitOfWork, actor: Principal, username: str) -> Sequence[ApiKey]:
    """Raises PermissionDenied for someone else's list, then NotFound for an unknown user."""
    _require_self(actor, username)
    await users.get_user(uow, username)
    return await _store(uow).list_for(username)


async def get_api_key(uow: UnitOfWork, actor: Principal, username: str, uid: str) -> ApiKey:
    """Upstream's order: unknown user 404, someone else's path 403, unknown key 404, a key of
    another user under one's own path 403."""
    await users.get_user(uow, username)
    _require_self(actor, username)
    key = await _store(uow).get(uid)
    if key is None:
        raise NotFound("ID ERROR - ApiKey does not exist")
    if key.belongs_to != username:
        raise PermissionDenied("You do not have permissions for this ApiKey.")
    return key


async def delete_api_key(uow: UnitOfWork, actor: Principal, username: str, uid: str) -> None:
    """Revokes the key at once. Raises like `get_api_key`, but 403 before the user lookup."""
    _require_self(actor, username)
    await get_api_key(uow, actor, username, uid)
    await _store(uow).delete(uid)
    uow.now_and_after_commit(lambda: recent_credentials.forget_key(uid))


async def authenticate(uow: UnitOfWork, token: str) -> Principal:
    """Verify signature, lookup by `jti` (or a check made less than `api_key_recheck_seconds`
    ago), equality with the stored JWS and the owner's state; expiry is checked every time."""
    private_key = await _stored_key(uow)
    if private_key is None:  # no key was ever issued, so none can be valid
        raise Unauthenticated("Invalid Authentication")
    claims = _verified_claims(token, private_key)
    uid = str(claims["jti"])
    database = uow.settings.resolved_database_url
    max_age = uow.settings.api_key_recheck_seconds
    stored = recent_credentials.recall(database, uid, max_age)
    if stored is None:
        stored = await _store(uow).credential(uid)
        if stored is not None:
            recent_credentials.remember(database, uid, stored)
    if stored is None or stored.jws != token or stored.username != claims["sub"]:
        raise Unauthenticated("Invalid Authentication")
    if stored.expires_at is not None and stored.expires_at <= utcnow():
        raise Unauthenticated("Invalid Authentication")
    return Principal(username=stored.username, roles=frozenset(stored.roles), via="apikey")


def _verified_claims(token: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The token's claims once its signature checked out. The RSA verification is a pure
    function of token and key, so its result is remembered; whether the key still counts
    (revoked, expired, owner deleted) is asked of the database on every request."""
    cache_key = (token, id(key))
    cached = _claims_cache.get(cache_key)
    if cached is not None:
        return cached
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "jti"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise Unauthenticated("Invalid Authentication") from exc
    # a key's expiry is its row's `expires_at`, checked by the caller on every request
    if len(_claims_cache) >= CLAIMS_CACHE_SIZE:
        _claims_cache.pop(next(iter(_claims_cache)))
    _claims_cache[cache_key] = claims
    return claims
