"""The generic `{DO}/references` endpoints: every kind, seen as a BasicReference."""

from __future__ import annotations

from pyshepard.context.references.models import Reference
from pyshepard.context.references.schemas import BasicReference, BasicReferenceAttributes
from pyshepard.context.references.service import common
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal


def render_basic(reference: Reference) -> BasicReference:
    return BasicReference(**common.basic_fields(reference))


async def list_basic_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: BasicReferenceAttributes | None = None,
    order_desc: bool | None = None,
) -> list[BasicReference]:
    """All live references of the data object; `name` is an exact match, paging needs both
    `page` and `size`. Raises NotFound, PermissionDenied (Read on the collection)."""
    query = ReferenceQuery(
        name=name,
        order_by=order_by.value if order_by is not None else None,
        order_desc=bool(order_desc),
        page=page,
        size=size,
    )
    rows = await common.list_references(uow, actor, collection_id, data_object_id, query)
    return [render_basic(row) for row in rows]


async def get_basic_reference(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, reference_id: int
) -> BasicReference:
    """Any kind of reference. Raises NotFound, PermissionDenied."""
    reference = await common.load_reference(
        uow,
        actor,
        common.BASIC,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
    )
    return render_basic(reference)


async def delete_basic_reference(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, reference_id: int
) -> None:
    """Soft-deletes any kind of reference. Raises NotFound, PermissionDenied (Write)."""
    await common.delete_reference(
        uow,
        actor,
        common.BASIC,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
    )
