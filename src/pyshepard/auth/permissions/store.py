from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    delete,
    exists,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from pyshepard.auth.groups.models import UserGroup, UserGroupMember
from pyshepard.auth.permissions.models import Permission, PermissionGrant, PermissionGroupGrant
from pyshepard.auth.permissions.policy import (
    MANAGER,
    READER,
    WRITER,
    AccessFacts,
    Action,
    PermissionType,
)
from pyshepard.core.chunks import chunked


def facts_selects(entity_id: BindParameter[int], username: BindParameter[str]) -> list[Any]:
    """The permission row, the user's own roles and the roles of the live groups the user is
    in, as three SELECTs of (source, value, kind) to be UNIONed (a caller may add its own)."""
    own = select(
        literal("permission").label("source"),
        Permission.owner.label("value"),
        Permission.permission_type.label("kind"),
    ).where(Permission.entity_id == entity_id)
    user_roles = select(literal("user"), PermissionGrant.role, literal(None, String)).where(
        PermissionGrant.entity_id == entity_id, PermissionGrant.username == username
    )
    group_roles = (
        select(literal("group"), PermissionGroupGrant.role, literal(None, String))
        .join(UserGroupMember, UserGroupMember.group_id == PermissionGroupGrant.group_id)
        .join(UserGroup, UserGroup.id == PermissionGroupGrant.group_id)
        .where(
            PermissionGroupGrant.entity_id == entity_id,
            UserGroupMember.username == username,
            UserGroup.deleted.is_(False),
        )
    )
    return [own, user_roles, group_roles]


def facts_from_rows(rows: Sequence[tuple[Any, ...]], username: str) -> AccessFacts:
    """AccessFacts from the rows of `facts_selects` (other sources are ignored)."""
    permission = next((row for row in rows if row[0] == "permission"), None)
    if permission is None:
        return AccessFacts(False, False, PermissionType.PRIVATE, frozenset(), frozenset())
    return AccessFacts(
        has_permissions=True,
        is_owner=permission[1] == username,
        permission_type=permission[2],
        user_roles=frozenset(row[1] for row in rows if row[0] == "user"),
        group_roles=frozenset(row[1] for row in rows if row[0] == "group"),
    )


# built once: composing it per request cost more than running it
_FACTS = union_all(*facts_selects(bindparam("entity_id"), bindparam("username")))


class PermissionStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, entity_id: int) -> Permission | None:
        return await self.session.get(Permission, entity_id)

    async def grants(
        self, entity_id: int
    ) -> tuple[list[PermissionGrant], list[PermissionGroupGrant]]:
        users = await self.session.scalars(
            select(PermissionGrant)
            .where(PermissionGrant.entity_id == entity_id)
            .order_by(PermissionGrant.username)
        )
        groups = await self.session.scalars(
            select(PermissionGroupGrant)
            .where(PermissionGroupGrant.entity_id == entity_id)
            .order_by(PermissionGroupGrant.group_id)
        )
        return list(users.all()), list(groups.all())

    async def facts(self, entity_id: int, username: str) -> AccessFacts:
        # one round trip, asked by every request of every entity kind
        result: Result[Any] = await self.session.execute(
            _FACTS, {"entity_id": entity_id, "username": username}
        )
        return facts_from_rows([tuple(row) for row in result.all()], username)

    async def replace(
        self,
        entity_id: int,
        *,
        owner: str | None,
        permission_type: str,
        users: dict[str, Iterable[str]],
        groups: dict[str, Iterable[int]],
    ) -> None:
        permission = await self.get(entity_id)
        if permission is None:
            permission = Permission(entity_id=entity_id)
            self.session.add(permission)
        permission.owner = owner
        permission.permission_type = permission_type
        await self.session.flush()
        await self.session.execute(
            delete(PermissionGrant).where(PermissionGrant.entity_id == entity_id)
        )
        await self.session.execute(
            delete(PermissionGroupGrant).where(PermissionGroupGrant.entity_id == entity_id)
        )
        for role, names in users.items():
            for name in sorted(set(names)):
                self.session.add(PermissionGrant(entity_id=entity_id, role=role, username=name))
        for role, ids in groups.items():
            for group_id in sorted(set(ids)):
                self.session.add(
                    PermissionGroupGrant(entity_id=entity_id, role=role, group_id=group_id)
                )
        await self.session.flush()

    async def existing_group_ids(self, group_ids: set[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunked(sorted(group_ids)):
            result = await self.session.scalars(
                select(UserGroup.id).where(UserGroup.id.in_(chunk), UserGroup.deleted.is_(False))
            )
            found.update(result.all())
        return found

    async def remove_group_grants(self, group_id: int) -> None:
        await self.session.execute(
            delete(PermissionGroupGrant).where(PermissionGroupGrant.group_id == group_id)
        )
        await self.session.flush()

    async def remove(self, entity_id: int) -> None:
        await self.session.execute(delete(Permission).where(Permission.entity_id == entity_id))
        await self.session.flush()


def access_clause(
    username: str, entity_id: ColumnElement[int], action: Action
) -> ColumnElement[bool]:
    """SQL twin of `AccessFacts.allows`, for filtering lists in the database."""
    user_roles = {Action.READ: (READER, WRITER, MANAGER), Action.WRITE: (WRITER, MANAGER)}
    group_roles = {Action.READ: (READER, WRITER), Action.WRITE: (WRITER,)}
    open_types = {
        Action.READ: (PermissionType.PUBLIC.value, PermissionType.PUBLIC_READABLE.value),
        Action.WRITE: (PermissionType.PUBLIC.value,),
    }
    no_permissions = not_(exists().where(Permission.entity_id == entity_id))
    owner_or_open = exists().where(
        Permission.entity_id == entity_id,
        or_(
            Permission.owner == username,
            Permission.permission_type.in_(open_types.get(action, ())),
        ),
    )
    listed = exists().where(
        PermissionGrant.entity_id == entity_id,
        PermissionGrant.username == username,
        PermissionGrant.role.in_(user_roles.get(action, (MANAGER,))),
    )
    clauses = [no_permissions, owner_or_open, listed]
    if action in group_roles:
        clauses.append(
            exists()
            .where(
                PermissionGroupGrant.entity_id == entity_id,
                PermissionGroupGrant.role.in_(group_roles[action]),
            )
            .where(
                exists().where(
                    and_(
                        UserGroupMember.group_id == PermissionGroupGrant.group_id,
                        UserGroupMember.username == username,
                        UserGroup.id == UserGroupMember.group_id,
                        UserGroup.deleted.is_(False),
                    )
                )
            )
        )
    return or_(*clauses)
