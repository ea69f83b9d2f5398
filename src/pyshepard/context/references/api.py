"""HTTP routes of URI, collection and data-object references and the generic `/references`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from pyshepard.api import (
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    Uow,
    VersionUidParam,
    error_responses,
)
from pyshepard.context.collections.schemas import Collection
from pyshepard.context.dataobjects.schemas import DataObject
from pyshepard.context.references import service
from pyshepard.context.references.routes import (
    ReferenceRouteSpec,
    reference_routes,
)
from pyshepard.context.references.schemas import (
    BasicReference,
    BasicReferenceAttributes,
    CollectionReference,
    DataObjectReference,
    URIReference,
)

router = APIRouter(prefix=SHEPARD_PREFIX)

DO_PATH = "/collections/{collectionId}/dataObjects/{dataObjectId}"
ERRORS = error_responses(400, 401, 403, 404)

INT32_MAX = 2**31 - 1
ReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Reference id")]
# upstream: Integer page @PositiveOrZero, Integer size @Positive
ReferencePageParam = Annotated[int | None, Query(ge=0, le=INT32_MAX)]
ReferenceSizeParam = Annotated[int | None, Query(gt=0, le=INT32_MAX)]


# --- generic -------------------------------------------------------------------------------


@router.get(
    DO_PATH + "/references",
    operation_id="getAllReferences",
    tags=["reference"],
    summary="Get All References",
    description="Get all references",
    response_model=list[BasicReference],
    responses=ERRORS,
)
async def get_all_references(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803 - upstream parameter names
    dataObjectId: DataObjectId,  # noqa: N803
    name: str | None = None,
    page: ReferencePageParam = None,
    size: ReferenceSizeParam = None,
    orderBy: BasicReferenceAttributes | None = None,  # noqa: N803
    orderDesc: bool | None = None,  # noqa: N803
) -> list[BasicReference]:
    return await service.list_basic_references(
        uow,
        caller,
        collectionId,
        dataObjectId,
        name=name,
        page=page,
        size=size,
        order_by=orderBy,
        order_desc=orderDesc,
    )


@router.get(
    DO_PATH + "/references/{referenceId}",
    operation_id="getBasicReference",
    tags=["reference"],
    summary="Get Basic Reference",
    description="Get reference",
    response_model=BasicReference,
    responses=ERRORS,
)
async def get_basic_reference(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
) -> BasicReference:
    return await service.get_basic_reference(uow, caller, collectionId, dataObjectId, referenceId)


@router.delete(
    DO_PATH + "/references/{referenceId}",
    operation_id="deleteBasicReference",
    tags=["reference"],
    summary="Delete Basic Reference",
    description="Delete reference",
    status_code=204,
    responses=ERRORS,
)
async def delete_basic_reference(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
) -> None:
    await service.delete_basic_reference(uow, caller, collectionId, dataObjectId, referenceId)


# --- URI references ------------------------------------------------------------------------


reference_routes(
    router,
    ReferenceRouteSpec(
        label="uri",
        schema=URIReference,
        list_references=service.list_uri_references,
        create_reference=service.create_uri_reference,
        get_reference=service.get_uri_reference,
        delete_reference=service.delete_uri_reference,
        id_description="Reference id",
    ),
)


# --- collection references -----------------------------------------------------------------


reference_routes(
    router,
    ReferenceRouteSpec(
        label="collection",
        schema=CollectionReference,
        list_references=service.list_collection_references,
        create_reference=service.create_collection_reference,
        get_reference=service.get_collection_reference,
        delete_reference=service.delete_collection_reference,
        id_description="Reference id",
    ),
)


@router.get(
    DO_PATH + "/collectionReferences/{collectionReferenceId}/payload",
    operation_id="getCollectionReferencePayload",
    tags=["collectionReference"],
    summary="Get Collection Reference Payload",
    description="Get collection reference payload",
    response_model=Collection,
    responses=ERRORS,
)
async def get_collection_reference_payload(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    collectionReferenceId: ReferenceId,  # noqa: N803
    versionUid: VersionUidParam = None,  # noqa: N803
) -> Collection:
    return await service.get_collection_reference_payload(
        uow, caller, collectionId, dataObjectId, collectionReferenceId, version_uid=versionUid
    )


# --- data-object references ----------------------------------------------------------------


reference_routes(
    router,
    ReferenceRouteSpec(
        label="data object",
        schema=DataObjectReference,
        list_references=service.list_data_object_references,
        create_reference=service.create_data_object_reference,
        get_reference=service.get_data_object_reference,
        delete_reference=service.delete_data_object_reference,
        id_description="Reference id",
    ),
)


@router.get(
    DO_PATH + "/dataObjectReferences/{dataObjectReferenceId}/payload",
    operation_id="getDataObjectReferencePayload",
    tags=["dataObjectReference"],
    summary="Get Data Object Reference Payload",
    description="Get dataObject reference payload",
    response_model=DataObject,
    responses=ERRORS,
)
async def get_data_object_reference_payload(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    dataObjectReferenceId: ReferenceId,  # noqa: N803
    versionUid: VersionUidParam = None,  # noqa: N803
) -> DataObject:
    return await service.get_data_object_reference_payload(
        uow, caller, collectionId, dataObjectId, dataObjectReferenceId, version_uid=versionUid
    )
