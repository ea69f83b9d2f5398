"""Spatial-data containers and their points: ingest, filtered reads, cleanup on delete."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pyshepard.auth.permissions.policy import Action
from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.models import Container
from pyshepard.data.containers.schemas import (
    ContainerAttributes,
    ContainerType,
    container_fields,
)
from pyshepard.data.spatial import query as spatial_query
from pyshepard.data.spatial.ingest import parse_points
from pyshepard.data.spatial.query import SpatialQuery
from pyshepard.data.spatial.schemas import SpatialDataContainer
from pyshepard.data.spatial.store import SpatialStore

KIND = ContainerType.SPATIALDATA


def _store(uow: UnitOfWork) -> SpatialStore:
    return SpatialStore(uow.session)


def render_container(container: Container) -> SpatialDataContainer:
    return SpatialDataContainer(**container_fields(container))


async def create_container(
    uow: UnitOfWork, actor: Principal, body: SpatialDataContainer
) -> SpatialDataContainer:
    """A new Private container owned by `actor`."""
    return render_container(await containers.create_container(uow, actor, KIND, body.name))


async def list_containers(
    uow: UnitOfWork,
    actor: Principal,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: ContainerAttributes | None = None,
    order_desc: bool = False,
) -> list[SpatialDataContainer]:
    """Readable spatial-data containers, filtered and paged in SQL."""
    rows = await containers.list_containers(
        uow,
        actor,
        KIND,
        name=name,
        page=page,
        size=size,
        order_by=order_by,
        order_desc=order_desc,
    )
    return [render_container(row) for row in rows]


async def load_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> Container:
    """Raises NotFound, PermissionDenied."""
    return await containers.load_container(uow, actor, container_id, KIND, action)


async def check_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> None:
    """As `load_container` for callers that need only the verdict: one round trip."""
    await containers.check_access(uow, actor, container_id, KIND, action)


async def get_container(
    uow: UnitOfWork, actor: Principal, container_id: int
) -> SpatialDataContainer:
    """Raises NotFound, PermissionDenied (Read)."""
    return render_container(await load_container(uow, actor, container_id))


async def delete_container(uow: UnitOfWork, actor: Principal, container_id: int) -> None:
    """Owner only; its points go with it. Raises NotFound, PermissionDenied."""
    await containers.delete_container(uow, actor, container_id, KIND)
    await _store(uow).delete_container(container_id)


def _now_ns() -> int:
    # upstream: Instant.now().toEpochMilli() * 1_000_000
    return int(utcnow().timestamp() * 1000) * 1_000_000


async def save_points(uow: UnitOfWork, actor: Principal, container_id: int, body: bytes) -> None:
    """Store a JSON array of SpatialDataPoint: all points or none.
    Raises InvalidBody/ConstraintViolation, NotFound, PermissionDenied (Write)."""
    points = parse_points(body, _now_ns())
    await check_container(uow, actor, container_id, Action.WRITE)
    await _store(uow).insert(container_id, points)


async def read_points(
    uow: UnitOfWork,
    actor: Principal,
    container_id: int,
    *,
    geometry_filter: str | None = None,
    metadata_filter: str | None = None,
    measurements_filter: str | None = None,
    start: int | None = None,
    end: int | None = None,
    limit: int | None = None,
    skip: int | None = None,
) -> AsyncIterator[bytes]:
    """The container's points matching the filters, as pieces of a JSON array (checks done,
    rows streamed from the unit of work's transaction). As upstream: unparsable
    filters are a 400 before the container is looked up (404, then 403 without Read), the
    remaining rules (kNN with limit/skip, skip 0, start after end) a 400 after it."""
    shape = spatial_query.parse_geometry(geometry_filter)
    metadata = spatial_query.parse_metadata(metadata_filter)
    conditions = spatial_query.parse_measurements(measurements_filter)
    await check_container(uow, actor, container_id)
    query = spatial_query.build(
        shape, metadata, conditions, start=start, end=end, limit=limit, skip=skip
    )
    return points_json(uow, container_id, query)


def points_json(uow: UnitOfWork, container_id: int, query: SpatialQuery) -> AsyncIterator[bytes]:
    """Run a checked query on a container the caller was cleared for (a JSON array in pieces)."""
    return _store(uow).stream_json(container_id, query)
