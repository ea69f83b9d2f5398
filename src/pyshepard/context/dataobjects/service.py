"""Data objects: use cases and the lookups other domains build on."""

from __future__ import annotations

from collections.abc import Sequence

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.context.collections import service as collections
from pyshepard.context.collections.models import Collection
from pyshepard.context.dataobjects.models import DataObject
from pyshepard.context.dataobjects.schemas import DataObject as DataObjectOut
from pyshepard.context.dataobjects.schemas import DataObjectQuery
from pyshepard.context.dataobjects.store import DataObjectStore
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, NotFound, not_found
from pyshepard.core.identity import Principal

NO_ASSOCIATION = "ID ERROR - There is no association between collection and dataObject"
SUCCESSORS_ON_CREATE = (
    "when creating a new dataObject the list of successors must not be specified or be empty"
)
SUCCESSORS_MISMATCH = "the given list of successors does not match the current list of successors"
SELF_REFERENCE = "Self references are not allowed."
OTHER_COLLECTION = "Related data objects must belong to the same collection as the new data object"


def _store(uow: UnitOfWork) -> DataObjectStore:
    return DataObjectStore(uow.session)


async def load_data_object(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    action: Action = Action.READ,
) -> tuple[Collection, DataObject]:
    """Collection and data object, access checked on the collection (DataObjects inherit).

    Upstream's order: missing collection (404), collection not readable (403), missing data
    object or one of another collection (404), then `action` on the collection (403).
    """
    collection = await collections.load_collection(uow, actor, collection_id)
    data_object = await _store(uow).get(data_object_id)
    if data_object is None:
        raise not_found("DataObject", data_object_id)
    if data_object.collection_id != collection_id:
        raise NotFound(NO_ASSOCIATION)
    if action is not Action.READ:
        await permissions.require(uow, actor, action, collection_id)
    return collection, data_object


async def find_data_object(uow: UnitOfWork, data_object_id: int) -> DataObject:
    """The live data object, without an access check; raises NotFound."""
    data_object = await _store(uow).get(data_object_id)
    if data_object is None:
        raise not_found("DataObject", data_object_id)
    return data_object


async def list_data_objects(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    query: DataObjectQuery,
    version_uid: str | None = None,
) -> list[DataObjectOut]:
    """Live data objects of a readable collection; raises NotFound (collection, version),
    then PermissionDenied."""
    await collections.find_collection(uow, collection_id)
    await collections.require_version(uow, collection_id, version_uid)
    await permissions.require(uow, actor, Action.READ, collection_id)
    data_objects = await _store(uow).search(collection_id, query)
    return await _to_wire(uow, data_objects, collection_id=collection_id)


async def get_data_object(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    version_uid: str | None = None,
) -> DataObjectOut:
    """Raises NotFound, then PermissionDenied (Read on the collection)."""
    if version_uid is not None:
        await collections.load_collection(uow, actor, collection_id)
        await collections.require_version(
            uow, collection_id, version_uid, kind="DataObject", entity_id=data_object_id
        )
    _, data_object = await load_data_object(uow, actor, collection_id, data_object_id)
    return (await _to_wire(uow, [data_object]))[0]


async def create_data_object(
    uow: UnitOfWork, actor: Principal, collection_id: int, body: DataObjectOut
) -> DataObjectOut:
    """Needs Write on the collection; parent and predecessors must be live members of it."""
    await collections.load_collection(uow, actor, collection_id, Action.WRITE)
    store = _store(uow)
    if not await store.lock_relations(collection_id):
        raise not_found("Collection", collection_id)
    parent_id = await _related(uow, collection_id, body.parentId, None)
    if body.successorIds:
        raise InvalidBody(SUCCESSORS_ON_CREATE)
    predecessor_ids = await _related_many(uow, collection_id, body.predecessorIds, None)
    data_object = await store.create(
        collection_id=collection_id,
        name=body.name,
        description=body.description,
        attributes=dict(body.attributes or {}),
        parent_id=parent_id,
        created_at=utcnow(),
        created_by=actor.username,
    )
    await store.set_predecessors(data_object.id, predecessor_ids)
    return (await _to_wire(uow, [data_object]))[0]


