"""Semantic repositories and the semanticAnnotations sub-resources of collections, data objects,
references and timeseries channels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from pyshepard.api import (
    INT32_MAX,
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    PageParam,
    RouteDoc,
    SizeParam,
    Uow,
    error_responses,
)
from pyshepard.context.semantic import service
from pyshepard.context.semantic.routes import (
    AnnotationOperation,
    AnnotationRouteSpec,
    Sparql,
    annotation_routes,
)
from pyshepard.context.semantic.schemas import SemanticRepository, SemanticRepositoryAttributes
from pyshepard.context.semantic.service import Subject

router = APIRouter(prefix=SHEPARD_PREFIX)

REPOSITORY_TAG = "semanticRepository"
REPOSITORIES = "/semanticRepositories"
COLLECTION = "/collections/{collectionId}"
DATA_OBJECT = COLLECTION + "/dataObjects/{dataObjectId}"
REFERENCE = DATA_OBJECT + "/references/{referenceId}"
TIMESERIES = "/timeseriesContainers/{timeseriesContainerId}/timeseries/{timeseriesId}"
REPOSITORY_ERRORS = error_responses(400, 401, 404)

RepositoryId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Semantic repository id")]
ReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Reference id")]
ContainerId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Timeseries container id")]
ChannelId = Annotated[int, Path(ge=0, le=INT32_MAX, description="Timeseries id (int32)")]


# -- repositories ------------------------------------------------------------------------------


@router.get(
    REPOSITORIES,
    operation_id="getAllSemanticRepositories",
    tags=[REPOSITORY_TAG],
    summary="Get All Semantic Repositories",
    description="Get all semantic repositories",
    responses=REPOSITORY_ERRORS,
)
async def get_all_semantic_repositories(
    *,
    uow: Uow,
    caller: Caller,  # noqa: ARG001 - authenticated users only
    name: str | None = None,
    page: PageParam = None,
    size: SizeParam = None,
    orderBy: Annotated[SemanticRepositoryAttributes | None, Query()] = None,  # noqa: N803
    orderDesc: bool | None = None,  # noqa: N803
) -> list[SemanticRepository]:
    return await service.list_repositories(
        uow, name=name, page=page, size=size, order_by=orderBy, order_desc=orderDesc
    )


@router.post(
    REPOSITORIES,
    operation_id="createSemanticRepository",
    tags=[REPOSITORY_TAG],
    summary="Create Semantic Repository",
    description="Create a new semantic repository; the endpoint must answer `ASK { ?x ?y ?z }`.",
    status_code=201,
    responses=REPOSITORY_ERRORS,
)
async def create_semantic_repository(
    uow: Uow,
    caller: Caller,
    sparql: Sparql,
    semanticRepository: SemanticRepository,  # noqa: N803
) -> SemanticRepository:
    return await service.create_repository(uow, caller, semanticRepository, sparql)


@router.get(
    REPOSITORIES + "/{semanticRepositoryId}",
    operation_id="getSemanticRepository",
    tags=[REPOSITORY_TAG],
    summary="Get Semantic Repository",
    description="Get semantic repository",
    responses=REPOSITORY_ERRORS,
)
async def get_semantic_repository(
    uow: Uow,
    caller: Caller,  # noqa: ARG001 - authenticated users only
    semanticRepositoryId: RepositoryId,  # noqa: N803
) -> SemanticRepository:
    return await service.get_repository(uow, semanticRepositoryId)


@router.delete(
    REPOSITORIES + "/{semanticRepositoryId}",
    operation_id="deleteSemanticRepository",
    tags=[REPOSITORY_TAG],
    summary="Delete Semantic Repository",
    description="Delete semantic repository",
    status_code=204,
    response_class=Response,
    responses=REPOSITORY_ERRORS,
)
async def delete_semantic_repository(
    uow: Uow,
    caller: Caller,
    semanticRepositoryId: RepositoryId,  # noqa: N803
) -> Response:
    await service.delete_repository(uow, caller, semanticRepositoryId)
    return Response(status_code=204)


# -- annotations: the same four routes per annotated kind -------------------------------------


# each kind's path parameters, in upstream's order, read into the annotated Subject


async def _collection(collectionId: CollectionId) -> Subject:  # noqa: N803
    return Subject(collection_id=collectionId)


async def _data_object(
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
) -> Subject:
    return Subject(collection_id=collectionId, data_object_id=dataObjectId)


async def _reference(
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
) -> Subject:
    return Subject(
        collection_id=collectionId, data_object_id=dataObjectId, reference_id=referenceId
    )


async def _timeseries_channel(
    timeseriesContainerId: ContainerId,  # noqa: N803
    timeseriesId: ChannelId,  # noqa: N803
) -> Subject:
    return Subject(container_id=timeseriesContainerId, timeseries_id=timeseriesId)


annotation_routes(
    router, AnnotationRouteSpec(label="collection", path=COLLECTION, subject=_collection)
)
annotation_routes(
    router, AnnotationRouteSpec(label="data object", path=DATA_OBJECT, subject=_data_object)
)
annotation_routes(
    router, AnnotationRouteSpec(label="reference", path=REFERENCE, subject=_reference)
)
annotation_routes(
    router,
    AnnotationRouteSpec(
        label="timeseries",
        path=TIMESERIES,
        subject=_timeseries_channel,
        tag="timeseriesContainer",
        docs={
            AnnotationOperation.LIST: RouteDoc(
                operation_id="getAllAnnotationsOfTimeseries",
                description="Get all semantic annotations of a timeseries.",
            ),
            AnnotationOperation.CREATE: RouteDoc(
                operation_id="createAnnotationForTimeseries",
                description="Create new annotation for a timeseries.",
            ),
            AnnotationOperation.GET: RouteDoc(
                operation_id="getSemanticAnnotationOfTimeseries",
                summary="Get Annotation By Id",
                description="Get a specific semantic annotation of a timeseries (a single "
                "object, as upstream's server answers; the upstream document types it as an "
                "array).",
            ),
            AnnotationOperation.DELETE: RouteDoc(
                operation_id="deleteAnnotationOfTimeseries",
                description="Delete annotation of timeseries.",
            ),
        },
    ),
)
