"""SQL of upstream's structured-data search: reachable data objects → their structured-data
references → any referenced document matching the filter, in one statement.

The reachable set follows upstream's Cypher (`GenericDAO.getSearchForReachableReferences*`):
the scope's data object itself plus, per traversal rule, everything reachable over `has_child`
or `has_successor` edges in that direction, never through a deleted data object. (This
traversal belongs to the data-object domain; it lives here until the general `/search` lands.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, type_coerce, union
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pyshepard.context.collections.models import Collection
from pyshepard.context.dataobjects.models import DataObject, DataObjectLink
from pyshepard.context.references.models import Reference
from pyshepard.core.dialect import dialect_name
from pyshepard.data.containers.models import Container
from pyshepard.data.structured.models import StructuredDocument
from pyshepard.data.structured.query import FilterError, Node, compile_filter

REFERENCE_TYPE = "StructuredDataReference"


def _live(model: Any) -> ColumnElement[bool]:
    return model.deleted.is_(False)  # type: ignore[no-any-return]


def _reachable(collection_id: int, start_id: int | None, rules: Sequence[str]) -> Select[Any]:
    """Ids of the live data objects a scope reaches."""
    if start_id is None:
        return select(DataObject.id).where(
            DataObject.collection_id == collection_id, _live(DataObject)
        )
    start = select(DataObject.id.label("id")).where(
        DataObject.id == start_id, DataObject.collection_id == collection_id, _live(DataObject)
    )
    if not rules:
        return start
    walks = []
    for rule in dict.fromkeys(rules):
        reach = start.cte(f"reach_{rule}", recursive=True)
        reach = reach.union(_step(rule, reach))  # UNION, not UNION ALL: cycles terminate
        walks.append(select(reach.c.id))
    return select(union(*walks).subquery().c.id)


def _step(rule: str, reach: Any) -> Select[Any]:
    """One hop of a traversal rule from the ids in `reach`, onto live data objects."""
    if rule == "children":
        return (
            select(DataObject.id)
            .join(reach, DataObject.parent_id == reach.c.id)
            .where(_live(DataObject))
        )
    if rule == "parents":
        child = aliased(DataObject)
        return (
            select(DataObject.id)
            .join(child, child.parent_id == DataObject.id)
            .join(reach, child.id == reach.c.id)
            .where(_live(DataObject))
        )
    forward = rule == "successors"
    source = DataObjectLink.predecessor_id if forward else DataObjectLink.successor_id
    target = DataObjectLink.successor_id if forward else DataObjectLink.predecessor_id
    return (
        select(DataObject.id)
        .join(DataObjectLink, target == DataObject.id)
        .join(reach, source == reach.c.id)
        .where(_live(DataObject))
    )


def _referenced_oids(dialect: str) -> tuple[Any, ColumnElement[str]]:
    """The oids a reference row lists in `details.structuredData`, as a table function."""
    if dialect == "postgresql":
        listed = type_coerce(Reference.details, JSONB)["structuredData"]
        entries = func.jsonb_array_elements(listed).table_valued("value").alias("ref_oids")
        return entries, type_coerce(entries.c.value, JSONB)["oid"].astext
    entries = (
        func.json_each(Reference.details, literal("$.structuredData"))
        .table_valued("value")
        .alias("ref_oids")
    )
    return entries, func.json_extract(entries.c.value, literal("$.oid"))


async def matching_references(
    session: AsyncSession,
    node: Node,
    *,
    collection_id: int,
    data_object_id: int | None,
    rules: Sequence[str],
    readable: Callable[[ColumnElement[int]], ColumnElement[bool]],
) -> Sequence[Reference]:
    """Live structured-data references reachable from the scope, in a live readable collection,
    pointing to a live readable container, with at least one referenced document matching."""
    dialect = dialect_name(session)
    entries, oid = _referenced_oids(dialect)
    matches = compile_filter(
        node,
        document=StructuredDocument.document.expression,
        oid=StructuredDocument.oid.expression,
        dialect=dialect,
    )
    any_document = (
        select(literal(1))
        .select_from(entries)
        .join(StructuredDocument, StructuredDocument.oid == oid)
        .where(StructuredDocument.container_id == Reference.container_id, matches)
        .correlate(Reference)
        .exists()
    )
    collection_ok = (
        select(Collection.id)
        .where(
            Collection.id == collection_id, _live(Collection), readable(Collection.id.expression)
        )
        .exists()
    )
    statement = (
        select(Reference)
        .join(Container, Container.id == Reference.container_id)
        .where(
            Reference.type == REFERENCE_TYPE,
            _live(Reference),
            Reference.data_object_id.in_(_reachable(collection_id, data_object_id, rules)),
            _live(Container),
            readable(Container.id.expression),
            collection_ok,
            any_document,
        )
        .order_by(Reference.id)
    )
    try:
        return (await session.scalars(statement)).all()
    except DBAPIError as exc:
        if "regular expression" in str(exc.orig):
            raise FilterError(f"invalid regular expression: {exc.orig}") from None
        raise
