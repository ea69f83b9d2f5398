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
    RouteDoc,
    Uow,
    error_responses,
)
from pyshepard.context.references.routes import (
    ReferenceOperation,
    ReferenceRouteSpec,
    reference_routes,
)
from pyshepard.data.containers.routes import (
    ContainerOperation,
    ContainerRouteSpec,
    container_routes,
)
from pyshepard.data.containers.schemas import ContainerType
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


container_routes(
    router,
    ContainerType.STRUCTUREDDATA,
    ContainerRouteSpec(
        label="structured data",
        schema=StructuredDataContainer,
        list_containers=service.list_containers,
        create_container=service.create_container,
        get_container=service.get_container,
        delete_container=service.delete_container,
        docs={ContainerOperation.LIST: RouteDoc(responses=error_responses(400, 401, 404))},
    ),
)


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


reference_routes(
    router,
    ReferenceRouteSpec(
        label="structured data",
        schema=StructuredDataReference,
        list_references=references.list_references,
        create_reference=references.create_reference,
        get_reference=references.get_reference,
        delete_reference=references.delete_reference,
        docs={ReferenceOperation.LIST: RouteDoc(responses=error_responses(400, 401, 404))},
    ),
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
