"""User groups: BasicEntities with members, guarded by their own permissions (BEHAVIOUR §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyshepard.auth.groups.models import UserGroup
from pyshepard.auth.groups.store import GroupOrder, GroupStore
from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.auth.users import service as users
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidInput, not_found
from pyshepard.core.identity import Principal
from pyshepard.core.ids import next_entity_id
from pyshepard.search.query import Node

__all__ = ["GroupOrder"]

KIND = "User Group"
MAX_NAME_LENGTH = 1024  # the user_groups.name column


@dataclass(frozen=True)
class GroupView:
    group: UserGroup
    usernames: list[str]


def _store(uow: UnitOfWork) -> GroupStore:
    return GroupStore(uow.session)


async def _views(uow: UnitOfWork, groups: Sequence[UserGroup]) -> list[GroupView]:
    members = await _store(uow).members([group.id for group in groups])
    return [GroupView(group, members[group.id]) for group in groups]


async def _load(uow: UnitOfWork, actor: Principal, group_id: int, action: Action) -> UserGroup:
    """NotFound first, then Read (upstream's getUserGroup), then `action`."""
    group = await _store(uow).get(group_id)
    if group is None:
        raise not_found(KIND, group_id)
    await permissions.require(uow, actor, Action.READ, group_id)
    if action is not Action.READ:
        await permissions.require(uow, actor, action, group_id)
    return group


def _check_name(name: str) -> None:
    if not name.strip():
        raise InvalidInput("name must not be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be at most {MAX_NAME_LENGTH} characters long")


async def _known(uow: UnitOfWork, usernames: Sequence[str | None]) -> list[str]:
    """Upstream silently drops names of users that do not exist."""
    wanted = [name for name in dict.fromkeys(usernames) if name is not None]
    known = await users.existing_usernames(uow, set(wanted))
    return [name for name in wanted if name in known]


async def create_group(
    uow: UnitOfWork, actor: Principal, *, name: str, usernames: Sequence[str | None]
) -> GroupView:
    """A new group, Private and owned by its creator. Raises InvalidInput."""
    _check_name(name)
    members = await _known(uow, usernames)
    group_id = await next_entity_id(uow.session)
    group = await _store(uow).add(
        UserGroup(id=group_id, name=name, created_at=utcnow(), created_by=actor.username)
    )
    await _store(uow).set_members(group_id, members)
    await permissions.create_default(uow, group_id, actor.username)
    return (await _views(uow, [group]))[0]


async def get_group(uow: UnitOfWork, actor: Principal, group_id: int) -> GroupView:
    """Raises NotFound, then PermissionDenied without Read."""
    return (await _views(uow, [await _load(uow, actor, group_id, Action.READ)]))[0]


async def list_groups(
    uow: UnitOfWork,
    actor: Principal,
    *,
    page: int | None = None,
    size: int | None = None,
    order_by: GroupOrder | None = None,
    descending: bool = False,
) -> list[GroupView]:
    """Groups the caller may read; paginated only when both page and size are given."""
    offset = limit = None
    if page is not None and size is not None:
        offset, limit = page * size, size
    groups = await _store(uow).list_readable(
        permissions.filter_by_access(actor, UserGroup.id.expression, Action.READ),
        offset=offset,
        limit=limit,
        order_by=order_by,
        descending=descending,
    )
    return await _views(uow, groups)


async def update_group(
    uow: UnitOfWork,
    actor: Principal,
    group_id: int,
    *,
    name: str,
    usernames: Sequence[str | None],
) -> GroupView:
    """Replaces name and members; needs Write. Raises InvalidInput, NotFound, PermissionDenied."""
    _check_name(name)
    group = await _load(uow, actor, group_id, Action.WRITE)
    group.name = name
    group.updated_at = utcnow()
    group.updated_by = actor.username
    await _store(uow).set_members(group_id, await _known(uow, usernames))
    return (await _views(uow, [group]))[0]


async def delete_group(uow: UnitOfWork, actor: Principal, group_id: int) -> None:
    """Soft-deletes the group and drops its permissions; needs Write (as upstream)."""
    group = await _load(uow, actor, group_id, Action.WRITE)
    group.deleted = True
    group.updated_at = utcnow()
    group.updated_by = actor.username
    await permissions.remove(uow, group_id)
    await permissions.forget_group(uow, group_id)
    await uow.session.flush()


async def get_group_permissions(uow: UnitOfWork, actor: Principal, group_id: int) -> Permissions:
    await _load(uow, actor, group_id, Action.READ)
    return await permissions.get_permissions(uow, actor, group_id)


async def set_group_permissions(
    uow: UnitOfWork, actor: Principal, group_id: int, update: Permissions
) -> Permissions:
    await _load(uow, actor, group_id, Action.READ)
    return await permissions.set_permissions(uow, actor, group_id, update)


async def get_group_roles(uow: UnitOfWork, actor: Principal, group_id: int) -> Roles:
    await _load(uow, actor, group_id, Action.READ)
    return await permissions.get_roles(uow, actor, group_id)


async def search_groups(uow: UnitOfWork, actor: Principal, query: Node) -> list[GroupView]:
    """Readable groups matching a parsed search query, filtered in SQL."""
    readable = permissions.filter_by_access(actor, UserGroup.id.expression, Action.READ)
    return await _views(uow, await _store(uow).search(readable, query))
