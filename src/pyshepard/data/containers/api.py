"""`POST /search/containers`: the container search shared by every container kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pyshepard.api import INT32_MAX, SHEPARD_PREFIX, Caller, PageParam, Uow, error_responses
from pyshepard.data.containers import service
from pyshepard.data.containers.schemas import (
    BasicContainer,
    BasicContainerAttributes,
    ContainerSearchBody,
    ContainerSearchResult,
    container_fields,
)

router = APIRouter(prefix=SHEPARD_PREFIX)

PositiveSize = Annotated[int | None, Query(gt=0, le=INT32_MAX)]


@router.post(
    "/search/containers",
    operation_id="searchContainers",
    tags=["search"],
    summary="Search Containers",
    description="Search containers",
    response_model=ContainerSearchResult,
    responses=error_responses(400, 401),
)
async def search_containers(
    *,
    uow: Uow,
    caller: Caller,
    body: ContainerSearchBody,
    page: PageParam = None,
    size: PositiveSize = None,
    orderBy: BasicContainerAttributes | None = None,  # noqa: N803 - upstream parameter names
    orderDesc: bool | None = None,  # noqa: N803
) -> ContainerSearchResult:
    rows, total = await service.search_containers(
        uow,
        caller,
        body.searchParams.query,
        body.searchParams.queryType,
        page=page,
        size=size,
        order_by=orderBy,
        order_desc=orderDesc,
    )
    return ContainerSearchResult(
        searchParams=body.searchParams,
        results=[BasicContainer(**container_fields(row)) for row in rows],
        totalResults=total,
    )
