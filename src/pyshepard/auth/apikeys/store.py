from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.auth.apikeys.models import ApiKey, SigningKey
from pyshepard.auth.recent_credentials import Credential
from pyshepard.auth.users.models import User

# built once: it runs on every API-key request
_CREDENTIAL = (
    select(ApiKey.jws, ApiKey.belongs_to, ApiKey.expires_at, User.roles)
    .join(User, User.username == ApiKey.belongs_to)
    .where(ApiKey.uid == bindparam("uid"), User.deleted.is_(False))
)


class ApiKeyStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, uid: str) -> ApiKey | None:
        return await self.session.get(ApiKey, uid)

    async def credential(self, uid: str) -> Credential | None:
        """The key and its live owner in one round trip (asked on every API-key request)."""
        row = (await self.session.execute(_CREDENTIAL, {"uid": uid})).one_or_none()
        if row is None:
            return None
        return Credential(
            jws=row.jws, username=row.belongs_to, expires_at=row.expires_at, roles=tuple(row.roles)
        )

    async def list_for(self, username: str) -> Sequence[ApiKey]:
        result = await self.session.scalars(
            select(ApiKey).where(ApiKey.belongs_to == username).order_by(ApiKey.created_at)
        )
        return result.all()

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        return key

    async def delete(self, uid: str) -> None:
        await self.session.execute(delete(ApiKey).where(ApiKey.uid == uid))
        await self.session.flush()

    async def signing_key(self, name: str) -> SigningKey | None:
        return await self.session.get(SigningKey, name)

    async def add_signing_key(self, key: SigningKey) -> bool:
        """Insert the key; False if another process stored one first."""
        try:
            async with self.session.begin_nested():
                self.session.add(key)
                await self.session.flush()
        except IntegrityError:
            return False
        return True
