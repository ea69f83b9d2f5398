"""Every query on the `references` table (all kinds share it; `type` tells them apart)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyshepard.context.dataobjects.models import DataObject
from pyshepard.context.references.models import Reference
from pyshepard.core.ids import next_entity_id


@dataclass(frozen=True)
class ReferenceQuery:
    """Filters and ordering of a data object's reference list (upstream's QueryParamHelper)."""

    kind: str | None = None
    name: str | None = None
    order_by: str | None = None  # createdAt | updatedAt | name | type
    order_desc: bool = False
    page: int | None = None
    size: int | None = None


_ORDER_COLUMNS: dict[str, ColumnElement[object]] = {
    "createdAt": Reference.created_at,  # type: ignore[dict-item]
    "updatedAt": Reference.updated_at,  # type: ignore[dict-item]
    "name": func.lower(Reference.name),
    "type": func.lower(Reference.type),
}


class ReferenceStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, reference_id: int, *, kind: str | None = None) -> Reference | None:
        """The live reference (of that kind, when given), or None."""
        reference = await self.session.get(Reference, reference_id)
        if reference is None or reference.deleted:
            return None
        if kind is not None and reference.type != kind:
            return None
        return reference

    async def list_for_data_object(
        self, data_object_id: int, query: ReferenceQuery
    ) -> Sequence[Reference]:
        """Live references of one data object; paged only when both page and size are set."""
        if query.name is not None and "\x00" in query.name:
            return []  # no stored name holds NUL, and PostgreSQL cannot even compare one
        statement = select(Reference).where(
            Reference.data_object_id == data_object_id, Reference.deleted.is_(False)
        )
        if query.kind is not None:
            statement = statement.where(Reference.type == query.kind)
        if query.name is not None:
            statement = statement.where(Reference.name == query.name)
        if query.order_by is not None:
            column = _ORDER_COLUMNS[query.order_by]
            # NULLs after values ascending, before them descending, on both dialects (as Neo4j)
            ordered = column.desc().nulls_first() if query.order_desc else column.asc().nulls_last()
            statement = statement.order_by(ordered)
        statement = statement.order_by(Reference.id)
        if query.page is not None and query.size is not None:
            statement = statement.offset(query.page * query.size).limit(query.size)
        return (await self.session.scalars(statement)).all()

    async def add(self, reference: Reference) -> Reference:
        """Assign the next shared entity id and insert."""
        reference.id = await next_entity_id(self.session)
        self.session.add(reference)
        await self.session.flush()
        return reference

    async def soft_delete(self, reference: Reference, *, by: str, at: datetime) -> None:
        reference.deleted = True
        reference.updated_at = at
        reference.updated_by = by
        await self.session.flush()

    async def collection_of_data_object(self, data_object_id: int) -> int | None:
        """The collection holding a live data object (a reference target may be anywhere)."""
        statement = select(DataObject.collection_id).where(
            DataObject.id == data_object_id, DataObject.deleted.is_(False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()
