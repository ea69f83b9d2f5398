"""The routes every container kind shares, registered by one factory.

`container_routes(router, kind, spec)` adds create, list, get, delete, permissions (GET, PUT)
and roles for one kind. Upstream names everything after the kind's label; for `"structured data"`:
path `/structuredDataContainers/{structuredDataContainerId}`, tag `structuredDataContainer`,
operation ids `getAllStructuredDataContainers`, `createStructuredDataContainer`,
`getStructuredDataContainer`, `deleteStructuredDataContainer`, `getStructuredDataPermissions`,
`editStructuredDataPermissions`, `getStructuredDataRoles`; summaries spell the operation id.
`spec.docs` overrides an operation's id, summary, description or responses where upstream
deviates.

No `from __future__ import annotations` here: the endpoints' annotations name objects built
inside the factory (the path parameter with the kind's wire name), which FastAPI can resolve
only when they are evaluated where they are written.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import GenericAlias
from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import APIRouter, Path, Query, Response
from fastapi.params import Depends
from pydantic import BaseModel

from pyshepard.api import (
    INT32_MAX,
    INT64_MAX,
    Caller,
    PageParam,
    RouteArguments,
    RouteDoc,
    Uow,
    camel_case,
    error_responses,
    pascal_case,
    route_arguments,
)
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service
from pyshepard.data.containers.schemas import ContainerAttributes, ContainerType

ContainerT = TypeVar("ContainerT", bound=BaseModel)
ERRORS = error_responses(400, 401, 403, 404)


class ContainerRouteArguments(RouteArguments):
    dependencies: Sequence[Depends]


class ContainerOperation(StrEnum):
    LIST = "list"
    CREATE = "create"
    GET = "get"
    DELETE = "delete"
    GET_PERMISSIONS = "getPermissions"
    EDIT_PERMISSIONS = "editPermissions"
    GET_ROLES = "getRoles"


class ListContainers(Protocol[ContainerT]):
    def __call__(
        self,
        uow: UnitOfWork,
        actor: Principal,
        /,
        *,
        name: str | None,
        page: int | None,
        size: int | None,
        order_by: ContainerAttributes | None,
        order_desc: bool,
    ) -> Awaitable[list[ContainerT]]: ...


@dataclass(frozen=True, kw_only=True)
class ContainerRouteSpec(Generic[ContainerT]):
    """One container kind's wire names and the kind's service functions."""

    label: str  # "timeseries", "file", "structured data", "spatial data"
    schema: type[ContainerT]
    list_containers: ListContainers[ContainerT]
    create_container: Callable[[UnitOfWork, Principal, ContainerT], Awaitable[ContainerT]]
    get_container: Callable[[UnitOfWork, Principal, int], Awaitable[ContainerT]]
    delete_container: Callable[[UnitOfWork, Principal, int], Awaitable[None]]
    positive_size: bool = False  # upstream's `@Positive Integer size` (files) vs int32 >= 0
    delete_status: int = 204
    dependencies: Sequence[Depends] = ()
    docs: Mapping[ContainerOperation, RouteDoc] = field(default_factory=dict)


def container_routes(
    router: APIRouter, kind: ContainerType, spec: ContainerRouteSpec[ContainerT]
) -> None:
    """Register the seven shared container operations of `kind` on `router`."""
    noun = f"{spec.label} container"  # "structured data container"
    collection_path = f"/{camel_case(noun)}s"
    item_path = f"{collection_path}/{{{camel_case(noun)}Id}}"
    default_ids = {
        ContainerOperation.LIST: f"getAll{pascal_case(noun)}s",
        ContainerOperation.CREATE: f"create{pascal_case(noun)}",
        ContainerOperation.GET: f"get{pascal_case(noun)}",
        ContainerOperation.DELETE: f"delete{pascal_case(noun)}",
        ContainerOperation.GET_PERMISSIONS: f"get{pascal_case(spec.label)}Permissions",
        ContainerOperation.EDIT_PERMISSIONS: f"edit{pascal_case(spec.label)}Permissions",
        ContainerOperation.GET_ROLES: f"get{pascal_case(spec.label)}Roles",
    }
    default_descriptions = {
        ContainerOperation.LIST: f"Get all {noun}s",
        ContainerOperation.CREATE: f"Create a new {noun}",
        ContainerOperation.GET: f"Get {noun}",
        ContainerOperation.DELETE: f"Delete {noun}",
        ContainerOperation.GET_PERMISSIONS: "Get permissions",
        ContainerOperation.EDIT_PERMISSIONS: "Edit permissions",
        ContainerOperation.GET_ROLES: "Get roles",
    }

    def route(operation: ContainerOperation) -> ContainerRouteArguments:
        documented = route_arguments(
            spec.docs.get(operation, RouteDoc()),
            operation_id=default_ids[operation],
            tag=camel_case(noun),
            description=default_descriptions[operation],
            responses=ERRORS,
        )
        return ContainerRouteArguments(**documented, dependencies=list(spec.dependencies))

    # the Python name stays `container_id`; the alias is the wire name FastAPI matches and documents
    container_id = Path(
        ge=0, le=INT64_MAX, alias=f"{camel_case(noun)}Id", description=f"{noun.capitalize()} id"
    )
    size_query = Query(gt=0, le=INT32_MAX) if spec.positive_size else Query(ge=0, le=INT32_MAX)
    ContainerId = Annotated[int, container_id]  # noqa: N806 - a type alias
    SizeParam = Annotated[int | None, size_query]  # noqa: N806 - a type alias

    @router.get(
        collection_path,
        response_model=GenericAlias(list, (spec.schema,)),
        **route(ContainerOperation.LIST),
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
    ) -> list[ContainerT]:
        return await spec.list_containers(
            uow,
            caller,
            name=name,
            page=page,
            size=size,
            order_by=orderBy,
            order_desc=bool(orderDesc),
        )

    @router.post(
        collection_path,
        status_code=201,
        response_model=spec.schema,
        **route(ContainerOperation.CREATE),
    )
    async def create_container(
        uow: Uow,
        caller: Caller,
        body: spec.schema,  # type: ignore[name-defined]  # the kind's wire model, for FastAPI
    ) -> ContainerT:
        return await spec.create_container(uow, caller, body)

    @router.get(item_path, response_model=spec.schema, **route(ContainerOperation.GET))
    async def get_container(uow: Uow, caller: Caller, container_id: ContainerId) -> ContainerT:
        return await spec.get_container(uow, caller, container_id)

    @router.delete(
        item_path,
        status_code=spec.delete_status,
        response_class=Response,
        **route(ContainerOperation.DELETE),
    )
    async def delete_container(uow: Uow, caller: Caller, container_id: ContainerId) -> Response:
        await spec.delete_container(uow, caller, container_id)
        return Response(status_code=spec.delete_status)

    @router.get(item_path + "/permissions", **route(ContainerOperation.GET_PERMISSIONS))
    async def get_permissions(uow: Uow, caller: Caller, container_id: ContainerId) -> Permissions:
        return await service.get_permissions(uow, caller, container_id, kind)

    @router.put(item_path + "/permissions", **route(ContainerOperation.EDIT_PERMISSIONS))
    async def edit_permissions(
        uow: Uow, caller: Caller, container_id: ContainerId, body: Permissions
    ) -> Permissions:
        return await service.set_permissions(uow, caller, container_id, kind, body)

    @router.get(item_path + "/roles", **route(ContainerOperation.GET_ROLES))
    async def get_roles(uow: Uow, caller: Caller, container_id: ContainerId) -> Roles:
        return await service.get_roles(uow, caller, container_id, kind)
