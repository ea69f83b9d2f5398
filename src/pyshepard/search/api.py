from __future__ import annotations

from fastapi import APIRouter

from pyshepard.api import (
    SHEPARD_PREFIX,
    Caller,
    PageParam,
    PositiveSizeParam,
    Uow,
    error_responses,
)
from pyshepard.auth.groups.schemas import UserGroup
from pyshepard.auth.users.schemas import User
from pyshepard.context.collections.schemas import BasicCollectionAttributes
from pyshepard.search import service
from pyshepard.search.schemas import (
    CollectionSearchBody,
    CollectionSearchResult,
    ResponseBody,
    SearchBody,
    UserGroupSearchParams,
    UserGroupSearchResult,
    UserSearchBody,
    UserSearchParams,
    UserSearchResult,
)

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["search"])


@router.post(
    "/search/users",
    operation_id="searchUsers",
    summary="Search Users",
    description="Search users",
    response_model=UserSearchResult,
    responses=error_responses(400, 401),
)
async def search_users(body: UserSearchBody, uow: Uow, _caller: Caller) -> UserSearchResult:
    profiles = await service.search_users(uow, body.searchParams.query)
    return UserSearchResult(
        searchParams=UserSearchParams(query=body.searchParams.query),
        results=[User.of(profile) for profile in profiles],
    )


@router.post(
    "/search/userGroups",
    operation_id="searchUserGroups",
    summary="Search User Groups",
    description="Search user groups",
    responses=error_responses(400, 401),
)
async def search_user_groups(
    body: UserSearchBody, uow: Uow, caller: Caller
) -> UserGroupSearchResult:
    views = await service.search_user_groups(uow, caller, body.searchParams.query)
    return UserGroupSearchResult(
        searchParams=UserGroupSearchParams(query=body.searchParams.query),
        results=[UserGroup.of(view) for view in views],
    )


@router.post(
    "/search/collections",
    operation_id="searchCollections",
    summary="Search Collections",
    description="Search collections with paginated response",
    response_model=CollectionSearchResult,
    responses=error_responses(400, 401),
)
async def search_collections(
    *,
    uow: Uow,
    caller: Caller,
    body: CollectionSearchBody,
    page: PageParam = None,
    size: PositiveSizeParam = None,
    orderBy: BasicCollectionAttributes | None = None,  # noqa: N803 - upstream parameter names
    orderDesc: bool | None = None,  # noqa: N803
) -> CollectionSearchResult:
    results, total = await service.search_collections(
        uow,
        caller,
        body.searchParams.query,
        page=page,
        size=size,
        order_by=orderBy,
        order_desc=orderDesc,
    )
    return CollectionSearchResult(
        searchParams=body.searchParams, results=results, totalResults=total
    )


@router.post(
    "/search",
    operation_id="search",
    summary="Search",
    description="Search for entities; queryType StructuredData matches documents in SQL",
    response_model=ResponseBody,
    responses=error_responses(400, 401),
)
async def search(body: SearchBody, uow: Uow, caller: Caller) -> ResponseBody:
    return await service.search(uow, caller, body)
