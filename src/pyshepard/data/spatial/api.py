"""HTTP routes of spatial-data containers, their points and spatial-data references."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.exceptions import HTTPException

from pyshepard.api import (
    INT32_MAX,
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    RouteDoc,
    Uow,
    database,
    error_responses,
)
from pyshepard.context.references.routes import (
    ReferenceOperation,
    ReferenceRouteSpec,
    reference_routes,
)
from pyshepard.core.db import UnitOfWork
from pyshepard.core.streams import started
from pyshepard.data.containers.routes import (
    ContainerOperation,
    ContainerRouteSpec,
    container_routes,
)
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.spatial import references, service
from pyshepard.data.spatial.schemas import (
    SpatialDataContainer,
    SpatialDataPoint,
    SpatialDataReference,
)

router = APIRouter(prefix=SHEPARD_PREFIX)

JSON = "application/json"
ERRORS = error_responses(400, 401, 403, 404)
CONTAINER_TAG: list[str | Enum] = ["spatialDataContainer"]
REFERENCE_TAG: list[str | Enum] = ["spatialDataReference"]
CONTAINERS = "/spatialDataContainers"
ITEM = CONTAINERS + "/{spatialDataContainerId}"
REFERENCES = "/collections/{collectionId}/dataObjects/{dataObjectId}/spatialDataReferences"
REFERENCE = REFERENCES + "/{spatialDataReferenceId}"


async def _enabled(request: Request) -> None:
    """`shepard.spatial-data.enabled=false` upstream: the container endpoints do not exist."""
    if not request.app.state.settings.spatial_enabled:
        raise HTTPException(status_code=404, detail="HTTP 404 Not Found")


ENABLED = [Depends(_enabled)]
ContainerId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Spatial data container id")]
ReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Spatial data reference id")]
TimeParam = Annotated[int | None, Query(ge=0, le=INT64_MAX)]
CountParam = Annotated[int | None, Query(ge=0, le=INT32_MAX)]
POINTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {
                "schema": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/SpatialDataPoint"},
                }
            }
        },
    }
}
GEOMETRY_HELP = (
    "A JSON object, one of: "
    '`{"type":"AXIS_ALIGNED_BOUNDING_BOX","minX":0,"minY":0,"minZ":0,"maxX":100,"maxY":100,'
    '"maxZ":100}`, `{"type":"BOUNDING_SPHERE","radius":50,"centerX":15,"centerY":25,'
    '"centerZ":20}`, `{"type":"K_NEAREST_NEIGHBOR","k":5,"x":10,"y":20,"z":30}` (nearest '
    'first; no limit or skip), `{"type":"ORIENTED_BOUNDING_BOX","centerX":0,"centerY":0,'
    '"centerZ":0,"roll":0,"pitch":0,"yaw":45,"width":10,"height":5,"depth":2}` (angles in '
    "degrees, R = Rz(yaw)·Ry(pitch)·Rx(roll); width/height/depth along the box's x/y/z)."
)


async def _reading(request: Request) -> AsyncIterator[UnitOfWork]:
    """A read-only unit of work that lives until the response is sent, so large results
    stream from the database (no write lock on SQLite)."""
    uow = database(request).unit_of_work(read_only=True)
    try:
        yield uow
    finally:
        await uow.rollback()
        await uow.session.close()


Reading = Annotated[UnitOfWork, Depends(_reading)]  # default scope: after the response


async def _json(pieces: AsyncIterator[bytes]) -> StreamingResponse:
    """The pieces as one streamed JSON array. The first piece (the statement's first rows, or
    a kNN answer whole) is read before the status line goes out: a query the database refuses
    is an error response, not a 200 whose body breaks off."""
    return StreamingResponse(await started(pieces), media_type=JSON)


# -- containers --------------------------------------------------------------------------------


container_routes(
    router,
    ContainerType.SPATIALDATA,
    ContainerRouteSpec(
        label="spatial data",
        schema=SpatialDataContainer,
        list_containers=service.list_containers,
        create_container=service.create_container,
        get_container=service.get_container,
        delete_container=service.delete_container,
        delete_status=200,
        dependencies=ENABLED,
        docs={
            ContainerOperation.LIST: RouteDoc(
                operation_id="getSpatialDataContainers",
                description="Get spatial data containers.",
                responses=error_responses(400, 401, 404),
            ),
            ContainerOperation.CREATE: RouteDoc(
                description="Create a new spatial data container.",
                responses=error_responses(400),
            ),
            ContainerOperation.GET: RouteDoc(description="Get spatial data container."),
            ContainerOperation.DELETE: RouteDoc(
                description="Deletes spatial data container and related spatial data.",
                responses={200: {"description": "ok"}, **ERRORS},
            ),
        },
    ),
)


# -- points ------------------------------------------------------------------------------------


@router.get(
    ITEM + "/payload",
    operation_id="getSpatialDataPoints",
    tags=CONTAINER_TAG,
    summary="Get Spatial Data Points",
    description="Get spatial data by container id: the points matching every given filter, in "
    "insertion order (kNN: nearest first).",
    response_model=list[SpatialDataPoint],
    responses=ERRORS,
    dependencies=ENABLED,
)
async def get_points(
    *,
    uow: Reading,
    caller: Caller,
    spatialDataContainerId: ContainerId,  # noqa: N803
    metadataFilter: Annotated[  # noqa: N803
        str | None,
        Query(
            description="A JSON object the points' metadata must contain (PostgreSQL jsonb "
            'containment), e.g. `{"track": 1, "key": {"subKey": "some data"}}`'
        ),
    ] = None,
    measurementsFilter: Annotated[  # noqa: N803
        str | None,
        Query(
            description="A JSON array of FilterCondition `{key, operator, value}`: key is a "
            "comma-separated path into the measurements, operator EQUALS, GREATER_THAN or "
            'LESS_THAN, value a number. Example: `[{"key":"temperature,val","operator":'
            '"LESS_THAN","value":10}]`'
        ),
    ] = None,
    geometryFilter: Annotated[str | None, Query(description=GEOMETRY_HELP)] = None,  # noqa: N803
    startTime: TimeParam = None,  # noqa: N803
    endTime: TimeParam = None,  # noqa: N803
    limit: CountParam = None,
    skip: Annotated[
        int | None,
        Query(
            ge=0,
            le=INT32_MAX,
            description="Returns every nth data point (point id modulo n), as upstream.",
        ),
    ] = None,
) -> Response:
    pieces = await service.read_points(
        uow,
        caller,
        spatialDataContainerId,
        geometry_filter=geometryFilter,
        metadata_filter=metadataFilter,
        measurements_filter=measurementsFilter,
        start=startTime,
        end=endTime,
        limit=limit,
        skip=skip,
    )
    return await _json(pieces)


@router.post(
    ITEM + "/payload",
    operation_id="createSpatialDataPoints",
    tags=CONTAINER_TAG,
    summary="Create Spatial Data Points",
    description="Adds spatial data points to a spatial data container.",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
    openapi_extra=POINTS_BODY,
    dependencies=ENABLED,
)
async def create_points(
    request: Request,
    uow: Uow,
    caller: Caller,
    spatialDataContainerId: ContainerId,  # noqa: N803
) -> Response:
    await service.save_points(uow, caller, spatialDataContainerId, await request.body())
    return Response(status_code=204)


# -- spatial-data references -------------------------------------------------------------------


reference_routes(
    router,
    ReferenceRouteSpec(
        label="spatial data",
        schema=SpatialDataReference,
        list_references=references.list_references,
        create_reference=references.create_reference,
        get_reference=references.get_reference,
        delete_reference=references.delete_reference,
        docs={
            ReferenceOperation.LIST: RouteDoc(description="Get all spatial data references"),
            ReferenceOperation.CREATE: RouteDoc(
                description="Create a new spatialData reference (a saved query; see Get "
                "Spatial Data Points for the filters)."
            ),
        },
    ),
)


@router.get(
    REFERENCE + "/payload",
    operation_id="getSpatialDataPayload",
    tags=REFERENCE_TAG,
    summary="Get Spatial Data Payload",
    description="Get spatialData reference payload: the saved query run now.",
    response_model=list[SpatialDataPoint],
    responses=ERRORS,
)
async def get_reference_payload(
    *,
    uow: Reading,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    spatialDataReferenceId: ReferenceId,  # noqa: N803
) -> Response:
    pieces = await references.get_payload(
        uow, caller, collectionId, dataObjectId, spatialDataReferenceId
    )
    return await _json(pieces)
