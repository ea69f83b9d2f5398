"""What every reference kind shares: the 404-then-403 chain, rows, soft delete, rendering.

A kind plugs in with a `ReferenceKind` (stored `type` + the label of its error messages), a
create function that fills its own columns (or `details`), and a render function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyshepard.auth.permissions import service as permissions
from pyshepard.auth.permissions.policy import Action
from pyshepard.context.collections import service as collections
from pyshepard.context.dataobjects import service as dataobjects
from pyshepard.context.dataobjects.models import DataObject
from pyshepard.context.references.models import Reference
from pyshepard.context.references.store import ReferenceQuery, ReferenceStore
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import NotFound, not_found
from pyshepard.core.identity import Principal

NO_ASSOCIATION = "ID ERROR - There is no association between dataObject and reference"


@dataclass(frozen=True)
class ReferenceKind:
    type: str | None  # stored in `references.type` and sent as `type`; None = any kind
    label: str  # as in "ID ERROR - <label> with id 5 is null or deleted"


BASIC = ReferenceKind(None, "Basic Reference")
URI = ReferenceKind("URIReference", "URI Reference")
COLLECTION = ReferenceKind("CollectionReference", "Collection Reference")
DATA_OBJECT = ReferenceKind("DataObjectReference", "Data Object Reference")


def store(uow: UnitOfWork) -> ReferenceStore:
    return ReferenceStore(uow.session)


async def open_data_object(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    action: Action = Action.READ,
    *,
    version_uid: str | None = None,
) -> DataObject:
    """The data object the references hang on; NotFound first, then PermissionDenied."""
    _, data_object = await dataobjects.load_data_object(
        uow, actor, collection_id, data_object_id, action
    )
    await collections.require_version(
        uow, collection_id, version_uid, kind="DataObject", entity_id=data_object_id
    )
    return data_object


async def load_reference(
    uow: UnitOfWork,
    actor: Principal,
    kind: ReferenceKind,
    *,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    version_uid: str | None = None,
) -> Reference:
    """A live reference of `kind` on that data object, readable by `actor`.

    Raises NotFound (path, missing/deleted/other kind, other data object) or PermissionDenied.
    """
    await open_data_object(uow, actor, collection_id, data_object_id, version_uid=version_uid)
    reference = await store(uow).get(reference_id, kind=kind.type)
    if reference is None:
        raise not_found(kind.label, reference_id)
    if reference.data_object_id != data_object_id:
        raise NotFound(NO_ASSOCIATION)
    return reference


async def list_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    query: ReferenceQuery,
    *,
    version_uid: str | None = None,
) -> Sequence[Reference]:
    """Live references of the data object matching `query`; needs Read on the collection."""
    await open_data_object(uow, actor, collection_id, data_object_id, version_uid=version_uid)
    return await store(uow).list_for_data_object(data_object_id, query)


def new_reference(
    actor: Principal, data_object: DataObject, kind: ReferenceKind, name: str
) -> Reference:
    """An unsaved row with the audit trail set; the kind fills in its own columns."""
    if kind.type is None:
        raise ValueError("a concrete reference kind is needed to create a reference")
    return Reference(
        data_object_id=data_object.id,
        type=kind.type,
        name=name,
        created_at=utcnow(),
        created_by=actor.username,
        deleted=False,
        details={},
    )


async def insert(uow: UnitOfWork, reference: Reference) -> Reference:
    return await store(uow).add(reference)


async def delete_reference(
    uow: UnitOfWork,
    actor: Principal,
    kind: ReferenceKind,
    *,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
) -> None:
    """Soft delete; resolves like a read (404, 403 on Read) and then needs Write."""
    reference = await load_reference(
        uow,
        actor,
        kind,
        collection_id=collection_id,
        data_object_id=data_object_id,
        reference_id=reference_id,
    )
    await permissions.require(uow, actor, Action.WRITE, collection_id)
    await store(uow).soft_delete(reference, by=actor.username, at=utcnow())


def basic_fields(reference: Reference) -> dict[str, Any]:
    """The BasicReference part of every kind's wire shape."""
    return {
        "id": reference.id,
        "createdAt": to_wire(reference.created_at),
        "createdBy": reference.created_by,
        "updatedAt": to_wire(reference.updated_at),
        "updatedBy": reference.updated_by,
        "name": reference.name,
        "dataObjectId": reference.data_object_id,
        "type": reference.type,
    }
