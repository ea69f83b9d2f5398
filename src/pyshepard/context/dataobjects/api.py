from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from pyshepard.api import (
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    PageParam,
    PositiveSizeParam,
    Uow,
    VersionUidParam,
    error_responses,
)
from pyshepard.context.collections.schemas import DataObjectAttributes
from pyshepard.context.dataobjects import service
from pyshepard.context.dataobjects.schemas import DataObject, DataObjectQuery

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["dataObject"])

LIST = "/collections/{collectionId}/dataObjects"
ITEM = LIST + "/{dataObjectId}"
OrderBy = Annotated[DataObjectAttributes | None, Query(alias="orderBy")]
OrderDesc = Annotated[bool | None, Query(alias="orderDesc")]
RelationFilter = Annotated[
    int | None,
    Query(ge=-(2**63), le=2**63 - 1, description="-1 selects data objects without one"),
]


@router.get(
    LIST,
    operation_id="getAllDataObjects",
    summary="Get All Data Objects",
    description="Get all dataObjects",
    responses=error_responses(400, 401, 404),
)
async def get_all_data_objects(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803 - upstream parameter name
    name: str | None = None,
    page: PageParam = None,
    size: PositiveSizeParam = None,
    parentId: RelationFilter = None,  # noqa: N803
    predecessorId: RelationFilter = None,  # noqa: N803
    successorId: RelationFilter = None,  # noqa: N803
    order_by: OrderBy = None,
    order_desc: OrderDesc = None,
    versionUid: VersionUidParam = None,  # noqa: N803
) -> list[DataObject]:
    query = DataObjectQuery(
        name=name,
        page=page,
        size=size,
        order_by=order_by,
        order_desc=bool(order_desc),
        parent_id=parentId,
        predecessor_id=predecessorId,
        successor_id=successorId,
    )
    return await service.list_data_objects(uow, caller, collectionId, query, versionUid)


@router.post(
    LIST,
    operation_id="createDataObject",
    summary="Create Data Object",
    description="Create a new dataObject",
    status_code=201,
    responses=error_responses(400, 401, 403, 404),
)
async def create_data_object(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObject: DataObject,  # noqa: N803
) -> DataObject:
    return await service.create_data_object(uow, caller, collectionId, dataObject)


@router.get(
    ITEM,
    operation_id="getDataObject",
    summary="Get Data Object",
    description="Get dataObject",
    responses=error_responses(400, 401, 403, 404),
)
async def get_data_object(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    versionUid: VersionUidParam = None,  # noqa: N803
) -> DataObject:
    return await service.get_data_object(uow, caller, collectionId, dataObjectId, versionUid)


@router.put(
    ITEM,
    operation_id="updateDataObject",
    summary="Update Data Object",
    description="Update dataObject",
    responses=error_responses(400, 401, 403, 404),
)
async def update_data_object(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    dataObject: DataObject,  # noqa: N803
) -> DataObject:
    return await service.update_data_object(uow, caller, collectionId, dataObjectId, dataObject)


@router.delete(
    ITEM,
    operation_id="deleteDataObject",
    summary="Delete Data Object",
    description="Delete dataObject",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "deleted"}, **error_responses(400, 401, 403, 404)},
)
async def delete_data_object(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
) -> Response:
    await service.delete_data_object(uow, caller, collectionId, dataObjectId)
    return Response(status_code=204)
