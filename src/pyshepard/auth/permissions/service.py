"""Permission checks, list filters and the permissions/roles use cases of every entity kind."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from pyshepard.auth.permissions.policy import (
    MANAGER,
    READER,
    WRITER,
    AccessFacts,
    Action,
    PermissionType,
)
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.auth.permissions.store import PermissionStore, access_clause
from pyshepard.auth.users import service as users
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import PermissionDenied
from pyshepard.core.identity import Principal

__all__ = ["Action", "PermissionType"]

OWNER_ONLY = "Action not allowed. Only Owners are allowed to change ownership."


def _store(uow: UnitOfWork) -> PermissionStore:
    return PermissionStore(uow.session)


def filter_by_access(
    actor: Principal, entity_id: ColumnElement[int], action: Action = Action.READ
) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows `actor` may perform `action` on (evaluated in SQL)."""
    return access_clause(actor.username, entity_id, action)


async def facts(uow: UnitOfWork, actor: Principal, entity_id: int) -> AccessFacts:
    """What the permissions say about `actor` and the entity (decide several actions at once)."""
    return await _store(uow).facts(entity_id, actor.username)


async def allows(uow: UnitOfWork, actor: Principal, action: Action, entity_id: int) -> bool:
    return (await facts(uow, actor, entity_id)).allows(action)


async def require(uow: UnitOfWork, actor: Principal, action: Action, entity_id: int) -> None:
    """Raises PermissionDenied unless `actor` may perform `action` on the entity."""
    if not await allows(uow, actor, action, entity_id):
        raise PermissionDenied()


async def create_default(uow: UnitOfWork, entity_id: int, owner: str) -> None:
    """New entities are Private and owned by their creator."""
    await _store(uow).replace(
        entity_id, owner=owner, permission_type=PermissionType.PRIVATE, users={}, groups={}
    )


async def remove(uow: UnitOfWork, entity_id: int) -> None:
    await _store(uow).remove(entity_id)


async def forget_group(uow: UnitOfWork, group_id: int) -> None:
    """Drop a deleted group from every entity's reader/writer group lists."""
    await _store(uow).remove_group_grants(group_id)


async def get_permissions(uow: UnitOfWork, actor: Principal, entity_id: int) -> Permissions:
    """Needs Manage. The caller has already resolved the entity (404 first)."""
    await require(uow, actor, Action.MANAGE, entity_id)
    return await _read(uow, entity_id)


async def _read(uow: UnitOfWork, entity_id: int) -> Permissions:
    store = _store(uow)
    permission = await store.get(entity_id)
    user_grants, group_grants = await store.grants(entity_id)
    by_role: dict[str, list[str]] = {READER: [], WRITER: [], MANAGER: []}
    for grant in user_grants:
        by_role[grant.role].append(grant.username)
    groups: dict[str, list[int]] = {READER: [], WRITER: []}
    for group_grant in group_grants:
        groups[group_grant.role].append(group_grant.group_id)
    return Permissions(
        entityId=entity_id,
        owner=permission.owner if permission else None,
        permissionType=PermissionType(permission.permission_type)
        if permission
        else PermissionType.PUBLIC,
        reader=by_role[READER],
        writer=by_role[WRITER],
        manager=by_role[MANAGER],
        readerGroupIds=groups[READER],
        writerGroupIds=groups[WRITER],
    )


async def set_permissions(
    uow: UnitOfWork, actor: Principal, entity_id: int, update: Permissions
) -> Permissions:
    """Needs Manage; only the owner may hand ownership on. Unknown users and groups are dropped."""
    await require(uow, actor, Action.MANAGE, entity_id)
    current = await _store(uow).get(entity_id)
    owner = current.owner if current else None
    if update.owner is not None and update.owner != owner:
        if owner is not None and owner != actor.username:
            raise PermissionDenied(OWNER_ONLY)
        if await users.find_user(uow, update.owner) is not None:
            owner = update.owner
    names = set(update.reader) | set(update.writer) | set(update.manager)
    known = await users.existing_usernames(uow, names)
    group_ids = set(update.readerGroupIds) | set(update.writerGroupIds)
    known_groups = await _store(uow).existing_group_ids(group_ids)
    await _store(uow).replace(
        entity_id,
        owner=owner,
        # upstream accepts a missing type (PermissionsIO has no @NotNull): no public access
        permission_type=update.permissionType or PermissionType.PRIVATE,
        users={
            READER: [n for n in update.reader if n in known],
            WRITER: [n for n in update.writer if n in known],
            MANAGER: [n for n in update.manager if n in known],
        },
        groups={
            READER: [g for g in update.readerGroupIds if g in known_groups],
            WRITER: [g for g in update.writerGroupIds if g in known_groups],
        },
    )
    return await _read(uow, entity_id)


async def get_roles(uow: UnitOfWork, actor: Principal, entity_id: int) -> Roles:
    """The caller's listed roles on the entity, as upstream reports them (an owner who is on
    no list is owner only); needs Read."""
    facts = await _store(uow).facts(entity_id, actor.username)
    if not facts.allows(Action.READ):
        raise PermissionDenied()
    return Roles(
        owner=facts.is_owner,
        manager=facts.is_manager,
        writer=facts.is_writer,
        reader=facts.is_reader,
    )
