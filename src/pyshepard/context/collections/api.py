from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from pyshepard.api import (
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    PageParam,
    SizeParam,
    Uow,
    VersionUidParam,
    error_responses,
)
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.context.collections import service
from pyshepard.context.collections.schemas import Collection, DataObjectAttributes, ListQuery

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["collection"])

OrderBy = Annotated[DataObjectAttributes | None, Query(alias="orderBy")]
OrderDesc = Annotated[bool | None, Query(alias="orderDesc")]
ITEM = "/collections/{collectionId}"


@router.get(
    "/collections",
    operation_id="getAllCollections",
    summary="Get All Collections",
    description="Get all collections",
    responses=error_responses(400, 401, 404),
)
async def get_all_collections(
    *,
    uow: Uow,
    caller: Caller,
    name: str | None = None,
    page: PageParam = None,
    size: SizeParam = None,
    order_by: OrderBy = None,
    order_desc: OrderDesc = None,
) -> list[Collection]:
    query = ListQuery(
        name=name, page=page, size=size, order_by=order_by, order_desc=bool(order_desc)
    )
    return await service.list_collections(uow, caller, query)


@router.post(
    "/collections",
    operation_id="createCollection",
    summary="Create Collection",
    description="Create a new collection",
    status_code=201,
    responses=error_responses(400, 403, 404),
)
async def create_collection(uow: Uow, caller: Caller, collection: Collection) -> Collection:
    return await service.create_collection(uow, caller, collection)


@router.get(
    ITEM,
    operation_id="getCollection",
    summary="Get Collection",
    description="Get collection",
    responses=error_responses(400, 401, 403, 404),
)
async def get_collection(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803 - upstream parameter name
    versionUid: VersionUidParam = None,  # noqa: N803
) -> Collection:
    return await service.get_collection(uow, caller, collectionId, versionUid)


@router.put(
    ITEM,
    operation_id="updateCollection",
    summary="Update Collection",
    description="Update collection",
    responses=error_responses(400, 401, 403, 404),
)
async def update_collection(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    collection: Collection,
) -> Collection:
    return await service.update_collection(uow, caller, collectionId, collection)


@router.delete(
    ITEM,
    operation_id="deleteCollection",
    summary="Delete Collection",
    description="Delete collection",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 401, 403, 404),
)
async def delete_collection(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
) -> Response:
    await service.delete_collection(uow, caller, collectionId)
    return Response(status_code=204)


@router.get(
    ITEM + "/permissions",
    operation_id="getCollectionPermissions",
    summary="Get Collection Permissions",
    description="Get permissions",
    responses=error_responses(400, 401, 403, 404),
)
async def get_collection_permissions(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
) -> Permissions:
    return await service.get_permissions(uow, caller, collectionId)


@router.put(
    ITEM + "/permissions",
    operation_id="editCollectionPermissions",
    summary="Edit Collection Permissions",
    description="Edit permissions",
    responses=error_responses(400, 401, 403, 404),
)
async def edit_collection_permissions(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    permissions: Permissions,
) -> Permissions:
    return await service.set_permissions(uow, caller, collectionId, permissions)


@router.get(
    ITEM + "/roles",
    operation_id="getCollectionRoles",
    summary="Get Collection Roles",
    description="Get roles",
    responses=error_responses(400, 401, 403, 404),
)
async def get_collection_roles(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
) -> Roles:
    return await service.get_roles(uow, caller, collectionId)
