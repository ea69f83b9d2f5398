from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from pyshepard.api import SHEPARD_PREFIX, Uow
from pyshepard.system import service
from pyshepard.system.schemas import Health, HealthCheck, Version

router = APIRouter(prefix=SHEPARD_PREFIX, tags=["healthz", "versionz"])


@router.get(
    "/healthz",
    operation_id="getServerHealth",
    response_model=Health,
    responses={503: {"model": Health}},
    tags=["healthz"],
)
async def get_server_health(uow: Uow) -> JSONResponse:
    return await _health(uow)


# SmallRye's sub-paths, which upstream serves but strips from its OpenAPI document
@router.get("/healthz/ready", include_in_schema=False)
@router.get("/healthz/started", include_in_schema=False)
async def get_server_readiness(uow: Uow) -> JSONResponse:
    return await _health(uow)


@router.get("/healthz/live", include_in_schema=False)
async def get_server_liveness() -> Health:
    return Health(status="UP", checks=[])


async def _health(uow: Uow) -> JSONResponse:
    checks = await service.health(uow)
    up = all(check.up for check in checks)
    body = Health(
        status="UP" if up else "DOWN",
        checks=[
            HealthCheck(name=c.name, status="UP" if c.up else "DOWN", data=c.data or None)
            for c in checks
        ],
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=200 if up else 503)


@router.get(
    "/versionz", operation_id="getShepardVersion", response_model=Version, tags=["versionz"]
)
async def get_shepard_version() -> Version:
    return Version(version=service.version())
