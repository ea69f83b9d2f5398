"""OIDC access-token verification (upstream JWTFilter): configured key(s), role, username claim."""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from pyshepard.core.config import Settings
from pyshepard.core.errors import Unauthenticated

if TYPE_CHECKING:
    from jwt.types import Options

log = logging.getLogger(__name__)

# Symmetric and unsigned algorithms are never accepted, whatever the configuration says:
# with a public key as the "secret", HS256 would let anyone forge tokens.
_FORBIDDEN_ALGORITHMS = {"none", "HS256", "HS384", "HS512"}

# upstream UserFilter's messages
USERINFO_FAILED = "User info could not be retrieved"
USERINFO_MISMATCH = "The usernames from the access token and the userinfo response do not match"


def _realm_roles(claims: dict[str, Any]) -> list[str]:
    """Keycloak's `realm_access.roles`; anything not shaped like that means no roles."""
    realm_access = claims.get("realm_access")
    roles = realm_access.get("roles") if isinstance(realm_access, dict) else None
    if not isinstance(roles, list):
        return []
    return [role for role in roles if isinstance(role, str)]


@dataclass
class UserClaims:
    username: str
    first_name: str | None
    last_name: str | None
    email: str | None
    roles: list[str]
    token: str
    # False when the profile was synced recently and must not be overwritten from the token
    sync_profile: bool = True


@dataclass
class OidcVerifier:
    settings: Settings
    http: httpx.AsyncClient
    _static_keys: list[Any] = field(default_factory=list, init=False)
    _jwks: jwt.PyJWKSet | None = field(default=None, init=False)
    _jwks_fetched_at: float = field(default=0.0, init=False)
    _userinfo_url: str | None = field(default=None, init=False)
    _userinfo_seen: dict[str, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        if s.oidc_public:
            der = base64.b64decode("".join(s.oidc_public.split()))
            self._static_keys.append(load_der_public_key(der))
        if s.oidc_public_key_file:
            self._static_keys.append(load_pem_public_key(Path(s.oidc_public_key_file).read_bytes()))
        if s.oidc_jwks_file:
            self._jwks = jwt.PyJWKSet.from_dict(json.loads(Path(s.oidc_jwks_file).read_text()))

    @property
    def enabled(self) -> bool:
        s = self.settings
        return bool(s.oidc_public or s.oidc_public_key_file or s.oidc_jwks_file or s.oidc_jwks_url)

    @property
    def algorithms(self) -> list[str]:
        return [a for a in self.settings.oidc_algorithms if a not in _FORBIDDEN_ALGORITHMS]

    async def _candidate_keys(self, token: str) -> list[Any]:
        keys = list(self._static_keys)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("Invalid Authentication") from exc
        if self.settings.oidc_jwks_url and (
            self._jwks is None
            or time.monotonic() - self._jwks_fetched_at > 300
            or (kid is not None and not self._has_kid(kid))
        ):
            await self._refresh_jwks()
        if self._jwks is not None:
            keys.extend(
                k.key
                for k in self._jwks.keys
                if k.public_key_use != "enc" and (kid is None or k.key_id in (kid, None))
            )
        return keys

    def _has_kid(self, kid: str | None) -> bool:
        return self._jwks is not None and any(k.key_id == kid for k in self._jwks.keys)

    async def _refresh_jwks(self) -> None:
        # re-fetch at most every 10 s, so unknown kids cannot make us hammer the IdP
        if time.monotonic() - self._jwks_fetched_at < 10 and self._jwks is not None:
            return
        try:
            response = await self.http.get(self.settings.oidc_jwks_url, timeout=10)
            response.raise_for_status()
            self._jwks = jwt.PyJWKSet.from_dict(response.json())
            self._jwks_fetched_at = time.monotonic()
        except (httpx.HTTPError, jwt.PyJWTError, ValueError):
            log.warning("could not fetch JWKS from %s", self.settings.oidc_jwks_url)

    async def verify(self, token: str) -> UserClaims:
        """Verify the token and return who it names; raises Unauthenticated."""
        if not self.enabled:
            raise Unauthenticated("Invalid Authentication")
        claims = self._decode(token, await self._candidate_keys(token))
        roles = _realm_roles(claims)
        if self.settings.oidc_role and self.settings.oidc_role not in roles:
            raise Unauthenticated("Invalid Authentication")
        username = self._username(claims)
        info: dict[str, Any] | None = claims
        if self.settings.oidc_authority:
            info = await self._userinfo(token, username)
        sync = info is not None
        info = info or {}
        return UserClaims(
            username=username,
            first_name=info.get("given_name"),
            last_name=info.get("family_name"),
            email=info.get("email"),
            roles=[r for r in roles if r in {"admin", "reviewer"}],
            token=token,
            sync_profile=sync,
        )

    def _decode(self, token: str, keys: list[Any]) -> dict[str, Any]:
        options: Options = {"require": ["sub"], "verify_aud": bool(self.settings.oidc_audience)}
        for key in keys:
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=self.algorithms,
                    audience=self.settings.oidc_audience or None,
                    issuer=self.settings.oidc_issuer or None,
                    options=options,
                    leeway=30,
                )
            except jwt.PyJWTError:
                continue
        raise Unauthenticated("Invalid Authentication")

    def _username(self, claims: dict[str, Any]) -> str:
        claim = self.settings.oidc_username_claim
        value = claims.get(claim)
        if not isinstance(value, str) or not value:
            raise Unauthenticated("Invalid Authentication")
        # upstream: username is the last ':'-separated part of `sub`
        return value.rsplit(":", 1)[-1] if claim == "sub" else value

    async def _userinfo(self, token: str, username: str) -> dict[str, Any] | None:
        """Fetch the userinfo document; None when recently synced. Failure → 401 as upstream."""
        seen = self._userinfo_seen.get(username)
        if seen is not None and time.monotonic() - seen < self.settings.oidc_userinfo_cache_seconds:
            return None
        try:
            if self._userinfo_url is None:
                discovery = await self.http.get(
                    self.settings.oidc_authority.rstrip("/") + "/.well-known/openid-configuration",
                    timeout=10,
                )
                discovery.raise_for_status()
                self._userinfo_url = str(discovery.json()["userinfo_endpoint"])
            response = await self.http.get(
                self._userinfo_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
            response.raise_for_status()
            info = response.json()
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise Unauthenticated(USERINFO_FAILED) from exc
        if not isinstance(info, dict):
            raise Unauthenticated(USERINFO_FAILED)
        # the userinfo document must name the same user as the token (upstream UserFilter);
        # `sub` is mandatory there, other claims are compared when the IdP includes them
        claim = self.settings.oidc_username_claim
        if claim == "sub" or claim in info:
            try:
                same = self._username(info) == username
            except Unauthenticated:
                same = False
            if not same:
                raise Unauthenticated(USERINFO_MISMATCH)
        self._userinfo_seen[username] = time.monotonic()
        return info