async def update_data_object(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    body: DataObjectOut,
) -> DataObjectOut:
    """Replaces fields, parent and predecessors; needs Write; refuses cycles (InvalidBody)."""
    _, data_object = await load_data_object(uow, actor, collection_id, data_object_id, Action.WRITE)
    store = _store(uow)
    if not await store.lock_relations(collection_id):
        raise not_found("Collection", collection_id)
    if body.successorIds is not None:
        current = (await store.relations([data_object_id])).successors[data_object_id]
        if set(body.successorIds) != set(current):
            raise InvalidBody(SUCCESSORS_MISMATCH)
    parent_id = await _related(uow, collection_id, body.parentId, data_object_id)
    if parent_id is not None and await store.is_in_parent_chain(data_object_id, parent_id):
        raise InvalidBody(
            f"Cyclic parent relations are not allowed: data object {parent_id} is a "
            f"descendant of data object {data_object_id}."
        )
    predecessor_ids = await _related_many(uow, collection_id, body.predecessorIds, data_object_id)
    cyclic = await store.reachable_successors(data_object_id, set(predecessor_ids))
    if cyclic:
        raise InvalidBody(
            f"Cyclic predecessor relations are not allowed: data object {cyclic[0]} is a "
            f"successor of data object {data_object_id}."
        )
    data_object.name = body.name
    data_object.description = body.description
    data_object.attributes = dict(body.attributes or {})
    data_object.parent_id = parent_id
    data_object.updated_at = utcnow()
    data_object.updated_by = actor.username
    await store.set_predecessors(data_object_id, predecessor_ids)
    return (await _to_wire(uow, [data_object]))[0]


async def delete_data_object(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int
) -> None:
    """Soft-deletes the data object and its references; children and successors stay."""
    _, data_object = await load_data_object(uow, actor, collection_id, data_object_id, Action.WRITE)
    await _store(uow).soft_delete(data_object, by=actor.username, at=utcnow())


async def _related(
    uow: UnitOfWork, collection_id: int, related_id: int | None, self_id: int | None
) -> int | None:
    """Upstream's findRelatedDataObject: a live data object of the same collection."""
    if related_id is None:
        return None
    return (await _related_many(uow, collection_id, [related_id], self_id))[0]


async def _related_many(
    uow: UnitOfWork, collection_id: int, related_ids: Sequence[int] | None, self_id: int | None
) -> list[int]:
    if not related_ids:
        return []
    found = await _store(uow).live(related_ids)
    for related_id in related_ids:
        if related_id == self_id:
            raise InvalidBody(SELF_REFERENCE)
        related = found.get(related_id)
        if related is None:
            raise InvalidBody(f"The DataObject with id {related_id} could not be found.")
        if related.collection_id != collection_id:
            raise InvalidBody(OTHER_COLLECTION)
    return list(dict.fromkeys(related_ids))


async def _to_wire(
    uow: UnitOfWork, data_objects: Sequence[DataObject], *, collection_id: int | None = None
) -> list[DataObjectOut]:
    relations = await _store(uow).relations(
        [data_object.id for data_object in data_objects], collection_id=collection_id
    )
    return [
        DataObjectOut.model_construct(
            id=data_object.id,
            createdAt=to_wire(data_object.created_at),
            createdBy=data_object.created_by,
            updatedAt=to_wire(data_object.updated_at),
            updatedBy=data_object.updated_by,
            name=data_object.name,
            description=data_object.description,
            attributes=dict(data_object.attributes or {}),
            collectionId=data_object.collection_id,
            referenceIds=relations.references.get(data_object.id, []),
            successorIds=relations.successors.get(data_object.id, []),
            predecessorIds=relations.predecessors.get(data_object.id, []),
            childrenIds=relations.children.get(data_object.id, []),
            parentId=relations.parent.get(data_object.id),
            incomingIds=relations.incoming.get(data_object.id, []),
        )
        for data_object in data_objects
    ]
