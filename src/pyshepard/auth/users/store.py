from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.auth.apikeys.models import ApiKey
from pyshepard.auth.users.models import User
from pyshepard.core.chunks import chunked
from pyshepard.core.text import storable
from pyshepard.search.query import Field, Node, QueryError, to_sql
from pyshepard.subscriptions.models import Subscription

SEARCHABLE = {
    "username": Field(User.username),
    "firstName": Field(User.first_name),
    "lastName": Field(User.last_name),
    "email": Field(User.email),
}


class UserStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, username: str, *, include_deleted: bool = False) -> User | None:
        if not storable(username):
            return None
        user = await self.session.get(User, username)
        if user is None or (user.deleted and not include_deleted):
            return None
        return user

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def add_if_absent(self, user: User) -> bool:
        """Insert the user; False if a concurrent transaction stored the same name first."""
        try:
            async with self.session.begin_nested():
                self.session.add(user)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def list_all(self) -> Sequence[User]:
        result = await self.session.scalars(
            select(User).where(User.deleted.is_(False)).order_by(User.username)
        )
        return result.all()

    async def existing_usernames(self, usernames: set[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunked(sorted(name for name in usernames if storable(name))):
            result = await self.session.scalars(
                select(User.username).where(User.username.in_(chunk), User.deleted.is_(False))
            )
            found.update(result.all())
        return found

    async def search(self, query: Node) -> Sequence[User]:
        """Live users matching the query, filtered in SQL; QueryError if the database rejects it."""
        statement = (
            select(User)
            .where(User.deleted.is_(False), to_sql(query, SEARCHABLE))
            .order_by(User.username)
        )
        try:
            result = await self.session.scalars(statement)
        except DBAPIError as exc:  # e.g. a regex Python accepts but PostgreSQL does not
            raise QueryError("the database could not evaluate this query") from exc
        return result.all()

    async def remove_api_keys(self, username: str) -> None:
        await self.session.execute(delete(ApiKey).where(ApiKey.belongs_to == username))

    async def api_key_ids(self, usernames: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {name: [] for name in usernames}
        for chunk in chunked(found):
            rows = await self.session.execute(
                select(ApiKey.belongs_to, ApiKey.uid)
                .where(ApiKey.belongs_to.in_(chunk))
                .order_by(ApiKey.created_at, ApiKey.uid)
            )
            for owner, uid in rows:
                found[owner].append(uid)
        return found

    async def subscription_ids(self, usernames: Sequence[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {name: [] for name in usernames}
        for chunk in chunked(found):
            rows = await self.session.execute(
                select(Subscription.created_by, Subscription.id)
                .where(Subscription.created_by.in_(chunk))
                .order_by(Subscription.id)
            )
            for owner, subscription_id in rows:
                found[owner].append(subscription_id)
        return found
