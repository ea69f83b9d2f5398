"""Wire model of upstream's `DataObject` schema and the data-object list query."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from pyshepard.context.collections.schemas import (
    BasicEntityFields,
    IdList,
    Int64,
    ListQuery,
    read_only,
)

NO_RELATION = -1  # upstream's "has none" value of the parentId/predecessorId/successorId filters


class DataObject(BasicEntityFields):
    collectionId: int | None = read_only(format="int64")  # noqa: N815 - wire name
    referenceIds: IdList = read_only()  # noqa: N815
    # read-only in the contract; on input it is checked against the current successors
    successorIds: IdList = read_only()  # noqa: N815
    predecessorIds: IdList = None  # noqa: N815
    childrenIds: IdList = read_only()  # noqa: N815
    parentId: Int64 | None = Field(default=None, json_schema_extra={"format": "int64"})  # noqa: N815
    incomingIds: IdList = read_only()  # noqa: N815


@dataclass(frozen=True)
class DataObjectQuery(ListQuery):
    """ListQuery plus the relation filters; `NO_RELATION` selects data objects without one."""

    parent_id: int | None = None
    predecessor_id: int | None = None
    successor_id: int | None = None
