"""HTTP routes of timeseries containers, their channels and points, and timeseries references.

The point bodies are parsed and rendered as bytes (orjson, COPY text) rather than through
Pydantic models: a 100 000-point request or a 1 000 000-point answer stays fast. The models in
`schemas.py` still document them in the OpenAPI document.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from pyshepard.api import (
    INT32_MAX,
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    RouteDoc,
    Uow,
    VersionUidParam,
    error_responses,
)
from pyshepard.context.references.routes import (
    ReferenceRouteSpec,
    reference_routes,
)
from pyshepard.data.containers.routes import (
    ContainerOperation,
    ContainerRouteSpec,
    container_routes,
)
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.data.timeseries import references, service
from pyshepard.data.timeseries.references import ChannelFilters
from pyshepard.data.timeseries.rules import ChannelKey, PointQuery
from pyshepard.data.timeseries.schemas import (
    AggregateFunction,
    CsvFormat,
    FillOption,
    MetricsIO,
    Timeseries,
    TimeseriesContainer,
    TimeseriesEntity,
    TimeseriesReference,
    TimeseriesWithDataPoints,
)

router = APIRouter(prefix=SHEPARD_PREFIX)

ERRORS = error_responses(400, 401, 403, 404)
CONTAINER_TAG: list[str | Enum] = ["timeseriesContainer"]
REFERENCE_TAG: list[str | Enum] = ["timeseriesReference"]
CONTAINERS = "/timeseriesContainers"
ITEM = CONTAINERS + "/{timeseriesContainerId}"
REFERENCES = "/collections/{collectionId}/dataObjects/{dataObjectId}/timeseriesReferences"
REFERENCE = REFERENCES + "/{timeseriesReferenceId}"
JSON = "application/json"
CSV_HEADERS = {"Content-Disposition": 'attachment; filename="timeseries-export.csv"'}


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("not_blank", "must not be blank")
    return value


ContainerId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Timeseries container id")]
ReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Timeseries reference id")]
ChannelId = Annotated[int, Path(ge=0, le=INT32_MAX, description="Timeseries id (int32)")]
# `@NotBlank` query parameters naming a channel
TupleParam = Annotated[str, BeforeValidator(_not_blank), Query(pattern=r"\S")]
TimeParam = Annotated[int, Query(ge=0, le=INT64_MAX, description="Nanoseconds since the epoch")]
GroupByParam = Annotated[
    int | None,
    Query(ge=-INT64_MAX - 1, le=INT64_MAX, description="Bucket size in nanoseconds"),
]
FilterParam = Annotated[list[str] | None, Query()]

BINARY: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "ok",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **ERRORS,
}
POINTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/TimeseriesWithDataPoints"}}},
    }
}


def _json(body: bytes) -> Response:
    return Response(content=body, media_type=JSON)


# -- containers --------------------------------------------------------------------------------


container_routes(
    router,
    ContainerType.TIMESERIES,
    ContainerRouteSpec(
        label="timeseries",
        schema=TimeseriesContainer,
        list_containers=service.list_containers,
        create_container=service.create_container,
        get_container=service.get_container,
        delete_container=service.delete_container,
        docs={
            ContainerOperation.DELETE: RouteDoc(
                description="Delete timeseries container (owner only; its channels and points "
                "go with it)"
            )
        },
    ),
)


# -- points ------------------------------------------------------------------------------------


@router.post(
    ITEM + "/payload",
    operation_id="createTimeseries",
    tags=CONTAINER_TAG,
    summary="Create Timeseries",
    description="Upload timeseries to container: the channel (5-tuple) is created on its first "
    "write, which fixes its value type; a later value for a stored timestamp overwrites it.",
    status_code=201,
    responses=ERRORS,
    openapi_extra=POINTS_BODY,
)
async def create_timeseries(
    request: Request,
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
) -> Timeseries:
    body = await request.body()
    return await service.save_points(uow, caller, timeseriesContainerId, body)


@router.get(
    ITEM + "/payload",
    operation_id="getTimeseries",
    tags=CONTAINER_TAG,
    summary="Get Timeseries",
    description="Get timeseries payload: the points of [start, end] (ns, inclusive), or one "
    "aggregate per `group_by` bucket, gap-filled by `fill_option`.",
    response_model=TimeseriesWithDataPoints,
    responses=ERRORS,
)
async def get_timeseries(
    *,
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    measurement: TupleParam,
    location: TupleParam,
    device: TupleParam,
    symbolic_name: TupleParam,
    field: TupleParam,
    start: TimeParam,
    end: TimeParam,
    function: AggregateFunction | None = None,
    group_by: GroupByParam = None,
    fill_option: FillOption | None = None,
) -> Response:
    key = ChannelKey(measurement, device, location, symbolic_name, field)
    query = PointQuery(start, end, function, group_by, fill_option)
    return _json(await service.get_points(uow, caller, timeseriesContainerId, key, query))


@router.get(
    ITEM + "/export",
    operation_id="exportTimeseries",
    tags=CONTAINER_TAG,
    summary="Export Timeseries",
    description="Export timeseries payload as CSV (`csv_format` ROW or COLUMN)",
    response_class=Response,
    responses=BINARY,
)
async def export_timeseries(
    *,
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    measurement: TupleParam,
    location: TupleParam,
    device: TupleParam,
    symbolic_name: TupleParam,
    field: TupleParam,
    start: TimeParam,
    end: TimeParam,
    function: AggregateFunction | None = None,
    group_by: GroupByParam = None,
    fill_option: FillOption | None = None,
    csv_format: CsvFormat = CsvFormat.ROW,
) -> Response:
    key = ChannelKey(measurement, device, location, symbolic_name, field)
    query = PointQuery(start, end, function, group_by, fill_option)
    body = await service.export_csv(
        uow, caller, timeseriesContainerId, key, query, csv_format=csv_format
    )
    return Response(content=body, media_type="application/octet-stream", headers=CSV_HEADERS)


# what FastAPI documents for an UploadFile, also for the text a part without a filename gives
_FILE_SCHEMA = {"type": "string", "contentMediaType": "application/octet-stream"}


@router.post(
    ITEM + "/import",
    operation_id="importTimeseries",
    tags=CONTAINER_TAG,
    summary="Import Timeseries",
    description="Import timeseries payload: a ROW-format CSV file in the multipart field "
    "`file`, stored in one transaction (all points or none).",
    response_class=Response,
    responses={200: {"description": "ok"}, **ERRORS},
)
async def import_timeseries(
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    file: Annotated[
        UploadFile | str, WithJsonSchema(_FILE_SCHEMA), File(description="Timeseries as CSV")
    ],
) -> Response:
    # a part sent without a filename (`curl -F 'file=<data.csv'`) arrives as text, decoded
    # as UTF-8 (Latin-1 where that fails); its bytes are those again, or that text's UTF-8
    data = file.encode() if isinstance(file, str) else await file.read()
    await service.import_csv(uow, caller, timeseriesContainerId, data)
    return Response(status_code=200)


@router.get(
    ITEM + "/timeseries",
    operation_id="getTimeseriesOfContainer",
    tags=CONTAINER_TAG,
    summary="Get Timeseries Of Container",
    description="Get all available timeseries for that container.",
    responses=ERRORS,
)
async def get_timeseries_of_container(
    *,
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    measurement: str | None = None,
    device: str | None = None,
    location: str | None = None,
    symbolic_name: str | None = None,
    field: str | None = None,
) -> list[TimeseriesEntity]:
    filters = ChannelKey(
        measurement or "", device or "", location or "", symbolic_name or "", field or ""
    )
    return await service.list_channels(uow, caller, timeseriesContainerId, filters)


@router.get(
    ITEM + "/timeseries/{timeseriesId}",
    operation_id="getTimeseriesById",
    tags=CONTAINER_TAG,
    summary="Get Timeseries By Id",
    description="Get timeseries by id (a single object, as upstream's server answers).",
    responses=ERRORS,
)
async def get_timeseries_by_id(
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    timeseriesId: ChannelId,  # noqa: N803
) -> TimeseriesEntity:
    return await service.get_channel(uow, caller, timeseriesContainerId, timeseriesId)


@router.get(
    ITEM + "/available",
    operation_id="getTimeseriesAvailable",
    tags=CONTAINER_TAG,
    summary="Get Timeseries Available",
    description="Get timeseries available. Deprecated, use "
    "/timeseriesContainers/{containerId}/timeseries instead.",
    deprecated=True,
    responses=ERRORS,
)
async def get_timeseries_available(
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
) -> list[Timeseries]:
    return await service.list_available(uow, caller, timeseriesContainerId)


# -- timeseries references ---------------------------------------------------------------------


reference_routes(
    router,
    ReferenceRouteSpec(
        label="timeseries",
        schema=TimeseriesReference,
        list_references=references.list_references,
        create_reference=references.create_reference,
        get_reference=references.get_reference,
        delete_reference=references.delete_reference,
    ),
)


def _filters(
    measurement: list[str] | None,
    device: list[str] | None,
    location: list[str] | None,
    symbolic_name: list[str] | None,
    field: list[str] | None,
) -> ChannelFilters:
    return ChannelFilters(
        measurement=measurement or (),
        device=device or (),
        location=location or (),
        symbolic_name=symbolic_name or (),
        field=field or (),
    )


@router.get(
    REFERENCE + "/payload",
    operation_id="getTimeseriesPayload",
    tags=REFERENCE_TAG,
    summary="Get Timeseries Payload",
    description="Get timeseries reference payload: the referenced channels (optionally "
    "filtered) over the reference's window",
    response_model=list[TimeseriesWithDataPoints],
    responses=ERRORS,
)
async def get_reference_payload(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    timeseriesReferenceId: ReferenceId,  # noqa: N803
    function: AggregateFunction | None = None,
    group_by: GroupByParam = None,
    fill_option: FillOption | None = None,
    device: FilterParam = None,
    location: FilterParam = None,
    symbolic_name: FilterParam = None,
    measurement: FilterParam = None,
    field: FilterParam = None,
) -> Response:
    body = await references.get_payload(
        uow,
        caller,
        collectionId,
        dataObjectId,
        timeseriesReferenceId,
        filters=_filters(measurement, device, location, symbolic_name, field),
        function=function,
        group_by=group_by,
        fill=fill_option,
    )
    return _json(body)


@router.get(
    REFERENCE + "/export",
    operation_id="exportTimeseriesPayload",
    tags=REFERENCE_TAG,
    summary="Export Timeseries Payload",
    description="Export timeseries reference payload as CSV",
    response_class=Response,
    responses=BINARY,
)
async def export_reference_payload(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    timeseriesReferenceId: ReferenceId,  # noqa: N803
    function: AggregateFunction | None = None,
    group_by: GroupByParam = None,
    fill_option: FillOption | None = None,
    device: FilterParam = None,
    location: FilterParam = None,
    symbolic_name: FilterParam = None,
    measurement: FilterParam = None,
    field: FilterParam = None,
    csv_format: CsvFormat = CsvFormat.ROW,
) -> Response:
    body = await references.export_payload(
        uow,
        caller,
        collectionId,
        dataObjectId,
        timeseriesReferenceId,
        filters=_filters(measurement, device, location, symbolic_name, field),
        csv_format=csv_format,
        function=function,
        group_by=group_by,
        fill=fill_option,
    )
    return Response(content=body, media_type="application/octet-stream")


@router.get(
    REFERENCE + "/metrics",
    operation_id="getMetricsOfTimeseriesReference",
    tags=REFERENCE_TAG,
    summary="Get Metrics Of Timeseries Reference",
    description="Get timeseries reference metrics by reference id.",
    responses=error_responses(404),
)
async def get_metrics(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    timeseriesReferenceId: ReferenceId,  # noqa: N803
    measurement: TupleParam,
    device: TupleParam,
    location: TupleParam,
    symbolic_name: TupleParam,
    field: TupleParam,
    versionUid: VersionUidParam = None,  # noqa: N803
) -> list[MetricsIO]:
    return await references.get_metrics(
        uow,
        caller,
        collectionId,
        dataObjectId,
        timeseriesReferenceId,
        key=ChannelKey(measurement, device, location, symbolic_name, field),
        version_uid=versionUid,
    )


@router.get(
    REFERENCE + "/metric",
    operation_id="getMetricOfTimeseriesReference",
    tags=REFERENCE_TAG,
    summary="Get Metric Of Timeseries Reference",
    description="Get timeseries reference metric by id.",
    responses=error_responses(404),
)
async def get_metric(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    timeseriesReferenceId: ReferenceId,  # noqa: N803
    measurement: TupleParam,
    device: TupleParam,
    location: TupleParam,
    symbolic_name: TupleParam,
    field: TupleParam,
    function: AggregateFunction,
    versionUid: VersionUidParam = None,  # noqa: N803
) -> MetricsIO:
    metrics = await references.get_metrics(
        uow,
        caller,
        collectionId,
        dataObjectId,
        timeseriesReferenceId,
        key=ChannelKey(measurement, device, location, symbolic_name, field),
        functions=[function],
        version_uid=versionUid,
    )
    return metrics[0]
