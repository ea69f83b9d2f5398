"""HTTP routes of structured-data containers, their documents and structured-data references."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Path, Response

from pyshepard.api import (
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    PageParam,
    SizeParam,
    Uow,
    VersionUidParam,
    error_responses,
)
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.data.containers.schemas import ContainerAttributes
from pyshepard.data.structured import references, service
from pyshepard.data.structured.schemas import (
    StructuredData,
    StructuredDataContainer,
    StructuredDataPayload,
    StructuredDataReference,
)

router = APIRouter(prefix=SHEPARD_PREFIX)

ERRORS = error_responses(400, 401, 403, 404)
CONTAINER_TAG: list[str | Enum] = ["structuredDataContainer"]
REFERENCE_TAG: list[str | Enum] = ["structuredDataReference"]
CONTAINERS = "/structuredDataContainers"
ITEM = CONTAINERS + "/{structuredDataContainerId}"
REFERENCES = "/collections/{collectionId}/dataObjects/{dataObjectId}/structuredDataReferences"
REFERENCE = REFERENCES + "/{structuredDataReferenceId}"

ContainerId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Structured data container id")]
ReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Structured data reference id")]
Oid = Annotated[str, Path(pattern=r"\S", description="Structured data oid")]


@router.get(
    CONTAINERS,
    operation_id="getAllStructuredDataContainers",
    tags=CONTAINER_TAG,
    summary="Get All Structured Data Containers",
    description="Get all structured data containers",
    responses=error_responses(400, 401, 404),
)
async def get_all_containers(
    *,
    uow: Uow,
    caller: Caller,
    name: str | None = None,
    page: PageParam = None,
    size: SizeParam = None,
    orderBy: ContainerAttributes | None = None,  # noqa: N803 - upstream parameter names
    orderDesc: bool | None = None,  # noqa: N803
) -> list[StructuredDataContainer]:
    return await service.list_containers(
        uow,
        caller,
        name=name,
        page=page,
        size=size,
        order_by=orderBy,
        order_desc=bool(orderDesc),
    )


@router.post(
    CONTAINERS,
    operation_id="createStructuredDataContainer",
    tags=CONTAINER_TAG,
    summary="Create Structured Data Container",
    description="Create a new structured data container",
    status_code=201,
    responses=ERRORS,
)
async def create_container(
    uow: Uow, caller: Caller, body: StructuredDataContainer
) -> StructuredDataContainer:
    return await service.create_container(uow, caller, body)


@router.get(
    ITEM,
    operation_id="getStructuredDataContainer",
    tags=CONTAINER_TAG,
    summary="Get Structured Data Container",
    description="Get structured data container",
    responses=ERRORS,
)
async def get_container(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
) -> StructuredDataContainer:
    return await service.get_container(uow, caller, structuredDataContainerId)


@router.delete(
    ITEM,
    operation_id="deleteStructuredDataContainer",
    tags=CONTAINER_TAG,
    summary="Delete Structured Data Container",
    description="Delete structured data container",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_container(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
) -> None:
    await service.delete_container(uow, caller, structuredDataContainerId)


@router.get(
    ITEM + "/permissions",
    operation_id="getStructuredDataPermissions",
    tags=CONTAINER_TAG,
    summary="Get Structured Data Permissions",
    description="Get permissions",
    responses=ERRORS,
)
async def get_permissions(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
) -> Permissions:
    return await service.get_permissions(uow, caller, structuredDataContainerId)


@router.put(
    ITEM + "/permissions",
    operation_id="editStructuredDataPermissions",
    tags=CONTAINER_TAG,
    summary="Edit Structured Data Permissions",
    description="Edit permissions",
    responses=ERRORS,
)
async def edit_permissions(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
    body: Permissions,
) -> Permissions:
    return await service.set_permissions(uow, caller, structuredDataContainerId, body)


@router.get(
    ITEM + "/roles",
    operation_id="getStructuredDataRoles",
    tags=CONTAINER_TAG,
    summary="Get Structured Data Roles",
    description="Get roles",
    responses=ERRORS,
)
async def get_roles(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
) -> Roles:
    return await service.get_roles(uow, caller, structuredDataContainerId)


@router.get(
    ITEM + "/payload",
    operation_id="getAllStructuredDatas",
    tags=CONTAINER_TAG,
    summary="Get All Structured Datas",
    description="Get structured data objects",
    responses=ERRORS,
)
async def get_all_structured_data(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
) -> list[StructuredData]:
    return await service.list_structured_data(uow, caller, structuredDataContainerId)


@router.post(
    ITEM + "/payload",
    operation_id="createStructuredData",
    tags=CONTAINER_TAG,
    summary="Create Structured Data",
    description="Upload a new structured data object",
    status_code=201,
    responses=ERRORS,
)
async def create_structured_data(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
    body: StructuredDataPayload,
) -> StructuredData:
    return await service.create_structured_data(uow, caller, structuredDataContainerId, body)


@router.get(
    ITEM + "/payload/{oid}",
    operation_id="getStructuredData",
    tags=CONTAINER_TAG,
    summary="Get Structured Data",
    description="Download structured data",
    responses=ERRORS,
)
async def get_structured_data(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
    oid: Oid,
) -> StructuredDataPayload:
    return await service.get_structured_data(uow, caller, structuredDataContainerId, oid)


@router.delete(
    ITEM + "/payload/{oid}",
    operation_id="deleteStructuredData",
    tags=CONTAINER_TAG,
    summary="Delete Structured Data",
    description="Delete structured data",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_structured_data(
    uow: Uow,
    caller: Caller,
    structuredDataContainerId: ContainerId,  # noqa: N803
    oid: Oid,
) -> None:
    await service.delete_structured_data(uow, caller, structuredDataContainerId, oid)


# --- structured-data references ------------------------------------------------------------


@router.get(
    REFERENCES,
    operation_id="getAllStructuredDataReferences",
    tags=REFERENCE_TAG,
    summary="Get All Structured Data References",
    description="Get all structuredData references",
    responses=error_responses(400, 401, 404),
)
async def get_all_references(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    versionUid: VersionUidParam = None,  # noqa: N803
) -> list[StructuredDataReference]:
    return await references.list_references(
        uow, caller, collectionId, dataObjectId, version_uid=versionUid
    )


@router.post(
    REFERENCES,
    operation_id="createStructuredDataReference",
    tags=REFERENCE_TAG,
    summary="Create Structured Data Reference",
    description="Create a new structuredData reference",
    status_code=201,
    responses=error_responses(400, 401, 403, 404),
)
async def create_reference(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    body: StructuredDataReference,
) -> StructuredDataReference:
    return await references.create_reference(uow, caller, collectionId, dataObjectId, body)


@router.get(
    REFERENCE,
    operation_id="getStructuredDataReference",
    tags=REFERENCE_TAG,
    summary="Get Structured Data Reference",
    description="Get structuredData reference",
    responses=ERRORS,
)
async def get_reference(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    structuredDataReferenceId: ReferenceId,  # noqa: N803
    versionUid: VersionUidParam = None,  # noqa: N803
) -> StructuredDataReference:
    return await references.get_reference(
        uow,
        caller,
        collectionId,
        dataObjectId,
        structuredDataReferenceId,
        version_uid=versionUid,
    )


@router.delete(
    REFERENCE,
    operation_id="deleteStructuredDataReference",
    tags=REFERENCE_TAG,
    summary="Delete Structured Data Reference",
    description="Delete structuredData reference",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_reference(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    structuredDataReferenceId: ReferenceId,  # noqa: N803
) -> None:
    await references.delete_reference(
        uow, caller, collectionId, dataObjectId, structuredDataReferenceId
    )


@router.get(
    REFERENCE + "/payload",
    operation_id="getStructuredDataPayload",
    tags=REFERENCE_TAG,
    summary="Get Structured Data Payload",
    description="Get structured data payload",
    responses=ERRORS,
)
async def get_reference_payloads(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    structuredDataReferenceId: ReferenceId,  # noqa: N803
) -> list[StructuredDataPayload]:
    return await references.get_payloads(
        uow, caller, collectionId, dataObjectId, structuredDataReferenceId
    )


@router.get(
    REFERENCE + "/payload/{oid}",
    operation_id="getSpecificStructuredDataPayload",
    tags=REFERENCE_TAG,
    summary="Get Specific Structured Data Payload",
    description="Get a specific structured data payload",
    responses=ERRORS,
)
async def get_reference_payload(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    structuredDataReferenceId: ReferenceId,  # noqa: N803
    oid: Oid,
) -> StructuredDataPayload:
    return await references.get_payload(
        uow, caller, collectionId, dataObjectId, structuredDataReferenceId, oid=oid
    )
