"""File containers and their files: upload, list, download, delete, orphan-blob sweeping.

Blob lifecycle (design D2): bytes are stored under their content key before the file row is
committed; a key's blob is removed only after the removing transaction has committed and no
row uses the key any more. Adding and dropping uses of a key are serialised per key
(`FileStore.lock_blob`), so a concurrent re-upload of the same bytes never loses its blob.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyshepard.auth.permissions.policy import Action
from pyshepard.core.blobs import BlobMissing, BlobStore
from pyshepard.core.clock import to_wire, utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.core.streams import started
from pyshepard.data.containers import service as containers
from pyshepard.data.containers.models import Container
from pyshepard.data.containers.schemas import ContainerAttributes, ContainerType, container_fields
from pyshepard.data.files.errors import BlobVanished, FileNotFound
from pyshepard.data.files.models import StoredFile
from pyshepard.data.files.schemas import FileContainer, ShepardFile
from pyshepard.data.files.store import FileStore

log = logging.getLogger(__name__)
FILE = ContainerType.FILE
BLOB_PREFIX = "files/"
DEFAULT_GRACE = timedelta(hours=1)
_SWEEP_BATCH = 500


def _store(uow: UnitOfWork) -> FileStore:
    return FileStore(uow.session)


def render_container(container: Container, collection_ids: list[int] | None) -> FileContainer:
    return FileContainer(
        **container_fields(container), oid=container.oid, defaultCollectionIdList=collection_ids
    )


def render_file(stored: StoredFile) -> ShepardFile:
    # upstream prints the md5 with DatatypeConverter.printHexBinary: upper case
    return ShepardFile(
        oid=stored.oid,
        createdAt=to_wire(stored.created_at),
        filename=stored.filename,
        md5=stored.md5.upper(),
    )


# --- containers ------------------------------------------------------------------------------


async def create_file_container(
    uow: UnitOfWork, actor: Principal, body: FileContainer
) -> FileContainer:
    """A new Private file container owned by `actor`."""
    container = await containers.create_container(uow, actor, FILE, body.name)
    return render_container(container, [])


async def list_file_containers(
    uow: UnitOfWork,
    actor: Principal,
    *,
    name: str | None = None,
    page: int | None = None,
    size: int | None = None,
    order_by: ContainerAttributes | None = None,
    order_desc: bool = False,
) -> list[FileContainer]:
    """Readable file containers, filtered and paged in SQL."""
    rows = await containers.list_containers(
        uow,
        actor,
        FILE,
        name=name,
        page=page,
        size=size,
        order_by=order_by,
        order_desc=order_desc,
    )
    return [render_container(row, None) for row in rows]


async def load_file_container(
    uow: UnitOfWork, actor: Principal, container_id: int, action: Action = Action.READ
) -> Container:
    """Raises NotFound, then PermissionDenied."""
    return await containers.load_container(uow, actor, container_id, FILE, action)


async def get_file_container(uow: UnitOfWork, actor: Principal, container_id: int) -> FileContainer:
    """Raises NotFound, PermissionDenied (Read)."""
    container = await load_file_container(uow, actor, container_id)
    return render_container(container, await _store(uow).default_collection_ids(container_id))


async def delete_file_container(uow: UnitOfWork, actor: Principal, container_id: int) -> None:
    """Soft-deletes the container (owner only) and removes its files; their blobs go after
    commit unless another file still uses them. Raises NotFound, PermissionDenied."""
    await containers.delete_container(uow, actor, container_id, FILE)
    keys = await _store(uow).remove_all(container_id)
    _release_blobs_after_commit(uow, keys)


# --- files -----------------------------------------------------------------------------------


async def list_files(uow: UnitOfWork, actor: Principal, container_id: int) -> list[ShepardFile]:
    """The container's files in upload order. Raises NotFound, PermissionDenied (Read)."""
    await load_file_container(uow, actor, container_id)
    return [render_file(row) for row in await _store(uow).list_for_container(container_id)]


def default_filename() -> str:
    """Upstream's name for an upload without a file name."""
    return "shepard-file-" + utcnow().strftime("%Y%m%d-%H%M%S")


async def upload_file(
    uow: UnitOfWork,
    actor: Principal,
    container_id: int,
    filename: str | None,
    chunks: AsyncIterator[bytes],
) -> ShepardFile:
    """Streams `chunks` into the blob store, then records the file.

    Access is checked before the first byte is read and again before the row is written (the
    container may have gone meanwhile); no transaction is open while the bytes stream.
    Raises NotFound, PermissionDenied (Write), BlobVanished.
    """
    await load_file_container(uow, actor, container_id, Action.WRITE)
    await uow.release()
    blob = await uow.blobs.put_stream(chunks, prefix=BLOB_PREFIX)
    try:
        await load_file_container(uow, actor, container_id, Action.WRITE)
        store = _store(uow)
        await store.lock_blob(blob.key)
        if await uow.blobs.stat(blob.key) is None:
            raise BlobVanished(
                "The uploaded bytes were removed concurrently; upload the file again"
            )
        stored = await store.add(
            oid=secrets.token_hex(12),
            container_id=container_id,
            filename=filename if filename and filename.strip() else default_filename(),
            created_at=utcnow(),
            created_by=actor.username,
            size=blob.size,
            md5=blob.md5,
            sha256=blob.sha256,
            blob_key=blob.key,
        )
    except Exception:
        # refused after the bytes were stored (container gone, access revoked meanwhile): drop
        # them unless another file has the same bytes. This transaction ends first, as it may
        # hold the blob's lock that the cleanup takes.
        await uow.rollback()
        await _drop_quietly(uow, blob.key)
        raise
    return render_file(stored)


