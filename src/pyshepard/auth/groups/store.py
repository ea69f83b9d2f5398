from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.auth.groups.models import UserGroup, UserGroupMember
from pyshepard.auth.users.models import User
from pyshepard.core.chunks import chunked
from pyshepard.search.query import Column, Field, Kind, Node, QueryError, to_sql

SEARCHABLE = {
    "id": Field(UserGroup.id, Kind.INTEGER),
    "name": Field(UserGroup.name),
    "createdBy": Field(UserGroup.created_by),
    "updatedBy": Field(UserGroup.updated_by),
    "createdAt": Field(UserGroup.created_at, Kind.DATETIME),
    "updatedAt": Field(UserGroup.updated_at, Kind.DATETIME),
}


class GroupOrder(StrEnum):
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"
    NAME = "name"


_ORDER_COLUMNS: dict[GroupOrder, Column] = {
    GroupOrder.CREATED_AT: UserGroup.created_at,
    GroupOrder.UPDATED_AT: UserGroup.updated_at,
    GroupOrder.NAME: func.lower(UserGroup.name),
}


class GroupStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, group_id: int) -> UserGroup | None:
        """The live (not soft-deleted) group, or None."""
        group = await self.session.get(UserGroup, group_id)
        return None if group is None or group.deleted else group

    async def add(self, group: UserGroup) -> UserGroup:
        self.session.add(group)
        await self.session.flush()
        return group

    async def set_members(self, group_id: int, usernames: Sequence[str]) -> None:
        await self.session.execute(
            delete(UserGroupMember).where(UserGroupMember.group_id == group_id)
        )
        self.session.add_all(
            UserGroupMember(group_id=group_id, username=name) for name in dict.fromkeys(usernames)
        )
        await self.session.flush()

    async def members(self, group_ids: Sequence[int]) -> dict[int, list[str]]:
        """Live members per group, by username."""
        found: dict[int, list[str]] = {group_id: [] for group_id in group_ids}
        for chunk in chunked(found):
            rows = await self.session.execute(
                select(UserGroupMember.group_id, UserGroupMember.username)
                .join(User, User.username == UserGroupMember.username)
                .where(UserGroupMember.group_id.in_(chunk), User.deleted.is_(False))
                .order_by(UserGroupMember.group_id, UserGroupMember.username)
            )
            for group_id, username in rows:
                found[group_id].append(username)
        return found

    async def list_readable(
        self,
        readable: ColumnElement[bool],
        *,
        offset: int | None,
        limit: int | None,
        order_by: GroupOrder | None,
        descending: bool,
    ) -> Sequence[UserGroup]:
        statement = self._live(readable)
        if order_by is not None:
            column = _ORDER_COLUMNS[order_by]
            ordered = column.desc().nulls_first() if descending else column.asc().nulls_last()
            statement = statement.order_by(ordered, UserGroup.id)
        else:
            statement = statement.order_by(UserGroup.id)
        if limit is not None:
            statement = statement.offset(offset or 0).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def search(self, readable: ColumnElement[bool], query: Node) -> Sequence[UserGroup]:
        """Readable live groups matching the query, filtered in SQL."""
        statement = self._live(readable).where(to_sql(query, SEARCHABLE)).order_by(UserGroup.id)
        try:
            return (await self.session.scalars(statement)).all()
        except DBAPIError as exc:  # e.g. a regex Python accepts but PostgreSQL does not
            raise QueryError("the database could not evaluate this query") from exc

    @staticmethod
    def _live(readable: ColumnElement[bool]) -> Select[UserGroup]:
        return select(UserGroup).where(UserGroup.deleted.is_(False), readable)
