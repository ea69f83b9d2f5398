"""The list/create/get/delete semanticAnnotations routes every annotated kind shares, registered
by one factory.

`annotation_routes(router, spec)` appends `/semanticAnnotations` and
`/semanticAnnotations/{semanticAnnotationId}` to `spec.path`. For the label `"data object"`:
operation ids `getAllDataObjectAnnotations`, `createDataObjectAnnotation`,
`getDataObjectAnnotation`, `deleteDataObjectAnnotation`; tag `semanticAnnotation`; summaries
and descriptions are the same for every kind ("Get All Annotations", "Get all semantic
annotations", ...). `spec.docs` overrides an operation's id, summary, description or responses.

The kinds differ in their path parameters, so each kind names them in `spec.subject`, a
dependency that reads them and returns the annotated `Subject`.

No `from __future__ import annotations` here: the endpoints' annotations name objects built
inside the factory (the kind's subject dependency), which FastAPI can resolve only when they
are evaluated where they are written.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from pyshepard.api import (
    INT64_MAX,
    Caller,
    CrudOperation,
    RouteArguments,
    RouteDoc,
    Uow,
    error_responses,
    pascal_case,
    route_arguments,
)
from pyshepard.context.semantic import service
from pyshepard.context.semantic.schemas import SemanticAnnotation
from pyshepard.context.semantic.service import Subject
from pyshepard.context.semantic.sparql import SemanticClient

ANNOTATIONS = "/semanticAnnotations"
ERRORS = error_responses(400, 401, 403, 404)
AnnotationOperation = CrudOperation


async def _semantic_client(request: Request) -> SemanticClient:
    """The SPARQL client on the application's outbound httpx client (tests inject theirs)."""
    settings = request.app.state.settings
    return SemanticClient(
        http=request.app.state.http,
        timeout=settings.semantic_request_timeout_seconds,
        allow_private=settings.semantic_allow_private_endpoints,
    )


Sparql = Annotated[SemanticClient, Depends(_semantic_client)]


async def _annotation_id(
    semanticAnnotationId: Annotated[  # noqa: N803 - upstream parameter name
        int, Path(ge=0, le=INT64_MAX, description="Semantic annotation id")
    ],
) -> int:
    return semanticAnnotationId


# A dependency, not a plain parameter: FastAPI lists an endpoint's own path parameters before
# those of its dependencies, and upstream lists the annotation id after the subject's.
AnnotationId = Annotated[int, Depends(_annotation_id)]


DEFAULT_SUMMARIES = {
    AnnotationOperation.LIST: "Get All Annotations",
    AnnotationOperation.CREATE: "Create Annotation",
    AnnotationOperation.GET: "Get Annotation",
    AnnotationOperation.DELETE: "Delete Annotation",
}
DEFAULT_DESCRIPTIONS = {
    AnnotationOperation.LIST: "Get all semantic annotations",
    AnnotationOperation.CREATE: "Create a new semantic annotation",
    AnnotationOperation.GET: "Get semantic annotation",
    AnnotationOperation.DELETE: "Delete semantic annotation",
}


@dataclass(frozen=True, kw_only=True)
class AnnotationRouteSpec:
    """One annotated kind: its path, operation-id label and path parameters."""

    label: str  # "collection", "data object", "reference", "timeseries"
    path: str  # the annotated thing, e.g. "/collections/{collectionId}"
    subject: Callable[..., Awaitable[Subject]]  # FastAPI dependency on the path's parameters
    tag: str = "semanticAnnotation"
    docs: Mapping[AnnotationOperation, RouteDoc] = field(default_factory=dict)


def annotation_routes(router: APIRouter, spec: AnnotationRouteSpec) -> None:
    """Register the four semantic annotation operations of one annotated kind on `router`."""
    collection_path = spec.path + ANNOTATIONS
    item_path = collection_path + "/{semanticAnnotationId}"
    kind = pascal_case(spec.label)
    default_ids = {
        AnnotationOperation.LIST: f"getAll{kind}Annotations",
        AnnotationOperation.CREATE: f"create{kind}Annotation",
        AnnotationOperation.GET: f"get{kind}Annotation",
        AnnotationOperation.DELETE: f"delete{kind}Annotation",
    }

    def route(operation: AnnotationOperation) -> RouteArguments:
        return route_arguments(
            spec.docs.get(operation, RouteDoc()),
            operation_id=default_ids[operation],
            tag=spec.tag,
            summary=DEFAULT_SUMMARIES[operation],
            description=DEFAULT_DESCRIPTIONS[operation],
            responses=ERRORS,
        )

    KindSubject = Annotated[Subject, Depends(spec.subject)]  # noqa: N806 - a type alias

    @router.get(collection_path, **route(AnnotationOperation.LIST))
    async def get_all_annotations(
        uow: Uow, caller: Caller, subject: KindSubject
    ) -> list[SemanticAnnotation]:
        return await service.list_annotations(uow, caller, subject)

    @router.post(collection_path, status_code=201, **route(AnnotationOperation.CREATE))
    async def create_annotation(
        *,
        uow: Uow,
        caller: Caller,
        sparql: Sparql,
        subject: KindSubject,
        semanticAnnotation: SemanticAnnotation,  # noqa: N803 - upstream body name
    ) -> SemanticAnnotation:
        return await service.create_annotation(uow, caller, subject, semanticAnnotation, sparql)

    @router.get(item_path, **route(AnnotationOperation.GET))
    async def get_annotation(
        uow: Uow, caller: Caller, subject: KindSubject, annotation_id: AnnotationId
    ) -> SemanticAnnotation:
        return await service.get_annotation(uow, caller, subject, annotation_id)

    @router.delete(
        item_path, status_code=204, response_class=Response, **route(AnnotationOperation.DELETE)
    )
    async def delete_annotation(
        uow: Uow, caller: Caller, subject: KindSubject, annotation_id: AnnotationId
    ) -> Response:
        await service.delete_annotation(uow, caller, subject, annotation_id)
        return Response(status_code=204)
