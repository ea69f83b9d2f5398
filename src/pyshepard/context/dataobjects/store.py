from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pyshepard.context.collections.models import Collection
from pyshepard.context.collections.store import ordered
from pyshepard.context.dataobjects.models import DataObject, DataObjectLink
from pyshepard.context.dataobjects.schemas import NO_RELATION, DataObjectQuery
from pyshepard.context.references.models import Reference
from pyshepard.core.chunks import IN_LIST_CHUNK, chunked
from pyshepard.core.ids import next_entity_id
from pyshepard.core.text import text_is

DATA_OBJECT_REFERENCE = "DataObjectReference"
Scope = Callable[[Any], ColumnElement[bool]]


@dataclass
class Relations:
    """Live neighbours of a set of data objects, ascending ids per data object."""

    parent: dict[int, int] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    predecessors: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    successors: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    references: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    incoming: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


class DataObjectStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, data_object_id: int) -> DataObject | None:
        """The live (not soft-deleted) data object, or None."""
        data_object = await self.session.get(DataObject, data_object_id)
        return None if data_object is None or data_object.deleted else data_object

    async def create(self, **fields: Any) -> DataObject:
        data_object = DataObject(id=await next_entity_id(self.session), **fields)
        self.session.add(data_object)
        await self.session.flush()
        return data_object

    async def lock_relations(self, collection_id: int) -> bool:
        """Serialise parent/predecessor changes within a collection, so that two concurrent
        updates cannot each pass the cycle check and together close a cycle (PostgreSQL;
        SQLite writers are serialised already). False: the collection is deleted by now (the
        lock waited for that delete to commit), so nothing may be added to it."""
        deleted = await self.session.scalar(
            select(Collection.deleted).where(Collection.id == collection_id).with_for_update()
        )
        return deleted is False

    async def live(self, data_object_ids: Iterable[int]) -> dict[int, DataObject]:
        """The live data objects among `data_object_ids`, by id."""
        found: dict[int, DataObject] = {}
        for chunk in chunked(data_object_ids):
            result = await self.session.scalars(
                select(DataObject).where(DataObject.id.in_(chunk), DataObject.deleted.is_(False))
            )
            found.update((data_object.id, data_object) for data_object in result)
        return found

    async def search(self, collection_id: int, query: DataObjectQuery) -> Sequence[DataObject]:
        statement = select(DataObject).where(
            DataObject.collection_id == collection_id, DataObject.deleted.is_(False)
        )
        if query.name is not None:
            statement = statement.where(text_is(DataObject.name, query.name))
        for clause in _relation_filters(query):
            statement = statement.where(clause)
        result = await self.session.scalars(ordered(statement, DataObject, query))
        return result.all()

    async def relations(
        self, data_object_ids: Sequence[int], *, collection_id: int | None = None
    ) -> Relations:
        """Relations of the given data objects; pass `collection_id` when they all belong to it."""
        relations = Relations()
        if collection_id is not None and len(data_object_ids) > IN_LIST_CHUNK:
            # long lists: six scans of the collection beat six queries per thousand ids
            members = select(DataObject.id).where(DataObject.collection_id == collection_id)
            await self._collect(relations, _within(members))
            return relations
        for chunk in chunked(data_object_ids):
            await self._collect(relations, _within(chunk))
        return relations

    async def _collect(self, relations: Relations, owned: Scope) -> None:
        """Fill `relations` for the data objects whose ids satisfy `owned`."""
        parent = aliased(DataObject)
        for child_id, parent_id in await self._pairs(
            select(DataObject.id, parent.id)
            .join(parent, parent.id == DataObject.parent_id)
            .where(owned(DataObject.id), parent.deleted.is_(False))
        ):
            relations.parent[child_id] = parent_id
        _extend(
            relations.children,
            await self._pairs(
                select(DataObject.parent_id, DataObject.id).where(
                    owned(DataObject.parent_id), DataObject.deleted.is_(False)
                )
            ),
        )
        _extend(
            relations.predecessors,
            await self._pairs(
                select(DataObjectLink.successor_id, DataObjectLink.predecessor_id)
                .join(parent, parent.id == DataObjectLink.predecessor_id)
                .where(owned(DataObjectLink.successor_id), parent.deleted.is_(False))
            ),
        )
        _extend(
            relations.successors,
            await self._pairs(
                select(DataObjectLink.predecessor_id, DataObjectLink.successor_id)
                .join(parent, parent.id == DataObjectLink.successor_id)
                .where(owned(DataObjectLink.predecessor_id), parent.deleted.is_(False))
            ),
        )
        _extend(
            relations.references,
            await self._pairs(
                select(Reference.data_object_id, Reference.id).where(
                    owned(Reference.data_object_id), Reference.deleted.is_(False)
                )
            ),
        )
        _extend(
            relations.incoming,
            await self._pairs(
                select(Reference.referenced_data_object_id, Reference.id).where(
                    Reference.type == DATA_OBJECT_REFERENCE,
                    owned(Reference.referenced_data_object_id),
                    Reference.deleted.is_(False),
                )
            ),
        )

    async def _pairs(self, statement: Select[Any, Any]) -> list[tuple[int, int]]:
        rows = await self.session.execute(statement.order_by(statement.selected_columns[1]))
        return [(int(owner), int(member)) for owner, member in rows if owner is not None]

    async def set_predecessors(self, data_object_id: int, predecessor_ids: Iterable[int]) -> None:
        """Replace every incoming predecessor edge of the data object."""
        await self.session.execute(
            delete(DataObjectLink).where(DataObjectLink.successor_id == data_object_id)
        )
        rows = [
            {"predecessor_id": predecessor_id, "successor_id": data_object_id}
            for predecessor_id in sorted(set(predecessor_ids))
        ]
        if rows:
            await self.session.execute(insert(DataObjectLink), rows)
        await self.session.flush()

    async def is_in_parent_chain(self, data_object_id: int, start_id: int) -> bool:
        """Whether `data_object_id` is `start_id` or one of its live ancestors."""
        chain = (
            select(DataObject.id.label("id"), DataObject.parent_id.label("parent_id"))
            .where(DataObject.id == start_id)
            .cte("parent_chain", recursive=True)
        )
        parent = aliased(DataObject)
        chain = chain.union(
            select(parent.id, parent.parent_id)
            .join(chain, parent.id == chain.c.parent_id)
            .where(parent.deleted.is_(False))
        )
        found = await self.session.scalar(select(exists().where(chain.c.id == data_object_id)))
        return bool(found)

    async def reachable_successors(self, data_object_id: int, candidates: set[int]) -> list[int]:
        """The `candidates` reachable from the data object along live successor edges."""
        if not candidates:
            return []
        target = aliased(DataObject)
        reach = (
            select(DataObjectLink.successor_id.label("id"))
            .join(target, target.id == DataObjectLink.successor_id)
            .where(DataObjectLink.predecessor_id == data_object_id, target.deleted.is_(False))
            .cte("successor_reach", recursive=True)
        )
        link = aliased(DataObjectLink)
        step_target = aliased(DataObject)
        reach = reach.union(
            select(link.successor_id)
            .join(reach, link.predecessor_id == reach.c.id)
            .join(step_target, step_target.id == link.successor_id)
            .where(step_target.deleted.is_(False))
        )
        found = await self.session.scalars(
            select(reach.c.id).where(reach.c.id.in_(sorted(candidates))).order_by(reach.c.id)
        )
        return list(found.all())

    async def soft_delete(self, data_object: DataObject, *, by: str, at: datetime) -> None:
        """Flag the data object and its references as deleted; relations stay but turn invisible."""
        data_object.deleted = True
        data_object.updated_by = by
        data_object.updated_at = at
        await self.session.execute(
            update(Reference)
            .where(Reference.data_object_id == data_object.id, Reference.deleted.is_(False))
            .values(deleted=True)
        )
        await self.session.flush()


