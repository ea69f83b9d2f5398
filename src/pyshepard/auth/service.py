"""Turn request credentials into a Principal (upstream order: Bearer, then X-API-KEY)."""

from __future__ import annotations

from pyshepard.auth.apikeys import service as apikeys
from pyshepard.auth.oidc.verifier import OidcVerifier
from pyshepard.auth.users import service as users
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import NotFound, Unauthenticated
from pyshepard.core.identity import Principal

MISSING = "Invalid/missing authorization header"
INVALID = "Invalid Authentication"


async def authenticate(
    uow: UnitOfWork,
    verifier: OidcVerifier,
    *,
    authorization: str | None,
    api_key: str | None,
) -> Principal:
    """Raises Unauthenticated with upstream's messages."""
    if authorization and authorization.startswith("Bearer "):
        claims = await verifier.verify(authorization.removeprefix("Bearer ").strip())
        existing = await users.find_user(uow, claims.username)
        if existing is None or claims.sync_profile:
            try:
                user = await users.upsert_oidc_user(
                    uow,
                    claims.username,
                    first_name=claims.first_name if claims.sync_profile else None,
                    last_name=claims.last_name if claims.sync_profile else None,
                    email=claims.email if claims.sync_profile else None,
                    roles=claims.roles,
                )
            except NotFound as exc:  # a deleted account: its tokens authenticate nobody
                raise Unauthenticated(INVALID) from exc
        else:
            user = existing
        # the identity provider is the authority on an OIDC user's platform roles: a realm role
        # taken away there is gone with the next token (the stored roles are never cleared)
        return Principal(username=user.username, roles=frozenset(claims.roles), via="oidc")
    # upstream checks presence, not content: an empty X-API-KEY is an invalid key
    if api_key is not None:
        return await apikeys.authenticate(uow, api_key)
    raise Unauthenticated(MISSING)
