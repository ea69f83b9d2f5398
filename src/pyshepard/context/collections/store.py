from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.context.collections.models import Collection
from pyshepard.context.collections.schemas import (
    BasicCollectionAttributes,
    DataObjectAttributes,
    ListQuery,
)
from pyshepard.context.dataobjects.models import DataObject
from pyshepard.context.references.models import Reference
from pyshepard.core.chunks import chunked
from pyshepard.core.ids import next_entity_id
from pyshepard.core.text import text_is
from pyshepard.search.query import Field, Kind, Node, Property, QueryError, to_sql

COLLECTION_REFERENCE = "CollectionReference"
# properties of the collection search (upstream: any node property, `attributes.<key>` too)
SEARCHABLE: dict[str, Property] = {
    "id": Field(Collection.id, Kind.INTEGER),
    "name": Field(Collection.name),
    "description": Field(Collection.description),
    "createdBy": Field(Collection.created_by),
    "updatedBy": Field(Collection.updated_by),
    "createdAt": Field(Collection.created_at, Kind.DATETIME),
    "updatedAt": Field(Collection.updated_at, Kind.DATETIME),
}
ATTRIBUTE_PREFIX = "attributes."
# upstream orders text by toLower(...)
_SEARCH_ORDER: dict[BasicCollectionAttributes, Any] = {
    BasicCollectionAttributes.createdAt: Collection.created_at,
    BasicCollectionAttributes.updatedAt: Collection.updated_at,
    BasicCollectionAttributes.createdBy: func.lower(Collection.created_by),
    BasicCollectionAttributes.id: Collection.id,
    BasicCollectionAttributes.name: func.lower(Collection.name),
}


def _attribute(name: str) -> Property | None:
    """`attributes.<key>`: the attribute's text value (NULL where the key is absent)."""
    if not name.startswith(ATTRIBUTE_PREFIX) or len(name) == len(ATTRIBUTE_PREFIX):
        return None
    return Field(Collection.attributes[name[len(ATTRIBUTE_PREFIX) :]].as_string())


_Columns = TypeVarTuple("_Columns")


class CollectionStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, collection_id: int) -> Collection | None:
        """The live (not soft-deleted) collection, or None."""
        collection = await self.session.get(Collection, collection_id)
        return None if collection is None or collection.deleted else collection

    async def create(self, **fields: Any) -> Collection:
        collection = Collection(id=await next_entity_id(self.session), **fields)
        self.session.add(collection)
        await self.session.flush()
        return collection

    async def search(self, query: ListQuery, readable: ColumnElement[bool]) -> Sequence[Collection]:
        statement = select(Collection).where(Collection.deleted.is_(False), readable)
        if query.name is not None:
            statement = statement.where(text_is(Collection.name, query.name))
        statement = ordered(statement, Collection, query)
        result = await self.session.scalars(statement)
        return result.all()

    async def query(
        self,
        query: Node,
        readable: ColumnElement[bool],
        *,
        window: tuple[int, int] | None,
        order_by: BasicCollectionAttributes,
        order_desc: bool,
    ) -> tuple[Sequence[Collection], int]:
        """Readable live collections matching the query language: one page of them and how
        many match in total; filtered, ordered and paged in SQL."""
        matching = select(Collection.id).where(
            Collection.deleted.is_(False), readable, to_sql(query, SEARCHABLE, fallback=_attribute)
        )
        column = _SEARCH_ORDER[order_by]
        key = column.desc().nulls_first() if order_desc else column.asc().nulls_last()
        statement = (
            select(Collection)
            .where(Collection.id.in_(matching.scalar_subquery()))
            .order_by(key, Collection.id.desc() if order_desc else Collection.id.asc())
        )
        if window is not None:
            statement = statement.offset(window[0]).limit(window[1])
        total = select(func.count()).select_from(matching.subquery())
        try:
            rows = (await self.session.scalars(statement)).all()
            count = int((await self.session.execute(total)).scalar_one())
        except DBAPIError as exc:  # e.g. a regex Python accepts but PostgreSQL does not
            raise QueryError("the database could not evaluate this query") from exc
        return rows, count

    async def data_object_ids(self, collection_ids: Iterable[int]) -> dict[int, list[int]]:
        """Live data objects per collection, ascending ids."""
        grouped: dict[int, list[int]] = defaultdict(list)
        for chunk in chunked(collection_ids):
            rows = await self.session.execute(
                select(DataObject.collection_id, DataObject.id)
                .where(DataObject.collection_id.in_(chunk), DataObject.deleted.is_(False))
                .order_by(DataObject.id)
            )
            _group(grouped, rows)
        return grouped

    async def incoming_ids(self, collection_ids: Iterable[int]) -> dict[int, list[int]]:
        """Live CollectionReferences pointing at each collection, ascending ids."""
        grouped: dict[int, list[int]] = defaultdict(list)
        for chunk in chunked(collection_ids):
            rows = await self.session.execute(
                select(Reference.referenced_collection_id, Reference.id)
                .where(
                    Reference.type == COLLECTION_REFERENCE,
                    Reference.referenced_collection_id.in_(chunk),
                    Reference.deleted.is_(False),
                )
                .order_by(Reference.id)
            )
            _group(grouped, rows)
        return grouped

    async def soft_delete(self, collection: Collection, *, by: str, at: datetime) -> None:
        """Flag the collection, its data objects and their references as deleted."""
        collection.deleted = True
        collection.updated_by = by
        collection.updated_at = at
        members = select(DataObject.id).where(DataObject.collection_id == collection.id)
        await self.session.execute(
            update(Reference)
            .where(Reference.data_object_id.in_(members), Reference.deleted.is_(False))
            .values(deleted=True)
        )
        await self.session.execute(
            update(DataObject)
            .where(DataObject.collection_id == collection.id, DataObject.deleted.is_(False))
            .values(deleted=True)
        )
        await self.session.flush()


def ordered(
    statement: Select[*_Columns],
    model: type[Collection] | type[DataObject],
    query: ListQuery,
) -> Select[*_Columns]:
    """Upstream's ORDER BY (names case-insensitively, nulls last ascending) and SKIP/LIMIT."""
    if query.order_by is not None:
        column: Any = {
            DataObjectAttributes.name: func.lower(model.name),
            DataObjectAttributes.createdAt: model.created_at,
            DataObjectAttributes.updatedAt: model.updated_at,
        }[query.order_by]
        key = column.desc().nulls_first() if query.order_desc else column.asc().nulls_last()
        statement = statement.order_by(key)
    descending = query.order_by is not None and query.order_desc
    statement = statement.order_by(model.id.desc() if descending else model.id)
    window = query.window
    if window is not None:
        statement = statement.offset(window[0]).limit(window[1])
    return statement


def _group(grouped: dict[int, list[int]], rows: Iterable[tuple[int | None, int]]) -> None:
    for owner, member in rows:
        if owner is not None:
            grouped[owner].append(member)
