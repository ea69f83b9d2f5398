from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from pyshepard.api import SHEPARD_PREFIX, BaseUrl, Caller, Uow, error_responses
from pyshepard.auth.apikeys import service
from pyshepard.auth.apikeys.schemas import ApiKey, ApiKeyWithJWT
from pyshepard.auth.users.schemas import NotBlankStr, UuidStr

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["apikey"])

Username = Annotated[NotBlankStr, Path()]
KEYS = "/users/{username}/apikeys"


@router.get(
    KEYS,
    operation_id="getAllApiKeys",
    summary="Get All Api Keys",
    description="Get all api keys",
    responses=error_responses(400, 401, 403),
)
async def get_all_api_keys(username: Username, uow: Uow, caller: Caller) -> list[ApiKey]:
    return [ApiKey.of(key) for key in await service.list_api_keys(uow, caller, username)]


@router.post(
    KEYS,
    operation_id="createApiKey",
    summary="Create Api Key",
    description="Create a new api key",
    status_code=201,
    responses=error_responses(400, 401, 403, 404),
)
async def create_api_key(
    username: Username, body: ApiKey, uow: Uow, caller: Caller, base_url: BaseUrl
) -> ApiKeyWithJWT:
    issued = await service.create_api_key(
        uow, caller, username, name=body.name, issuer=f"{base_url}{SHEPARD_PREFIX}/"
    )
    return ApiKeyWithJWT(**ApiKey.of(issued.key).model_dump(), jwt=issued.jws)


@router.get(
    KEYS + "/{apikeyUid}",
    operation_id="getApiKey",
    summary="Get Api Key",
    description="Get api key",
    responses=error_responses(400, 401, 403),
)
async def get_api_key(
    username: Username,
    uow: Uow,
    caller: Caller,
    apikey_uid: Annotated[UuidStr, Path(alias="apikeyUid")],
) -> ApiKey:
    return ApiKey.of(await service.get_api_key(uow, caller, username, apikey_uid))


@router.delete(
    KEYS + "/{apikeyUid}",
    operation_id="deleteApiKey",
    summary="Delete Api Key",
    description="Delete api key",
    status_code=204,
    responses=error_responses(400, 401, 403, 404),
)
async def delete_api_key(
    username: Username,
    uow: Uow,
    caller: Caller,
    apikey_uid: Annotated[UuidStr, Path(alias="apikeyUid")],
) -> Response:
    await service.delete_api_key(uow, caller, username, apikey_uid)
    return Response(status_code=204)
