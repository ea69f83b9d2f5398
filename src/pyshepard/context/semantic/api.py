"""Semantic repositories and the semanticAnnotations sub-resources of collections, data objects,
references and timeseries channels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from pyshepard.api import (
    INT32_MAX,
    INT64_MAX,
    SHEPARD_PREFIX,
    Caller,
    CollectionId,
    DataObjectId,
    PageParam,
    SizeParam,
    Uow,
    error_responses,
)
from pyshepard.context.semantic import service
from pyshepard.context.semantic.schemas import (
    SemanticAnnotation,
    SemanticRepository,
    SemanticRepositoryAttributes,
)
from pyshepard.context.semantic.service import Subject
from pyshepard.context.semantic.sparql import SemanticClient

router = APIRouter(prefix=SHEPARD_PREFIX)

REPOSITORY_TAG = "semanticRepository"
ANNOTATION_TAG = "semanticAnnotation"
TIMESERIES_TAG = "timeseriesContainer"
REPOSITORIES = "/semanticRepositories"
ANNOTATIONS = "/semanticAnnotations"
ANNOTATION = ANNOTATIONS + "/{semanticAnnotationId}"
COLLECTION = "/collections/{collectionId}"
DATA_OBJECT = COLLECTION + "/dataObjects/{dataObjectId}"
REFERENCE = DATA_OBJECT + "/references/{referenceId}"
TIMESERIES = "/timeseriesContainers/{timeseriesContainerId}/timeseries/{timeseriesId}"
ERRORS = error_responses(400, 401, 403, 404)
REPOSITORY_ERRORS = error_responses(400, 401, 404)

RepositoryId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Semantic repository id")]
AnnotationId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Semantic annotation id")]
ReferenceId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Reference id")]
ContainerId = Annotated[int, Path(ge=0, le=INT64_MAX, description="Timeseries container id")]
ChannelId = Annotated[int, Path(ge=0, le=INT32_MAX, description="Timeseries id (int32)")]


async def _semantic_client(request: Request) -> SemanticClient:
    """The SPARQL client on the application's outbound httpx client (tests inject theirs)."""
    settings = request.app.state.settings
    return SemanticClient(
        http=request.app.state.http,
        timeout=settings.semantic_request_timeout_seconds,
        allow_private=settings.semantic_allow_private_endpoints,
    )


Sparql = Annotated[SemanticClient, Depends(_semantic_client)]


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


# -- annotations: one set of four routes per annotated kind -------------------------------------


@router.get(
    COLLECTION + ANNOTATIONS,
    operation_id="getAllCollectionAnnotations",
    tags=[ANNOTATION_TAG],
    summary="Get All Annotations",
    description="Get all semantic annotations",
    responses=ERRORS,
)
async def get_all_collection_annotations(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
) -> list[SemanticAnnotation]:
    return await service.list_annotations(uow, caller, Subject(collection_id=collectionId))


