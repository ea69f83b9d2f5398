"""URI references: a link to anything outside shepard."""

from __future__ import annotations

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.references.models import Reference
from pyshepard.context.references.schemas import URIReference
from pyshepard.context.references.service import common
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal

KIND = common.URI


def render_uri(reference: Reference) -> URIReference:
    return URIReference(
        **common.basic_fields(reference), uri=reference.uri, relationship=reference.relationship
    )


async def list_uri_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[URIReference]:
    """Raises NotFound, PermissionDenied (Read on the collection)."""
    rows = await common.list_references(
        uow,
        actor,
        collection_id,
        data_object_id,
        ReferenceQuery(kind=KIND.type),
        version_uid=version_uid,
    )
    return [render_uri(row) for row in rows]


async def get_uri_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> URIReference:
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
    return render_uri(reference)


async def create_uri_reference(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, body: URIReference
) -> URIReference:
    """Raises NotFound, PermissionDenied (Write on the collection)."""
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.uri = body.uri
    reference.relationship = body.relationship
    return render_uri(await common.insert(uow, reference))


async def delete_uri_reference(
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
