"""Collection references: a data object points at a (possibly foreign) collection."""

from __future__ import annotations

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.collections import service as collections
from pyshepard.context.collections.schemas import Collection
from pyshepard.context.references.models import Reference
from pyshepard.context.references.schemas import CollectionReference
from pyshepard.context.references.service import common
from pyshepard.context.references.service.errors import PayloadNotFound
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, NotFound, PermissionDenied
from pyshepard.core.identity import Principal

KIND = common.COLLECTION


def render_collection_reference(reference: Reference) -> CollectionReference:
    target = reference.referenced_collection_id
    return CollectionReference(
        **common.basic_fields(reference),
        referencedCollectionId=target if target is not None else -1,
        relationship=reference.relationship,
    )


async def list_collection_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[CollectionReference]:
    """Raises NotFound, PermissionDenied (Read on the collection)."""
    rows = await common.list_references(
        uow,
        actor,
        collection_id,
        data_object_id,
        ReferenceQuery(kind=KIND.type),
        version_uid=version_uid,
    )
    return [render_collection_reference(row) for row in rows]


async def get_collection_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> CollectionReference:
    """Raises NotFound, PermissionDenied."""
    reference = await common.load_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
        version_uid=version_uid,
    )
    return render_collection_reference(reference)


async def create_collection_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    body: CollectionReference,
) -> CollectionReference:
    """Needs Write on the path's collection and Read on the referenced one.

    Raises NotFound/PermissionDenied (path), InvalidBody (referenced collection missing),
    PermissionDenied (referenced collection not readable).
    """
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    target = body.referencedCollectionId
    try:
        await collections.load_collection(uow, actor, target, Action.READ)
    except NotFound as missing:
        raise InvalidBody(
            f"The referenced collection with id {target} could not be found."
        ) from missing
    except PermissionDenied as denied:
        raise PermissionDenied(
            f"You do not have permissions to access the referenced collection with id {target}."
        ) from denied
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.referenced_collection_id = target
    reference.relationship = body.relationship
    return render_collection_reference(await common.insert(uow, reference))


async def delete_collection_reference(
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


async def get_collection_reference_payload(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> Collection:
    """The referenced collection. Raises NotFound (path, or the target is gone) and
    PermissionDenied (path, or the caller may not read the target)."""
    reference = await common.load_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
        version_uid=version_uid,
    )
    target = reference.referenced_collection_id
    if target is None or not await _exists(uow, target):
        raise PayloadNotFound(
            f"Collection referenced by CollectionReference with id {reference.id} "
            "cannot be found or is deleted"
        )
    return await collections.get_collection(uow, actor, target)


async def _exists(uow: UnitOfWork, collection_id: int) -> bool:
    try:
        await collections.find_collection(uow, collection_id)
    except NotFound:
        return False
    return True
