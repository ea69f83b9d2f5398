"""Structured-data references: a data object's link to some documents of one container.

As upstream (`StructuredDataReferenceService`): creating one needs Write on the collection; a
missing container (or one of another kind) is a 400, an unreadable one a 403; oids the
container does not hold are dropped. The reference keeps each document's name and creation
time, so its payload list still names documents deleted since (with a null payload).
"""

from __future__ import annotations

from typing import Any

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.references.models import Reference
from pyshepard.context.references.service import common
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.clock import to_wire
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, InvalidInput, NotFound
from pyshepard.core.identity import Principal
from pyshepard.data.structured import documents, service
from pyshepard.data.structured.errors import DocumentNotFound
from pyshepard.data.structured.schemas import (
    StructuredData,
    StructuredDataPayload,
    StructuredDataReference,
)

KIND = common.ReferenceKind("StructuredDataReference", "Structured Data Reference")


def _entries(reference: Reference) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = reference.details.get("structuredData", [])
    return entries


def render_reference(reference: Reference) -> StructuredDataReference:
    container_id = reference.container_id
    # constructed, not validated: a reference whose oids were all unknown keeps none (as
    # upstream), which the request schema's `minItems: 1` forbids
    return StructuredDataReference.model_construct(
        **common.basic_fields(reference),
        structuredDataOids=[entry["oid"] for entry in _entries(reference)],
        structuredDataContainerId=-1 if container_id is None else container_id,
    )


async def list_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[StructuredDataReference]:
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
) -> StructuredDataReference:
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
    body: StructuredDataReference,
) -> StructuredDataReference:
    """Raises NotFound, PermissionDenied (Write on the collection, Read on the container),
    InvalidBody (container missing or of another kind)."""
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    container_id = body.structuredDataContainerId
    try:
        await service.check_container(uow, actor, container_id)
    except NotFound:
        raise InvalidBody(
            f"ID ERROR - Structured Data Container with id {container_id} is null or deleted"
        ) from None
    found = await service.find_documents(uow, container_id, body.structuredDataOids)
    kept = [found[oid] for oid in dict.fromkeys(body.structuredDataOids) if oid in found]
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.container_id = container_id
    reference.details = {
        "structuredData": [
            {"oid": info.oid, "name": info.name, "createdAt": to_wire(info.created_at)}
            for info in kept
        ]
    }
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


async def get_payloads(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, reference_id: int
) -> list[StructuredDataPayload]:
    """Every referenced document (payload null for those deleted since).
    Raises NotFound, PermissionDenied (collection, then container), DocumentNotFound."""
    reference = await _load(uow, actor, collection_id, data_object_id, reference_id)
    container_id = await _container(
        uow,
        actor,
        reference,
        gone=DocumentNotFound(
            "StructuredData Container referenced by StructuredData Reference with Id "
            f"{reference_id} is null or deleted"
        ),
    )
    entries = _entries(reference)
    rows = await service.documents_of(uow, container_id, [entry["oid"] for entry in entries])
    result = []
    for entry in entries:
        row = rows.get(entry["oid"])
        if row is None:
            info = StructuredData(
                oid=entry["oid"], name=entry.get("name"), createdAt=entry.get("createdAt")
            )
            result.append(StructuredDataPayload(structuredData=info, payload=None))
        else:
            result.append(
                documents.render_payload(row.oid, row.name, row.created_at, row.content())
            )
    return result


async def get_payload(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    oid: str,
) -> StructuredDataPayload:
    """A document of the referenced container (any of them, as upstream).
    Raises NotFound, PermissionDenied, InvalidInput (container deleted), DocumentNotFound."""
    reference = await _load(uow, actor, collection_id, data_object_id, reference_id)
    container_id = await _container(
        uow,
        actor,
        reference,
        gone=InvalidInput(
            "Structured Data Container referenced by StructuredDataReference with id "
            f"{reference_id} is deleted"
        ),
    )
    return await service.payload_of(uow, container_id, oid)


async def _container(
    uow: UnitOfWork, actor: Principal, reference: Reference, *, gone: Exception
) -> int:
    container_id = reference.container_id
    if container_id is None:
        raise gone
    try:
        await service.check_container(uow, actor, container_id)
    except NotFound:
        raise gone from None
    return container_id
