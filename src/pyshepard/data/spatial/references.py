"""Spatial-data references: a data object's saved query on one spatial-data container.

As upstream (`SpatialDataReferenceService`): creating one needs Write on the collection and
Read on the container (a missing container, or one of another kind, is a 400); the query is
checked when saved and run when the payload is read, with the caller's Read on the container.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.references.models import Reference
from pyshepard.context.references.service import common
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, NotFound
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.spatial import query as spatial_query
from pyshepard.data.spatial import service
from pyshepard.data.spatial.errors import PayloadNotFound
from pyshepard.data.spatial.schemas import (
    AbstractGeometryFilter,
    FilterCondition,
    SpatialDataReference,
)

KIND = common.ReferenceKind("SpatialDataReference", "SpatialData Reference")
_SAVED_PREFIX = "The specified parameters contain the following errors: "


def _details(body: SpatialDataReference) -> dict[str, Any]:
    return {
        "geometryFilter": body.geometryFilter.model_dump(mode="json")
        if body.geometryFilter
        else None,
        "measurementsFilter": [
            condition.model_dump(mode="json") for condition in body.measurementsFilter or []
        ],
        "metadataFilter": body.metadataFilter or {},
        "startTime": body.startTime,
        "endTime": body.endTime,
        "limit": body.limit,
        "skip": body.skip,
    }


def render_reference(reference: Reference) -> SpatialDataReference:
    details = reference.details
    container_id = reference.container_id
    shape = details.get("geometryFilter")
    return SpatialDataReference(
        **common.basic_fields(reference),
        spatialDataContainerId=-1 if container_id is None else container_id,
        geometryFilter=AbstractGeometryFilter.model_validate(shape) if shape else None,
        measurementsFilter=[
            FilterCondition.model_validate(item) for item in details.get("measurementsFilter", [])
        ],
        metadataFilter=details.get("metadataFilter") or {},
        startTime=details.get("startTime"),
        endTime=details.get("endTime"),
        limit=details.get("limit"),
        skip=details.get("skip"),
    )


def _saved_query(reference: SpatialDataReference, prefix: str) -> spatial_query.SpatialQuery:
    return spatial_query.build(
        reference.geometryFilter,
        reference.metadataFilter or {},
        reference.measurementsFilter or [],
        start=reference.startTime,
        end=reference.endTime,
        limit=reference.limit,
        skip=reference.skip,
        prefix=prefix,
    )


async def list_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[SpatialDataReference]:
    """Raises NotFound, PermissionDenied (Read on the collection)."""
    rows = await common.list_references(
        uow,
        actor,
        collection_id,
        data_object_id,
        ReferenceQuery(kind=KIND.type),
        version_uid=version_uid,
    )
    return [render_reference(row) for row in rows]


async def _load(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> Reference:
    return await common.load_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
        version_uid=version_uid,
    )


async def get_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> SpatialDataReference:
    """Raises NotFound, PermissionDenied."""
    reference = await _load(
        uow, actor, collection_id, data_object_id, reference_id, version_uid=version_uid
    )
    return render_reference(reference)


async def create_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    body: SpatialDataReference,
) -> SpatialDataReference:
    """Raises NotFound, PermissionDenied (Write on the collection, Read on the container),
    InvalidBody (container missing or of another kind), InvalidInput (query rules)."""
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    container_id = body.spatialDataContainerId
    try:
        await service.check_container(uow, actor, container_id)
    except NotFound as exc:
        raise InvalidBody(exc.message) from None
    _saved_query(body, _SAVED_PREFIX)
    if body.metadataFilter:
        spatial_query.check_storable(body.metadataFilter, spatial_query.INVALID_METADATA)
    for condition in body.measurementsFilter or []:
        spatial_query.check_storable(condition.key, spatial_query.INVALID_MEASUREMENTS)
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.container_id = container_id
    reference.details = _details(body)
    return render_reference(await common.insert(uow, reference))


async def delete_reference(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, reference_id: int
) -> None:
    """Raises NotFound, PermissionDenied (Write on the collection)."""
    await common.delete_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
    )


async def get_payload(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, reference_id: int
) -> AsyncIterator[bytes]:
    """The saved query's points as pieces of a JSON array. Raises NotFound (path), PayloadNotFound
    (container gone), PermissionDenied (collection, then container)."""
    reference = await _load(uow, actor, collection_id, data_object_id, reference_id)
    container_id = reference.container_id
    gone = PayloadNotFound(
        "Referenced SpatialDataContainer is not set or deleted in SpatialDataReference with id "
        f"{reference_id}"
    )
    if container_id is None:
        raise gone
    try:
        await containers.find_container(uow, container_id, service.KIND)
    except NotFound:
        raise gone from None
    await service.check_container(uow, actor, container_id)
    query = _saved_query(render_reference(reference), "The following errors occurred: ")
    return service.points_json(uow, container_id, query)
