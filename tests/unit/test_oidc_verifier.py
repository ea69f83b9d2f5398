"""OidcVerifier on its own: algorithm policy, issuer/audience, JWKS key selection and caching,
role and profile extraction. The IdP is an httpx MockTransport (the process boundary)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pyshepard.auth.oidc.verifier import OidcVerifier
from pyshepard.core.config import Settings
from pyshepard.core.errors import Unauthenticated

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def der_b64(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def jwk(private: rsa.RSAPrivateKey, **fields: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    data.update(fields)
    return data


def token(private: Any, *, alg: str = "RS256", kid: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "f:realm:alice", "iat": now, "exp": now + 300, **claims}
    return jwt.encode(body, private, algorithm=alg, headers={"kid": kid} if kid else None)


class Idp:
    """Counts requests per path and answers from a table."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if request.url.path not in self.routes:
            return httpx.Response(404)
        return httpx.Response(200, json=self.routes[request.url.path])


@pytest.fixture
async def http_for() -> AsyncIterator[Callable[[Handler], httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def make(handler: Handler) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def verifier(http: httpx.AsyncClient, tmp_path: Path, **settings: Any) -> OidcVerifier:
    return OidcVerifier(settings=Settings(data_dir=tmp_path, **settings), http=http)


async def rejected(v: OidcVerifier, jws: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await v.verify(jws)
    assert caught.value.message == "Invalid Authentication"


async def test_claims_roles_and_profile(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    v = verifier(http_for(Idp({})), tmp_path, oidc_public=der_b64(key))
    claims = await v.verify(
        token(
            key,
            given_name="Alice",
            family_name="Liddell",
            email="alice@example.org",
            realm_access={"roles": ["admin", "offline_access", "reviewer", 7]},
        )
    )
    assert claims.username == "alice"
    assert (claims.first_name, claims.last_name, claims.email) == (
        "Alice",
        "Liddell",
        "alice@example.org",
    )
    assert sorted(claims.roles) == ["admin", "reviewer"]
    assert claims.sync_profile is True


async def test_whitespace_in_oidc_public_is_ignored(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    wrapped = "\n".join(der_b64(key)[i : i + 64] for i in range(0, len(der_b64(key)), 64))
    v = verifier(http_for(Idp({})), tmp_path, oidc_public=wrapped)
    assert (await v.verify(token(key))).username == "alice"


async def test_disabled_verifier_rejects_everything(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    v = verifier(http_for(Idp({})), tmp_path)
    assert not v.enabled
    await rejected(v, token(key))


async def test_symmetric_algorithms_stay_forbidden_even_if_configured(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    v = verifier(
        http_for(Idp({})),
        tmp_path,
        oidc_public=der_b64(key),
        oidc_algorithms=["HS256", "none", "RS256"],
    )
    assert v.algorithms == ["RS256"]
    secret = base64.b64decode(der_b64(key))
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(
        json.dumps({"sub": "mallory", "exp": int(time.time()) + 60}).encode()
    ).rstrip(b"=")
    mac = hmac.new(secret, header + b"." + body, hashlib.sha256).digest()
    forged = b".".join([header, body, base64.urlsafe_b64encode(mac).rstrip(b"=")]).decode()
    await rejected(v, forged)
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    await rejected(v, f"{unsigned}.{body.decode()}.")


async def test_ec_keys_work_and_algorithm_list_is_respected(
    tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    v = verifier(http_for(Idp({})), tmp_path, oidc_public=der_b64(ec_key))
    assert (await v.verify(token(ec_key, alg="ES256"))).username == "alice"
    only_rsa = verifier(
        http_for(Idp({})), tmp_path, oidc_public=der_b64(ec_key), oidc_algorithms=["RS256"]
    )
    await rejected(only_rsa, token(ec_key, alg="ES256"))


async def test_issuer_and_audience_are_checked_when_configured(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    v = verifier(
        http_for(Idp({})),
        tmp_path,
        oidc_public=der_b64(key),
        oidc_issuer="https://idp.example.org/realms/r",
        oidc_audience="shepard",
    )
    good = token(key, iss="https://idp.example.org/realms/r", aud="shepard")
    assert (await v.verify(good)).username == "alice"
    await rejected(v, token(key, iss="https://evil.example.org", aud="shepard"))
    await rejected(v, token(key, iss="https://idp.example.org/realms/r", aud="other"))
    await rejected(v, token(key))
    # upstream checks neither: without configuration any iss/aud passes
    lax = verifier(http_for(Idp({})), tmp_path, oidc_public=der_b64(key))
    assert (await lax.verify(token(key, iss="anything", aud="whatever"))).username == "alice"


async def test_expiry_has_a_small_leeway_only(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    v = verifier(http_for(Idp({})), tmp_path, oidc_public=der_b64(key))
    now = int(time.time())
    assert (await v.verify(token(key, exp=now - 5))).username == "alice"
    await rejected(v, token(key, exp=now - 120))


async def test_jwks_url_selects_by_kid_and_skips_encryption_keys(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp = Idp(
        {
            "/certs": {
                "keys": [
                    jwk(other, kid="old", use="sig"),
                    jwk(key, kid="enc-1", use="enc"),
                    jwk(key, kid="current", use="sig"),
                ]
            }
        }
    )
    v = verifier(http_for(idp), tmp_path, oidc_jwks_url="https://idp.test/certs")
    assert (await v.verify(token(key, kid="current"))).username == "alice"
    assert (await v.verify(token(key))).username == "alice"  # no kid: every signing key
    await rejected(v, token(key, kid="enc-1"))
    await rejected(v, token(key, kid="old"))
    assert idp.calls == ["/certs"]


async def test_unknown_kid_refetches_at_most_every_ten_seconds(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    idp = Idp({"/certs": {"keys": [jwk(key, kid="a")]}})
    v = verifier(http_for(idp), tmp_path, oidc_jwks_url="https://idp.test/certs")
    assert (await v.verify(token(key, kid="a"))).username == "alice"
    for _ in range(3):
        await rejected(v, token(key, kid="unknown"))
    assert idp.calls == ["/certs"]


async def test_jwks_keys_without_kid_match_tokens_with_kid(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(key)]}))
    v = verifier(http_for(Idp({})), tmp_path, oidc_jwks_file=str(path))
    assert (await v.verify(token(key, kid=str(uuid.uuid4())))).username == "alice"


async def test_static_key_and_jwks_together(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(rotated, kid="new")]}))
    v = verifier(http_for(Idp({})), tmp_path, oidc_public=der_b64(key), oidc_jwks_file=str(path))
    assert (await v.verify(token(key, kid="legacy"))).username == "alice"
    assert (await v.verify(token(rotated, kid="new"))).username == "alice"


async def test_username_claim_rules(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    by_sub = verifier(http_for(Idp({})), tmp_path, oidc_public=der_b64(key))
    assert (await by_sub.verify(token(key, sub="no-colons"))).username == "no-colons"
    assert (await by_sub.verify(token(key, sub="a:b:c:d"))).username == "d"
    await rejected(by_sub, token(key, sub=""))
    by_email = verifier(
        http_for(Idp({})), tmp_path, oidc_public=der_b64(key), oidc_username_claim="email"
    )
    # other claims are taken whole, colons included
    assert (
        await by_email.verify(token(key, email="x:y@example.org"))
    ).username == "x:y@example.org"
    await rejected(by_email, token(key))
    await rejected(by_email, token(key, email=["a", "b"]))


async def test_userinfo_is_cached_per_user(
    key: rsa.RSAPrivateKey, tmp_path: Path, http_for: Callable[[Handler], httpx.AsyncClient]
) -> None:
    idp = Idp(
        {
            "/realm/.well-known/openid-configuration": {
                "userinfo_endpoint": "https://idp.test/realm/userinfo"
            },
            "/realm/userinfo": {"sub": "f:realm:alice", "given_name": "From", "email": "u@x.org"},
        }
    )
    v = verifier(
        http_for(idp), tmp_path, oidc_public=der_b64(key), oidc_authority="https://idp.test/realm"
    )
    first = await v.verify(token(key, given_name="Token"))
    assert (first.first_name, first.email, first.sync_profile) == ("From", "u@x.org", True)
    second = await v.verify(token(key))
    assert second.sync_profile is False
    assert second.first_name is None
    assert idp.calls == ["/realm/.well-known/openid-configuration", "/realm/userinfo"]
    no_cache = verifier(
        http_for(idp),
        tmp_path,
        oidc_public=der_b64(key),
        oidc_authority="https://idp.test/realm",
        oidc_userinfo_cache_seconds=0,
    )
    await no_cache.verify(token(key))
    await no_cache.verify(token(key))
    assert idp.calls.count("/realm/userinfo") == 3
    assert idp.calls.count("/realm/.well-known/openid-configuration") == 2  # once per verifier
