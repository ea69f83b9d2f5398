from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from pyshepard.api import SHEPARD_PREFIX, Caller, PageParam, SizeParam, Uow, error_responses
from pyshepard.auth.groups import service
from pyshepard.auth.groups.schemas import UserGroup, UserGroupAttributes
from pyshepard.auth.permissions.schemas import Permissions, Roles

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["userGroup"])

UserGroupId = Annotated[
    int, Path(alias="userGroupId", ge=0, le=2**63 - 1, description="UserGroup id")
]
GROUP = "/userGroups/{userGroupId}"


@router.get(
    "/userGroups",
    operation_id="getAllUserGroups",
    summary="Get All User Groups",
    description="Get all usergroups",
    responses=error_responses(400, 401),
)
async def get_all_user_groups(
    *,
    uow: Uow,
    caller: Caller,
    page: PageParam = None,
    size: SizeParam = None,
    order_by: Annotated[UserGroupAttributes | None, Query(alias="orderBy")] = None,
    order_desc: Annotated[bool | None, Query(alias="orderDesc")] = None,
) -> list[UserGroup]:
    views = await service.list_groups(
        uow,
        caller,
        page=page,
        size=size,
        order_by=service.GroupOrder(order_by.value) if order_by else None,
        descending=bool(order_desc),
    )
    return [UserGroup.of(view) for view in views]


@router.post(
    "/userGroups",
    operation_id="createUserGroup",
    summary="Create User Group",
    description="Create a new usergroup",
    status_code=201,
    responses=error_responses(400, 401),
)
async def create_user_group(body: UserGroup, uow: Uow, caller: Caller) -> UserGroup:
    view = await service.create_group(uow, caller, name=body.name, usernames=body.usernames)
    return UserGroup.of(view)


@router.get(
    GROUP,
    operation_id="getUserGroup",
    summary="Get User Group",
    description="Get usergroup",
    responses=error_responses(400, 401, 403, 404),
)
async def get_user_group(user_group_id: UserGroupId, uow: Uow, caller: Caller) -> UserGroup:
    return UserGroup.of(await service.get_group(uow, caller, user_group_id))


@router.put(
    GROUP,
    operation_id="updateUserGroup",
    summary="Update User Group",
    description="Update usergroup",
    responses=error_responses(400, 401, 403, 404),
)
async def update_user_group(
    user_group_id: UserGroupId, body: UserGroup, uow: Uow, caller: Caller
) -> UserGroup:
    view = await service.update_group(
        uow, caller, user_group_id, name=body.name, usernames=body.usernames
    )
    return UserGroup.of(view)


@router.delete(
    GROUP,
    operation_id="deleteUserGroup",
    summary="Delete User Group",
    description="Delete usergroup",
    status_code=204,
    responses=error_responses(400, 401, 403, 404),
)
async def delete_user_group(user_group_id: UserGroupId, uow: Uow, caller: Caller) -> Response:
    await service.delete_group(uow, caller, user_group_id)
    return Response(status_code=204)


@router.get(
    GROUP + "/permissions",
    operation_id="getUserGroupPermissions",
    summary="Get User Group Permissions",
    description="Get permissions",
    responses=error_responses(400, 401, 403, 404),
)
async def get_user_group_permissions(
    user_group_id: UserGroupId, uow: Uow, caller: Caller
) -> Permissions:
    return await service.get_group_permissions(uow, caller, user_group_id)


@router.put(
    GROUP + "/permissions",
    operation_id="editUserGroupPermissions",
    summary="Edit User Group Permissions",
    description="Edit permissions",
    responses=error_responses(400, 401, 403, 404),
)
async def edit_user_group_permissions(
    user_group_id: UserGroupId, body: Permissions, uow: Uow, caller: Caller
) -> Permissions:
    return await service.set_group_permissions(uow, caller, user_group_id, body)


@router.get(
    GROUP + "/roles",
    operation_id="getUserGroupRoles",
    summary="Get User Group Roles",
    description="Get roles",
    responses=error_responses(400, 401, 403, 404),
)
async def get_user_group_roles(user_group_id: UserGroupId, uow: Uow, caller: Caller) -> Roles:
    return await service.get_group_roles(uow, caller, user_group_id)