@router.post(
    COLLECTION + ANNOTATIONS,
    operation_id="createCollectionAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Create Annotation",
    description="Create a new semantic annotation",
    status_code=201,
    responses=ERRORS,
)
async def create_collection_annotation(
    uow: Uow,
    caller: Caller,
    sparql: Sparql,
    collectionId: CollectionId,  # noqa: N803
    semanticAnnotation: SemanticAnnotation,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(collection_id=collectionId)
    return await service.create_annotation(uow, caller, subject, semanticAnnotation, sparql)


@router.get(
    COLLECTION + ANNOTATION,
    operation_id="getCollectionAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Get Annotation",
    description="Get semantic annotation",
    responses=ERRORS,
)
async def get_collection_annotation(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(collection_id=collectionId)
    return await service.get_annotation(uow, caller, subject, semanticAnnotationId)


@router.delete(
    COLLECTION + ANNOTATION,
    operation_id="deleteCollectionAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Delete Annotation",
    description="Delete semantic annotation",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_collection_annotation(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> Response:
    subject = Subject(collection_id=collectionId)
    await service.delete_annotation(uow, caller, subject, semanticAnnotationId)
    return Response(status_code=204)


@router.get(
    DATA_OBJECT + ANNOTATIONS,
    operation_id="getAllDataObjectAnnotations",
    tags=[ANNOTATION_TAG],
    summary="Get All Annotations",
    description="Get all semantic annotations",
    responses=ERRORS,
)
async def get_all_data_object_annotations(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
) -> list[SemanticAnnotation]:
    subject = Subject(collection_id=collectionId, data_object_id=dataObjectId)
    return await service.list_annotations(uow, caller, subject)


@router.post(
    DATA_OBJECT + ANNOTATIONS,
    operation_id="createDataObjectAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Create Annotation",
    description="Create a new semantic annotation",
    status_code=201,
    responses=ERRORS,
)
async def create_data_object_annotation(
    *,
    uow: Uow,
    caller: Caller,
    sparql: Sparql,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    semanticAnnotation: SemanticAnnotation,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(collection_id=collectionId, data_object_id=dataObjectId)
    return await service.create_annotation(uow, caller, subject, semanticAnnotation, sparql)


@router.get(
    DATA_OBJECT + ANNOTATION,
    operation_id="getDataObjectAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Get Annotation",
    description="Get semantic annotation",
    responses=ERRORS,
)
async def get_data_object_annotation(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(collection_id=collectionId, data_object_id=dataObjectId)
    return await service.get_annotation(uow, caller, subject, semanticAnnotationId)


@router.delete(
    DATA_OBJECT + ANNOTATION,
    operation_id="deleteDataObjectAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Delete Annotation",
    description="Delete semantic annotation",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_data_object_annotation(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> Response:
    subject = Subject(collection_id=collectionId, data_object_id=dataObjectId)
    await service.delete_annotation(uow, caller, subject, semanticAnnotationId)
    return Response(status_code=204)


@router.get(
    REFERENCE + ANNOTATIONS,
    operation_id="getAllReferenceAnnotations",
    tags=[ANNOTATION_TAG],
    summary="Get All Annotations",
    description="Get all semantic annotations",
    responses=ERRORS,
)
async def get_all_reference_annotations(
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
) -> list[SemanticAnnotation]:
    subject = Subject(
        collection_id=collectionId, data_object_id=dataObjectId, reference_id=referenceId
    )
    return await service.list_annotations(uow, caller, subject)


@router.post(
    REFERENCE + ANNOTATIONS,
    operation_id="createReferenceAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Create Annotation",
    description="Create a new semantic annotation",
    status_code=201,
    responses=ERRORS,
)
async def create_reference_annotation(
    *,
    uow: Uow,
    caller: Caller,
    sparql: Sparql,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
    semanticAnnotation: SemanticAnnotation,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(
        collection_id=collectionId, data_object_id=dataObjectId, reference_id=referenceId
    )
    return await service.create_annotation(uow, caller, subject, semanticAnnotation, sparql)


@router.get(
    REFERENCE + ANNOTATION,
    operation_id="getReferenceAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Get Annotation",
    description="Get semantic annotation",
    responses=ERRORS,
)
async def get_reference_annotation(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(
        collection_id=collectionId, data_object_id=dataObjectId, reference_id=referenceId
    )
    return await service.get_annotation(uow, caller, subject, semanticAnnotationId)


@router.delete(
    REFERENCE + ANNOTATION,
    operation_id="deleteReferenceAnnotation",
    tags=[ANNOTATION_TAG],
    summary="Delete Annotation",
    description="Delete semantic annotation",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_reference_annotation(
    *,
    uow: Uow,
    caller: Caller,
    collectionId: CollectionId,  # noqa: N803
    dataObjectId: DataObjectId,  # noqa: N803
    referenceId: ReferenceId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> Response:
    subject = Subject(
        collection_id=collectionId, data_object_id=dataObjectId, reference_id=referenceId
    )
    await service.delete_annotation(uow, caller, subject, semanticAnnotationId)
    return Response(status_code=204)


@router.get(
    TIMESERIES + ANNOTATIONS,
    operation_id="getAllAnnotationsOfTimeseries",
    tags=[TIMESERIES_TAG],
    summary="Get All Annotations",
    description="Get all semantic annotations of a timeseries.",
    responses=ERRORS,
)
async def get_all_annotations_of_timeseries(
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    timeseriesId: ChannelId,  # noqa: N803
) -> list[SemanticAnnotation]:
    subject = Subject(container_id=timeseriesContainerId, timeseries_id=timeseriesId)
    return await service.list_annotations(uow, caller, subject)


@router.post(
    TIMESERIES + ANNOTATIONS,
    operation_id="createAnnotationForTimeseries",
    tags=[TIMESERIES_TAG],
    summary="Create Annotation",
    description="Create new annotation for a timeseries.",
    status_code=201,
    responses=ERRORS,
)
async def create_annotation_for_timeseries(
    *,
    uow: Uow,
    caller: Caller,
    sparql: Sparql,
    timeseriesContainerId: ContainerId,  # noqa: N803
    timeseriesId: ChannelId,  # noqa: N803
    semanticAnnotation: SemanticAnnotation,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(container_id=timeseriesContainerId, timeseries_id=timeseriesId)
    return await service.create_annotation(uow, caller, subject, semanticAnnotation, sparql)


@router.get(
    TIMESERIES + ANNOTATION,
    operation_id="getSemanticAnnotationOfTimeseries",
    tags=[TIMESERIES_TAG],
    summary="Get Annotation By Id",
    description="Get a specific semantic annotation of a timeseries (a single object, as "
    "upstream's server answers; the upstream document types it as an array).",
    responses=ERRORS,
)
async def get_semantic_annotation_of_timeseries(
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    timeseriesId: ChannelId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> SemanticAnnotation:
    subject = Subject(container_id=timeseriesContainerId, timeseries_id=timeseriesId)
    return await service.get_annotation(uow, caller, subject, semanticAnnotationId)


@router.delete(
    TIMESERIES + ANNOTATION,
    operation_id="deleteAnnotationOfTimeseries",
    tags=[TIMESERIES_TAG],
    summary="Delete Annotation",
    description="Delete annotation of timeseries.",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
)
async def delete_annotation_of_timeseries(
    uow: Uow,
    caller: Caller,
    timeseriesContainerId: ContainerId,  # noqa: N803
    timeseriesId: ChannelId,  # noqa: N803
    semanticAnnotationId: AnnotationId,  # noqa: N803
) -> Response:
    subject = Subject(container_id=timeseriesContainerId, timeseries_id=timeseriesId)
    await service.delete_annotation(uow, caller, subject, semanticAnnotationId)
    return Response(status_code=204)
