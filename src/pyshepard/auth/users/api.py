from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from pyshepard.api import SHEPARD_PREFIX, Caller, Uow, error_responses
from pyshepard.auth.users import service
from pyshepard.auth.users.schemas import NotBlankStr, User

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["user"])

Username = Annotated[NotBlankStr, Path()]


@router.get(
    "/users",
    operation_id="getCurrentUser",
    summary="Get Current User",
    description="Get current user",
    responses=error_responses(400),
)
async def get_current_user(uow: Uow, caller: Caller) -> User:
    return User.of(await service.current_profile(uow, caller))


@router.get(
    "/users/{username}",
    operation_id="getUser",
    summary="Get User",
    description="Get user",
    responses=error_responses(400, 401, 403, 404),
)
async def get_user(username: Username, uow: Uow, _caller: Caller) -> User:
    return User.of(await service.get_profile(uow, username))
