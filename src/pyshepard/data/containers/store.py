from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, func, literal, select, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from pyshepard.auth.permissions.policy import AccessFacts
from pyshepard.auth.permissions.store import facts_from_rows, facts_selects
from pyshepard.core.chunks import chunked
from pyshepard.core.ids import next_entity_id
from pyshepard.core.precondition import Precondition, Rows, SqliteStatement
from pyshepard.core.text import text_is
from pyshepard.data.containers.models import Container
from pyshepard.data.containers.schemas import BasicContainerAttributes, ContainerAttributes
from pyshepard.search.query import Column, Field, Kind, Node, QueryError, to_sql

# upstream orders text attributes by toLower(...)
_ORDER_COLUMNS: dict[ContainerAttributes, Column] = {
    ContainerAttributes.createdAt: Container.created_at,
    ContainerAttributes.updatedAt: Container.updated_at,
    ContainerAttributes.name: func.lower(Container.name),
}
_SEARCH_ORDER: dict[BasicContainerAttributes, Column] = {
    BasicContainerAttributes.createdAt: Container.created_at,
    BasicContainerAttributes.createdBy: func.lower(Container.created_by),
    BasicContainerAttributes.type: Container.type,
    BasicContainerAttributes.id: Container.id,
    BasicContainerAttributes.name: func.lower(Container.name),
}
SEARCHABLE = {
    "id": Field(Container.id, Kind.INTEGER),
    "name": Field(Container.name),
    "createdBy": Field(Container.created_by),
    "updatedBy": Field(Container.updated_by),
    "createdAt": Field(Container.created_at, Kind.DATETIME),
    "updatedAt": Field(Container.updated_at, Kind.DATETIME),
}


def _kind_and_facts(*, hold: bool) -> Any:
    """The live container's kind and the caller's access facts, one round trip (the check in
    front of every payload write and read). `hold`: the container row is share-locked until
    the transaction ends (PostgreSQL; SQLite's writers are serialised anyway)."""
    container_id: BindParameter[int] = bindparam("entity_id")
    live = select(Container.type).where(Container.id == container_id, Container.deleted.is_(False))
    if hold:
        live = live.with_for_update(read=True)
    found = live.subquery("live")
    kind = select(literal("container"), found.c.type, literal(None, String))
    return union_all(kind, *facts_selects(container_id, bindparam("username")))


# A writer holds the container row share-locked (FOR SHARE) from its access check to its
# commit: a delete's UPDATE of the row waits for writers in flight, so the payload it deletes
# includes theirs, and a writer that comes later waits for the delete and then finds the
# container gone (PostgreSQL re-checks `NOT deleted` on the row it waited for).
_KIND_AND_FACTS = _kind_and_facts(hold=False)
_KIND_AND_FACTS_HELD = _kind_and_facts(hold=True)
_KIND_AND_FACTS_SQLITE = SqliteStatement.of(_KIND_AND_FACTS)
KindAndFacts = tuple[str | None, AccessFacts]


def _kind_and_facts_of(rows: Rows, username: str) -> KindAndFacts:
    kind = next((row[1] for row in rows if row[0] == "container"), None)
    return kind, facts_from_rows(rows, username)


def kind_and_facts_precondition(
    container_id: int,
    username: str,
    verdict: Callable[[str | None, AccessFacts], None],
    *,
    hold: bool,
) -> Precondition:
    """`verdict(kind, facts)` as `ContainerStore.kind_and_facts` would feed it, as a check
    another store can run in the same trip as its own statements."""
    return Precondition(
        statement=_KIND_AND_FACTS_HELD if hold else _KIND_AND_FACTS,
        sqlite=_KIND_AND_FACTS_SQLITE,
        params={"entity_id": container_id, "username": username},
        verdict=lambda rows: verdict(*_kind_and_facts_of(rows, username)),
    )


class ContainerStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live_of_kind(self, container_ids: set[int], kind: str) -> set[int]:
        """Those of `container_ids` that are live containers of `kind`."""
        found: set[int] = set()
        for chunk in chunked(sorted(container_ids)):
            rows = await self.session.scalars(
                select(Container.id).where(
                    Container.id.in_(chunk), Container.type == kind, Container.deleted.is_(False)
                )
            )
            found.update(rows.all())
        return found

    async def get(self, container_id: int, *, hold: bool = False) -> Container | None:
        """The live container (any kind), or None; `hold`: share-locked (see _KIND_AND_FACTS)."""
        if hold:
            statement = (
                select(Container)
                .where(Container.id == container_id)
                .with_for_update(read=True)
                .execution_options(populate_existing=True)
            )
            container = (await self.session.scalars(statement)).first()
        else:
            container = await self.session.get(Container, container_id)
        return None if container is None or container.deleted else container

    async def kind_and_facts(
        self, container_id: int, username: str, *, hold: bool = False
    ) -> KindAndFacts:
        """The live container's kind (None: no such container) and `username`'s access facts;
        `hold`: the container row stays share-locked (see _KIND_AND_FACTS)."""
        result = await self.session.execute(
            _KIND_AND_FACTS_HELD if hold else _KIND_AND_FACTS,
            {"entity_id": container_id, "username": username},
        )
        return _kind_and_facts_of([tuple(row) for row in result.all()], username)

    async def create(self, **fields: Any) -> Container:
        container = Container(id=await next_entity_id(self.session), **fields)
        self.session.add(container)
        await self.session.flush()
        return container

    async def list(
        self,
        kind: str,
        readable: ColumnElement[bool],
        *,
        name: str | None,
        window: tuple[int, int] | None,
        order_by: ContainerAttributes | None,
        order_desc: bool,
    ) -> Sequence[Container]:
        statement = select(Container).where(
            Container.type == kind, Container.deleted.is_(False), readable
        )
        if name is not None:
            statement = statement.where(text_is(Container.name, name))
        column = _ORDER_COLUMNS[order_by] if order_by else Container.id
        statement = statement.order_by(
            column.desc() if order_desc else column.asc(), Container.id.asc()
        )
        if window is not None:
            statement = statement.offset(window[0]).limit(window[1])
        return (await self.session.scalars(statement)).all()

    async def soft_delete(self, container: Container) -> None:
        container.deleted = True
        await self.session.flush()

    async def search(
        self,
        kinds: Sequence[str] | None,
        readable: ColumnElement[bool],
        query: Node,
        *,
        window: tuple[int, int] | None,
        order_by: BasicContainerAttributes,
        order_desc: bool,
    ) -> tuple[Sequence[Container], int]:
        """Readable live containers (of `kinds`, all when None) matching the query, one page of
        them and how many match in total; filtered, ordered and paged in SQL."""
        condition = select(Container.id).where(
            Container.deleted.is_(False), readable, to_sql(query, SEARCHABLE)
        )
        if kinds is not None:
            condition = condition.where(Container.type.in_(kinds))
        column = _SEARCH_ORDER[order_by]
        statement = (
            select(Container)
            .where(Container.id.in_(condition.scalar_subquery()))
            .order_by(column.desc() if order_desc else column.asc(), Container.id.asc())
        )
        if window is not None:
            statement = statement.offset(window[0]).limit(window[1])
        total = select(func.count()).select_from(condition.subquery())
        try:
            rows = (await self.session.scalars(statement)).all()
            count = int((await self.session.execute(total)).scalar_one())
        except DBAPIError as exc:  # e.g. a regex Python accepts but PostgreSQL does not
            raise QueryError("the database could not evaluate this query") from exc
        return rows, count