def _relation_filters(query: DataObjectQuery) -> list[ColumnElement[bool]]:
    """Upstream's parentId/predecessorId/successorId filters; only live neighbours count."""
    clauses: list[ColumnElement[bool]] = []
    related = aliased(DataObject)
    if query.parent_id == NO_RELATION:
        clauses.append(
            ~exists().where(related.id == DataObject.parent_id, related.deleted.is_(False))
        )
    elif query.parent_id is not None:
        clauses.append(DataObject.parent_id == query.parent_id)
        clauses.append(exists().where(related.id == query.parent_id, related.deleted.is_(False)))
    for wanted, near, far in (
        (query.predecessor_id, DataObjectLink.successor_id, DataObjectLink.predecessor_id),
        (query.successor_id, DataObjectLink.predecessor_id, DataObjectLink.successor_id),
    ):
        if wanted is None:
            continue
        related = aliased(DataObject)
        edge = exists().where(near == DataObject.id, related.id == far, related.deleted.is_(False))
        if wanted == NO_RELATION:
            clauses.append(~edge)
        else:
            clauses.append(edge.where(far == wanted))
    return clauses


def _within(ids: list[int] | Select[int]) -> Scope:
    def owned(column: Any) -> ColumnElement[bool]:
        clause: ColumnElement[bool] = column.in_(ids)
        return clause

    return owned


def _extend(target: dict[int, list[int]], pairs: Iterable[tuple[int, int]]) -> None:
    for owner, member in pairs:
        target[owner].append(member)
