"""Collections: use cases and the lookups other domains build on."""

from __future__ import annotations

from collections.abc import Sequence

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.auth.permissions.schemas import Permissions, Roles
from pyshepard.context.collections.models import Collection
from pyshepard.context.collections.schemas import BasicCollectionAttributes, ListQuery
from pyshepard.context.collections.schemas import Collection as CollectionOut
from pyshepard.context.collections.store import CollectionStore
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import NotFound, not_found
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.schemas import ContainerType
from pyshepard.search.query import Node


def _store(uow: UnitOfWork) -> CollectionStore:
    return CollectionStore(uow.session)


async def load_collection(
    uow: UnitOfWork, actor: Principal, collection_id: int, action: Action = Action.READ
) -> Collection:
    """The collection if `actor` may perform `action`; NotFound first, then PermissionDenied."""
    collection = await find_collection(uow, collection_id)
    await permissions.require(uow, actor, action, collection_id)
    return collection


async def find_collection(uow: UnitOfWork, collection_id: int) -> Collection:
    """The live collection, without an access check; raises NotFound."""
    collection = await _store(uow).get(collection_id)
    if collection is None:
        raise not_found("Collection", collection_id)
    return collection


async def require_version(
    uow: UnitOfWork,
    collection_id: int,
    version_uid: str | None,
    *,
    kind: str = "Collection",
    entity_id: int | None = None,
) -> None:
    """Only HEAD exists until versioning lands: any explicit version uid is unknown (404).

    `kind`/`entity_id` name the entity in upstream's message (default: the collection).
    """
    del uow  # the versioning work resolves the uid against the collection's versions here
    if version_uid is not None:
        subject = collection_id if entity_id is None else entity_id
        raise NotFound(
            f"ID ERROR - {kind} with id {subject} and versionUID {version_uid} is null or deleted"
        )


async def resolve_default_file_container(
    uow: UnitOfWork, actor: Principal, container_id: int | None
) -> int | None:
    """The default file container id if it exists (NotFound) and `actor` may read it
    (PermissionDenied)."""
    if container_id is None:
        return None
    await containers.load_container(uow, actor, container_id, ContainerType.FILE)
    return container_id


async def list_collections(
    uow: UnitOfWork, actor: Principal, query: ListQuery
) -> list[CollectionOut]:
    """The live collections `actor` may read, filtered, ordered and paged in SQL."""
    readable = permissions.filter_by_access(actor, Collection.id.expression, Action.READ)
    collections = await _store(uow).search(query, readable)
    return await _to_wire(uow, collections)


async def search_collections(
    uow: UnitOfWork,
    actor: Principal,
    query: Node,
    *,
    page: int | None = None,
    size: int | None = None,
    order_by: BasicCollectionAttributes | None = None,
    order_desc: bool | None = None,
) -> tuple[list[CollectionOut], int]:
    """Readable collections matching the query language, one page and the total count; default
    order createdAt descending, as upstream. Raises QueryError (400)."""
    window = (page * size, size) if page is not None and size is not None else None
    rows, total = await _store(uow).query(
        query,
        permissions.filter_by_access(actor, Collection.id.expression, Action.READ),
        window=window,
        order_by=order_by or BasicCollectionAttributes.createdAt,
        order_desc=True if order_desc is None else order_desc,
    )
    return await _to_wire(uow, rows), total


async def get_collection(
    uow: UnitOfWork, actor: Principal, collection_id: int, version_uid: str | None = None
) -> CollectionOut:
    """Raises NotFound (collection, then version), then PermissionDenied (Read)."""
    collection = await find_collection(uow, collection_id)
    await require_version(uow, collection_id, version_uid)
    await permissions.require(uow, actor, Action.READ, collection_id)
    return (await _to_wire(uow, [collection]))[0]


async def create_collection(
    uow: UnitOfWork, actor: Principal, body: CollectionOut
) -> CollectionOut:
    """New collections are Private and owned by their creator; raises NotFound/PermissionDenied
    for an unknown or unreadable default file container."""
    container_id = await resolve_default_file_container(uow, actor, body.defaultFileContainerId)
    collection = await _store(uow).create(
        name=body.name,
        description=body.description,
        attributes=dict(body.attributes or {}),
        default_file_container_id=container_id,
        created_at=utcnow(),
        created_by=actor.username,
    )
    await permissions.create_default(uow, collection.id, actor.username)
    return (await _to_wire(uow, [collection]))[0]


async def update_collection(
    uow: UnitOfWork, actor: Principal, collection_id: int, body: CollectionOut
) -> CollectionOut:
    """Replaces name, description, attributes and default container; needs Write."""
    collection = await load_collection(uow, actor, collection_id)
    await permissions.require(uow, actor, Action.WRITE, collection_id)
    container_id = await resolve_default_file_container(uow, actor, body.defaultFileContainerId)
    collection.name = body.name
    collection.description = body.description
    collection.attributes = dict(body.attributes or {})
    collection.default_file_container_id = container_id
    collection.updated_at = utcnow()
    collection.updated_by = actor.username
    await uow.session.flush()
    return (await _to_wire(uow, [collection]))[0]


async def delete_collection(uow: UnitOfWork, actor: Principal, collection_id: int) -> None:
    """Soft-deletes the collection, its data objects and their references; needs Write."""
    collection = await load_collection(uow, actor, collection_id)
    await permissions.require(uow, actor, Action.WRITE, collection_id)
    await _store(uow).soft_delete(collection, by=actor.username, at=utcnow())


async def get_permissions(uow: UnitOfWork, actor: Principal, collection_id: int) -> Permissions:
    """Raises NotFound, then PermissionDenied (Read, then Manage)."""
    await load_collection(uow, actor, collection_id)
    return await permissions.get_permissions(uow, actor, collection_id)


async def set_permissions(
    uow: UnitOfWork, actor: Principal, collection_id: int, update: Permissions
) -> Permissions:
    """Raises NotFound, then PermissionDenied (Read, then Manage; owner changes by the owner)."""
    await load_collection(uow, actor, collection_id)
    return await permissions.set_permissions(uow, actor, collection_id, update)


async def get_roles(uow: UnitOfWork, actor: Principal, collection_id: int) -> Roles:
    """The caller's roles; raises NotFound, then PermissionDenied (Read)."""
    await load_collection(uow, actor, collection_id)
    return await permissions.get_roles(uow, actor, collection_id)


async def _to_wire(uow: UnitOfWork, collections: Sequence[Collection]) -> list[CollectionOut]:
    ids = [collection.id for collection in collections]
    store = _store(uow)
    data_object_ids = await store.data_object_ids(ids) if ids else {}
    incoming_ids = await store.incoming_ids(ids) if ids else {}
    # a deleted default container is no longer named, as upstream loads only live neighbours
    named = {
        c.default_file_container_id for c in collections if c.default_file_container_id is not None
    }
    live = await containers.live_containers(uow, named, ContainerType.FILE)
    return [
        CollectionOut.model_construct(
            id=collection.id,
            createdAt=to_wire(collection.created_at),
            createdBy=collection.created_by,
            updatedAt=to_wire(collection.updated_at),
            updatedBy=collection.updated_by,
            name=collection.name,
            description=collection.description,
            attributes=dict(collection.attributes or {}),
            dataObjectIds=data_object_ids.get(collection.id, []),
            incomingIds=incoming_ids.get(collection.id, []),
            defaultFileContainerId=(
                collection.default_file_container_id
                if collection.default_file_container_id in live
                else None
            ),
        )
        for collection in collections
    ]
