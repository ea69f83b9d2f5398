"""File references: a data object's link to some files of one file container.

As upstream: the container must exist and be readable when the reference is created (else
400, InvalidBodyException), unknown oids are dropped silently, and the payload routes need
Read on the container (404 when it is gone, 403 when unreadable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyshepard.auth.permissions.policy import Action
from pyshepard.context.references.models import Reference
from pyshepard.context.references.service import common
from pyshepard.context.references.store import ReferenceQuery
from pyshepard.core.db import UnitOfWork
from pyshepard.core.errors import DomainError, InvalidBody
from pyshepard.core.identity import Principal
from pyshepard.data.containers import service as containers
from pyshepard.data.files import service as files
from pyshepard.data.files.errors import FileNotFound
from pyshepard.data.files.schemas import FileReference, ShepardFile

KIND = common.ReferenceKind("FileReference", "File Reference")


def render_file_reference(reference: Reference) -> FileReference:
    container_id = reference.container_id
    # constructed, not validated: a reference whose oids were all unknown keeps none (as
    # upstream), which the request schema's `minItems: 1` forbids
    return FileReference.model_construct(
        **common.basic_fields(reference),
        fileOids=list(reference.details.get("fileOids", [])),
        fileContainerId=-1 if container_id is None else container_id,
    )


async def list_file_references(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    *,
    version_uid: str | None = None,
) -> list[FileReference]:
    """Raises NotFound, PermissionDenied (Read on the collection)."""
    rows = await common.list_references(
        uow,
        actor,
        collection_id,
        data_object_id,
        ReferenceQuery(kind=KIND.type),
        version_uid=version_uid,
    )
    return [render_file_reference(row) for row in rows]


async def _load(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None,
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


async def get_file_reference(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> FileReference:
    """Raises NotFound, PermissionDenied."""
    reference = await _load(
        uow, actor, collection_id, data_object_id, reference_id, version_uid=version_uid
    )
    return render_file_reference(reference)


async def create_file_reference(
    uow: UnitOfWork, actor: Principal, collection_id: int, data_object_id: int, body: FileReference
) -> FileReference:
    """Raises NotFound, PermissionDenied (Write on the collection), InvalidBody (container
    missing, of another kind or unreadable)."""
    data_object = await common.open_data_object(
        uow, actor, collection_id, data_object_id, Action.WRITE
    )
    try:
        container = await files.load_file_container(uow, actor, body.fileContainerId)
    except DomainError as exc:  # upstream turns the container's 404/403 into a 400
        raise InvalidBody(exc.message) from None
    found = await files.find_files(uow, container.id, body.fileOids)
    reference = common.new_reference(actor, data_object, KIND, body.name)
    reference.container_id = container.id
    # the files' metadata travels with the reference: upstream lists a referenced file after
    # it was deleted from its container (only its bytes are gone then)
    reference.details = {
        "fileOids": [row.oid for row in found],
        "files": [files.render_file(row).model_dump(mode="json") for row in found],
    }
    return render_file_reference(await common.insert(uow, reference))


async def delete_file_reference(
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


async def _readable_container(
    uow: UnitOfWork, actor: Principal, reference: Reference, message: str
) -> int:
    container_id = reference.container_id
    if container_id is None or await containers.container_kind(uow, container_id) is None:
        raise FileNotFound(message)
    await files.load_file_container(uow, actor, container_id)
    return container_id


async def get_file_reference_files(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    version_uid: str | None = None,
) -> list[ShepardFile]:
    """The referenced files in the reference's order, deleted ones included (as upstream).
    Raises NotFound, PermissionDenied (collection, then container)."""
    reference = await _load(
        uow, actor, collection_id, data_object_id, reference_id, version_uid=version_uid
    )
    container_id = await _readable_container(
        uow,
        actor,
        reference,
        f"Referenced FileContainer is not set or deleted in FileReference with id {reference.id}",
    )
    listed: list[dict[str, Any]] | None = reference.details.get("files")
    if listed is not None:
        return [ShepardFile(**entry) for entry in listed]
    # a reference made before its files' metadata was kept with it: the files still there
    oids: Sequence[str] = reference.details.get("fileOids", [])
    return [files.render_file(row) for row in await files.find_files(uow, container_id, oids)]


async def open_file_reference_payload(
    uow: UnitOfWork,
    actor: Principal,
    collection_id: int,
    data_object_id: int,
    reference_id: int,
    *,
    oid: str,
    version_uid: str | None = None,
) -> files.FileDownload:
    """A file of the referenced container (any of its files, as upstream).
    Raises NotFound, PermissionDenied, FileNotFound."""
    reference = await _load(
        uow, actor, collection_id, data_object_id, reference_id, version_uid=version_uid
    )
    container_id = await _readable_container(
        uow,
        actor,
        reference,
        f"FileContainer with id {reference.container_id} is not set or deleted in FileReference",
    )
    return await files.download_of(uow, await files.find_file(uow, container_id, oid))
