"""Data-object references: a data object points at another one, in any collection."""

from __future__ import annotations

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.dataobjects import service as dataobjects
from pyshepard.context.dataobjects.schemas import DataObject
from pyshepard.context.references.models import Reference
from pyshepard.context.references.schemas import DataObjectReference
from pyshepard.context.references.service import common
from pyshepard.context.references.service.errors import PayloadNotFound
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import InvalidBody, NotFound, PermissionDenied
from pyshepard.core.identity import Principal

KIND = common.DATA_OBJECT


def render_data_object_reference(reference: Reference) -> DataObjectReference:
    target = reference.referenced_data_object_id
    return DataObjectReference(
        **common.basic_fields(reference),
        referencedDataObjectId=target if target is not None else -1,
        relationship=reference.relationship,
    )


async def list_data_object_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[DataObjectReference]:
    """Raises NotFound, PermissionDenied (Read on the collection)."""
    rows = await common.list_references(
        uow,
        actor,
        collection_id,
        data_object_id,
        ReferenceQuery(kind=KIND.type),
        version_uid=version_uid,
    )
    return [render_data_object_reference(row) for row in rows]


async def get_data_object_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> DataObjectReference:
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
    return render_data_object_reference(reference)


async def create_data_object_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    body: DataObjectReference,
) -> DataObjectReference:
    """Needs Write on the path's collection and Read on the target's collection.

    Raises NotFound/PermissionDenied (path) and InvalidBody (target missing or unreadable:
    upstream reports both as a bad body).
    """
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    target = body.referencedDataObjectId
    target_collection = await common.store(uow).collection_of_data_object(target)
    missing = InvalidBody(f"The referenced DataObject with id {target} could not be found.")
    if target_collection is None:
        raise missing
    try:
        await dataobjects.load_data_object(uow, actor, target_collection, target, Action.READ)
    except NotFound as gone:
        raise missing from gone
    except PermissionDenied as denied:
        raise InvalidBody(
            f"You do not have permissions to access the referenced DataObject with id {target}."
        ) from denied
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.referenced_data_object_id = target
    reference.relationship = body.relationship
    return render_data_object_reference(await common.insert(uow, reference))


async def delete_data_object_reference(
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


async def get_data_object_reference_payload(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> DataObject:
    """The referenced data object. Raises NotFound (path, or the target is gone) and
    PermissionDenied (path, or the caller may not read the target's collection)."""
    reference = await common.load_reference(
        uow,
        actor,
        KIND,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
        version_uid=version_uid,
    )
    target = reference.referenced_data_object_id
    target_collection = (
        None if target is None else await common.store(uow).collection_of_data_object(target)
    )
    if target is None or target_collection is None:
        raise PayloadNotFound(
            f"DataObject referenced by DataObject reference with id {reference.id} "
            "is not accessible"
        )
    return await dataobjects.get_data_object(uow, actor, target_collection, target)
