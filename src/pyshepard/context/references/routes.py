"""The list/create/get/delete routes every reference kind shares, registered by one factory.

`reference_routes(router, spec)` names everything after the kind's label; for `"data object"`:
path `/collections/{collectionId}/dataObjects/{dataObjectId}/dataObjectReferences
/{dataObjectReferenceId}`, tag `dataObjectReference`, operation ids `getAllDataObjectReferences`,
`createDataObjectReference`, `getDataObjectReference`, `deleteDataObjectReference`; summaries
spell the operation id. `spec.docs` overrides an operation's id, summary, description or
responses. Kind-specific routes (payloads, metrics, exports) stay in the kind's `api.py`.

No `from __future__ import annotations` here: the endpoints' annotations name objects built
inside the factory (the path parameter with the kind's wire name), which FastAPI can resolve
only when they are evaluated where they are written.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import GenericAlias
from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from pyshepard.api import (
    INT64_MAX,
    Caller,
    CollectionId,
    CrudOperation,
    DataObjectId,
    RouteArguments,
    RouteDoc,
    Uow,
    VersionUidParam,
    camel_case,
    error_responses,
    pascal_case,
    route_arguments,
)
from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal

ReferenceT = TypeVar("ReferenceT", bound=BaseModel)
ReferenceT_co = TypeVar("ReferenceT_co", bound=BaseModel, covariant=True)
DATA_OBJECT_PATH = "/collections/{collectionId}/dataObjects/{dataObjectId}"
ERRORS = error_responses(400, 401, 403, 404)
ReferenceOperation = CrudOperation


class ListReferences(Protocol[ReferenceT]):
    def __call__(
        self,
        uow: UnitOfWork,
        actor: Principal,
        collection_id: int,
        data_object_id: int,
        /,
        *,
        version_uid: str | None,
    ) -> Awaitable[list[ReferenceT]]: ...


class GetReference(Protocol[ReferenceT_co]):
    def __call__(
        self,
        uow: UnitOfWork,
        actor: Principal,
        collection_id: int,
        data_object_id: int,
        reference_id: int,
        /,
        *,
        version_uid: str | None,
    ) -> Awaitable[ReferenceT_co]: ...


@dataclass(frozen=True, kw_only=True)
class ReferenceRouteSpec(Generic[ReferenceT]):
    """One reference kind's wire names and the kind's service functions."""

    label: str  # "uri", "collection", "data object", "file", "timeseries", "structured data", ...
    schema: type[ReferenceT]
    list_references: ListReferences[ReferenceT]
    create_reference: Callable[[UnitOfWork, Principal, int, int, ReferenceT], Awaitable[ReferenceT]]
    get_reference: GetReference[ReferenceT]
    delete_reference: Callable[[UnitOfWork, Principal, int, int, int], Awaitable[None]]
    id_description: str | None = None  # default "<Label> reference id"
    docs: Mapping[ReferenceOperation, RouteDoc] = field(default_factory=dict)


def reference_routes(router: APIRouter, spec: ReferenceRouteSpec[ReferenceT]) -> None:
    """Register the four shared reference operations of one kind on `router`."""
    noun = camel_case(spec.label)  # "dataObject"
    collection_path = f"{DATA_OBJECT_PATH}/{noun}References"
    item_path = f"{collection_path}/{{{noun}ReferenceId}}"
    default_ids = {
        ReferenceOperation.LIST: f"getAll{pascal_case(spec.label)}References",
        ReferenceOperation.CREATE: f"create{pascal_case(spec.label)}Reference",
        ReferenceOperation.GET: f"get{pascal_case(spec.label)}Reference",
        ReferenceOperation.DELETE: f"delete{pascal_case(spec.label)}Reference",
    }
    default_descriptions = {
        ReferenceOperation.LIST: f"Get all {noun} references",
        ReferenceOperation.CREATE: f"Create a new {noun} reference",
        ReferenceOperation.GET: f"Get {noun} reference",
        ReferenceOperation.DELETE: f"Delete {noun} reference",
    }

    def route(operation: ReferenceOperation) -> RouteArguments:
        return route_arguments(
            spec.docs.get(operation, RouteDoc()),
            operation_id=default_ids[operation],
            tag=f"{noun}Reference",
            description=default_descriptions[operation],
            responses=ERRORS,
        )

    # the Python name stays `reference_id`; the alias is the wire name FastAPI matches and documents
    reference_id = Path(
        ge=0,
        le=INT64_MAX,
        alias=f"{noun}ReferenceId",
        description=spec.id_description or f"{spec.label.capitalize()} reference id",
    )
    ReferenceId = Annotated[int, reference_id]  # noqa: N806 - a type alias

    @router.get(
        collection_path,
        response_model=GenericAlias(list, (spec.schema,)),
        **route(ReferenceOperation.LIST),
    )
    async def get_all_references(
        *,
        uow: Uow,
        caller: Caller,
        collectionId: CollectionId,  # noqa: N803 - upstream parameter names
        dataObjectId: DataObjectId,  # noqa: N803
        versionUid: VersionUidParam = None,  # noqa: N803
    ) -> list[ReferenceT]:
        return await spec.list_references(
            uow, caller, collectionId, dataObjectId, version_uid=versionUid
        )

    @router.post(
        collection_path,
        status_code=201,
        response_model=spec.schema,
        **route(ReferenceOperation.CREATE),
    )
    async def create_reference(
        *,
        uow: Uow,
        caller: Caller,
        collectionId: CollectionId,  # noqa: N803
        dataObjectId: DataObjectId,  # noqa: N803
        body: spec.schema,  # type: ignore[name-defined]  # the kind's wire model, for FastAPI
    ) -> ReferenceT:
        return await spec.create_reference(uow, caller, collectionId, dataObjectId, body)

    @router.get(item_path, response_model=spec.schema, **route(ReferenceOperation.GET))
    async def get_reference(
        *,
        uow: Uow,
        caller: Caller,
        collectionId: CollectionId,  # noqa: N803
        dataObjectId: DataObjectId,  # noqa: N803
        reference_id: ReferenceId,
        versionUid: VersionUidParam = None,  # noqa: N803
    ) -> ReferenceT:
        return await spec.get_reference(
            uow, caller, collectionId, dataObjectId, reference_id, version_uid=versionUid
        )

    @router.delete(
        item_path, status_code=204, response_class=Response, **route(ReferenceOperation.DELETE)
    )
    async def delete_reference(
        *,
        uow: Uow,
        caller: Caller,
        collectionId: CollectionId,  # noqa: N803
        dataObjectId: DataObjectId,  # noqa: N803
        reference_id: ReferenceId,
    ) -> Response:
        await spec.delete_reference(uow, caller, collectionId, dataObjectId, reference_id)
        return Response(status_code=204)
