"""Users: local accounts, OIDC upserts, lookups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import bcrypt

from pyshepard.auth import recent_credentials
from pyshepard.auth.users.models import User
from pyshepard.auth.users.store import UserStore
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import Conflict, InvalidInput, NotFound
from pyshepard.core.identity import Principal
from pyshepard.search.query import Node


@dataclass(frozen=True)
class UserProfile:
    """A user with the ids of their subscriptions and API keys (upstream's User view)."""

    user: User
    subscription_ids: list[int]
    api_key_ids: list[str]


def _store(uow: UnitOfWork) -> UserStore:
    return UserStore(uow.session)


async def get_user(uow: UnitOfWork, username: str) -> User:
    """The user; raises NotFound with upstream's message."""
    user = await _store(uow).get(username)
    if user is None:
        raise NotFound(f"User with name {username} not found")
    return user


async def current_profile(uow: UnitOfWork, actor: Principal) -> UserProfile:
    """The caller's profile; InvalidInput if the caller has no user record (upstream's 400)."""
    user = await _store(uow).get(actor.username)
    if user is None:
        raise InvalidInput("Could not determine current user")
    return (await _profiles(uow, [user]))[0]


async def get_profile(uow: UnitOfWork, username: str) -> UserProfile:
    """Any authenticated caller may look a user up; raises NotFound."""
    return (await _profiles(uow, [await get_user(uow, username)]))[0]


async def search_profiles(uow: UnitOfWork, query: Node) -> list[UserProfile]:
    """Users matching a parsed search query; raises QueryError (400) for unusable values."""
    return await _profiles(uow, await _store(uow).search(query))


async def _profiles(uow: UnitOfWork, found: Sequence[User]) -> list[UserProfile]:
    names = [user.username for user in found]
    keys = await _store(uow).api_key_ids(names)
    subscriptions = await _store(uow).subscription_ids(names)
    return [UserProfile(user, subscriptions[user.username], keys[user.username]) for user in found]


async def find_user(uow: UnitOfWork, username: str) -> User | None:
    return await _store(uow).get(username)


async def list_users(uow: UnitOfWork) -> Sequence[User]:
    return await _store(uow).list_all()


async def existing_usernames(uow: UnitOfWork, usernames: set[str]) -> set[str]:
    return await _store(uow).existing_usernames(usernames)


async def create_user(
    uow: UnitOfWork,
    username: str,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    roles: Sequence[str] = (),
) -> User:
    """Create a local account; raises Conflict if the name is taken, InvalidInput if blank."""
    if not username.strip() or any(ch in username for ch in "/\\ \t\n"):
        raise InvalidInput("username must be non-empty and contain no slashes or whitespace")
    store = _store(uow)
    existing = await store.get(username, include_deleted=True)
    if existing is not None and not existing.deleted:
        raise Conflict(f"User {username} already exists")
    password_hash = await _hash(password) if password else None
    if existing is not None:  # re-create a deleted account under the same name
        existing.deleted = False
        existing.first_name, existing.last_name, existing.email = first_name, last_name, email
        existing.password_hash, existing.roles = password_hash, list(roles)
        await uow.session.flush()
        _forget_credentials(uow, username)
        return existing
    return await store.add(
        User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            password_hash=password_hash,
            roles=list(roles),
            created_at=utcnow(),
        )
    )


async def upsert_oidc_user(
    uow: UnitOfWork,
    username: str,
    *,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    roles: Sequence[str] = (),
) -> User:
    """Create or refresh the user an OIDC token names (upstream UserFilter behaviour)."""
    store = _store(uow)
    user = await store.get(username, include_deleted=True)
    if user is None:
        candidate = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            roles=list(roles),
            created_at=utcnow(),
        )
        # a UI fires several requests at once after login: only one of them may insert
        if await store.add_if_absent(candidate):
            return candidate
        user = await store.get(username, include_deleted=True)
        if user is None:  # pragma: no cover - the insert only fails when the row exists
            raise Conflict(f"User {username} already exists")
    if user.deleted:
        raise NotFound(f"User with name {username} not found")
    changed = (user.first_name, user.last_name, user.email) != (first_name, last_name, email)
    if changed:
        user.first_name, user.last_name, user.email = first_name, last_name, email
    if roles and sorted(user.roles) != sorted(roles):
        user.roles = list(roles)
        _forget_credentials(uow, username)
    await uow.session.flush()
    return user


async def delete_user(uow: UnitOfWork, username: str) -> None:
    """Soft-delete a user and revoke their API keys for good (a user re-created under the same
    name starts without keys). Their bearer tokens stop working at once. Raises NotFound."""
    user = await get_user(uow, username)
    user.deleted = True
    await _store(uow).remove_api_keys(username)
    await uow.session.flush()
    _forget_credentials(uow, username)


def _forget_credentials(uow: UnitOfWork, username: str) -> None:
    """The user's API keys carry the user's state (deleted, roles): no process-local memory of
    an earlier check may outlive this change."""
    uow.now_and_after_commit(lambda: recent_credentials.forget_user(username))


async def verify_password(uow: UnitOfWork, username: str, password: str) -> User | None:
    user = await _store(uow).get(username)
    if user is None or not user.password_hash:
        return None
    ok = await anyio.to_thread.run_sync(
        bcrypt.checkpw, password.encode(), user.password_hash.encode()
    )
    return user if ok else None


async def _hash(password: str) -> str:
    hashed = await anyio.to_thread.run_sync(bcrypt.hashpw, password.encode(), bcrypt.gensalt())
    return hashed.decode()