@dataclass(frozen=True)
class FileDownload:
    """What a download needs once the transaction is over: metadata and the blob to stream."""

    oid: str
    filename: str
    size: int
    sha256: str
    blobs: BlobStore
    key: str

    async def opened(self, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes `start`..`end` (inclusive; None = to the end), the blob opened now: a file
        deleted since `download_of` is FileNotFound here, before a response starts, not a body
        that breaks off after its status line. Once open, the bytes stream to the end."""
        try:
            return await started(self.blobs.open(self.key, start=start, end=end))
        except BlobMissing:
            raise FileNotFound(
                f"The content of file {self.oid} is missing from the storage"
            ) from None


async def find_files(uow: UnitOfWork, container_id: int, oids: Sequence[str]) -> list[StoredFile]:
    """The container's files among `oids`, in the order of `oids`; unknown ones left out."""
    rows = {row.oid: row for row in await _store(uow).find_many(container_id, oids)}
    return [rows[oid] for oid in dict.fromkeys(oids) if oid in rows]


async def find_file(uow: UnitOfWork, container_id: int, oid: str) -> StoredFile:
    """A file of the container, without access checks; raises FileNotFound."""
    stored = await _store(uow).get(container_id, oid)
    if stored is None:
        raise FileNotFound(f"Could not find document with oid: {oid}")
    return stored


async def download_of(uow: UnitOfWork, stored: StoredFile) -> FileDownload:
    """The file ready to stream. Raises FileNotFound when its bytes are missing from the blob
    store (lost outside pyshepard): a response that has started cannot turn into an error, so
    this is asked before any byte goes out."""
    if await uow.blobs.size(stored.blob_key) is None:
        log.warning(
            "file %s: its bytes (%s) are missing from the blob store", stored.oid, stored.blob_key
        )
        raise FileNotFound(f"The content of file {stored.oid} is missing from the storage")
    return FileDownload(
        oid=stored.oid,
        filename=stored.filename,
        size=stored.size,
        sha256=stored.sha256,
        blobs=uow.blobs,
        key=stored.blob_key,
    )


async def open_file(uow: UnitOfWork, actor: Principal, container_id: int, oid: str) -> FileDownload:
    """Raises NotFound (container), PermissionDenied (Read), FileNotFound."""
    await load_file_container(uow, actor, container_id)
    return await download_of(uow, await find_file(uow, container_id, oid))


async def delete_file(uow: UnitOfWork, actor: Principal, container_id: int, oid: str) -> None:
    """Removes the file; its blob goes after commit if no other file uses it.
    Raises NotFound, PermissionDenied (Write), FileNotFound."""
    await load_file_container(uow, actor, container_id, Action.WRITE)
    store = _store(uow)
    stored = await store.get(container_id, oid)
    if stored is None:
        raise FileNotFound(f"Could not find and delete file with oid: {oid}")
    await store.remove(stored)
    _release_blobs_after_commit(uow, {stored.blob_key})


async def _drop_quietly(uow: UnitOfWork, key: str) -> None:
    """`_drop_unused` for one key, apart; a failure is logged (the sweeper retries later)."""
    try:
        await uow.run_apart(lambda other: _drop_unused(other, [key]))
    except Exception:
        log.exception("could not remove blob %s of a refused upload; the sweeper will", key)


def _release_blobs_after_commit(uow: UnitOfWork, keys: set[str]) -> None:
    if not keys:
        return

    async def release() -> None:
        await uow.run_apart(lambda other: _drop_unused(other, sorted(keys)))

    uow.after_commit(release)


async def _drop_unused(uow: UnitOfWork, keys: list[str]) -> list[str]:
    """Deletes the blobs of `keys` that no file row uses (each under its key lock)."""
    store = _store(uow)
    dropped = []
    for key in keys:
        await store.lock_blob(key)
        if not await store.referenced([key]):
            await uow.blobs.delete(key)
            dropped.append(key)
    return dropped


async def sweep_orphan_blobs(
    uow: UnitOfWork, *, grace: timedelta = DEFAULT_GRACE, now: datetime | None = None
) -> list[str]:
    """Deletes file blobs that no row uses and that were last written before `now - grace`
    (uploads in flight and interrupted deletes leave such blobs). Returns the deleted keys."""
    cutoff = (now or utcnow()) - grace
    deleted: list[str] = []
    batch: list[str] = []
    async for entry in uow.blobs.scan(BLOB_PREFIX):
        if entry.modified < cutoff:
            batch.append(entry.key)
        if len(batch) >= _SWEEP_BATCH:
            deleted += await _sweep_batch(uow, batch, cutoff)
            batch = []
    if batch:
        deleted += await _sweep_batch(uow, batch, cutoff)
    return deleted


async def _sweep_batch(uow: UnitOfWork, keys: list[str], cutoff: datetime) -> list[str]:
    store = _store(uow)
    candidates = sorted(set(keys) - await store.referenced(keys))
    deleted = []
    for key in candidates:
        await store.lock_blob(key)
        entry = await uow.blobs.stat(key)
        if entry is None or entry.modified >= cutoff or await store.referenced([key]):
            continue  # gone already, or written again since the listing
        await uow.blobs.delete(key)
        deleted.append(key)
    return deleted
