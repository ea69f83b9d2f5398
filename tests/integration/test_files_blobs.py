"""Blob lifecycle of files on the test database: the orphan sweeper, the guard against a blob
removed between upload and commit, after-commit cleanup failures, and concurrent re-uploads of
the same bytes while another copy is deleted (no acknowledged file may lose its bytes)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pyshepard.core.blobs import BlobEntry, BlobInfo, BlobStore, open_blob_store
from pyshepard.core.clock import utcnow
from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.errors import NotFound
from pyshepard.core.identity import Principal
from pyshepard.data.files import service as files
from pyshepard.data.files import tasks as files_tasks
from pyshepard.data.files.errors import BlobVanished, FileNotFound
from pyshepard.data.files.models import StoredFile
from pyshepard.data.files.schemas import FileContainer
from tests.conftest import ApiUser


class FaultyBlobs(BlobStore):
    """A local store that can lose a blob right after writing it, or fail to delete."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.lose_after_put = False
        self.fail_deletes = False

    async def put_stream(self, chunks: AsyncIterator[bytes], *, prefix: str = "") -> BlobInfo:
        info = await self.inner.put_stream(chunks, prefix=prefix)
        if self.lose_after_put:
            await self.inner.delete(info.key)  # as if a concurrent delete removed it
        return info

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.inner.open(key, start=start, end=end)

    async def size(self, key: str) -> int | None:
        return await self.inner.size(key)

    async def stat(self, key: str) -> BlobEntry | None:
        return await self.inner.stat(key)

    def scan(self, prefix: str = "") -> AsyncIterator[BlobEntry]:
        return self.inner.scan(prefix)

    async def delete(self, key: str) -> None:
        if self.fail_deletes:
            raise OSError("object store unavailable")
        await self.inner.delete(key)

    async def healthy(self) -> bool:
        return await self.inner.healthy()

    async def abandon_incomplete(self, started_before: datetime) -> int:
        return await self.inner.abandon_incomplete(started_before)


@pytest.fixture
def blobs(tmp_path: Path) -> FaultyBlobs:
    return FaultyBlobs(open_blob_store(f"file://{tmp_path / 'blobs'}"))


@pytest.fixture
def files_db(db: Database, blobs: FaultyBlobs) -> Database:
    """The test database with a blob folder of its own, so sweeping sees only this test."""
    return Database(settings=db.settings, engine=db.engine, blobs=blobs)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _key(data: bytes) -> str:
    return files.BLOB_PREFIX + hashlib.sha256(data).hexdigest()


async def _new_container(db: Database, actor: Principal) -> int:
    async def work(uow: UnitOfWork) -> int:
        return (await files.create_file_container(uow, actor, FileContainer(name="blobs"))).id or 0

    container_id: int = await db.run(work)
    return container_id


async def _upload(db: Database, actor: Principal, container_id: int, data: bytes) -> str:
    async def work(uow: UnitOfWork) -> str:
        uploaded = await files.upload_file(uow, actor, container_id, "f.bin", _chunks(data))
        return uploaded.oid or ""

    oid: str = await db.run(work)
    return oid


async def _delete(db: Database, actor: Principal, container_id: int, oid: str) -> None:
    async def work(uow: UnitOfWork) -> None:
        await files.delete_file(uow, actor, container_id, oid)

    await db.run(work)


async def _read(db: Database, actor: Principal, container_id: int, oid: str) -> bytes:
    async def work(uow: UnitOfWork) -> files.FileDownload:
        return await files.open_file(uow, actor, container_id, oid)

    download: files.FileDownload = await db.run(work)
    return b"".join([chunk async for chunk in await download.opened()])


async def _sweep(db: Database, **options: object) -> list[str]:
    async def work(uow: UnitOfWork) -> list[str]:
        return await files.sweep_orphan_blobs(uow, **options)  # type: ignore[arg-type]

    deleted: list[str] = await db.run(work)
    return deleted


@pytest.fixture
def actor(user: ApiUser) -> Principal:
    return Principal(username=user.username)


async def test_sweeper_removes_old_unreferenced_blobs_only(
    files_db: Database, blobs: FaultyBlobs, actor: Principal
) -> None:
    container = await _new_container(files_db, actor)
    kept = os.urandom(64)
    await _upload(files_db, actor, container, kept)
    orphan = await blobs.put_stream(_chunks(os.urandom(64)), prefix=files.BLOB_PREFIX)
    elsewhere = await blobs.put_stream(_chunks(b"a model file"), prefix="models/")

    young = await _sweep(files_db)  # everything is younger than the grace period
    later = utcnow() + timedelta(hours=2)
    swept = await _sweep(files_db, now=later)
    again = await _sweep(files_db, now=later)

    assert young == []
    assert swept == [orphan.key]
    assert again == []
    assert await blobs.stat(orphan.key) is None
    assert await blobs.stat(_key(kept)) is not None
    assert await blobs.stat(elsewhere.key) is not None  # not a file blob: never swept


async def test_sweeper_grace_period_is_configurable(files_db: Database, blobs: FaultyBlobs) -> None:
    orphan = await blobs.put_stream(_chunks(b"fresh orphan"), prefix=files.BLOB_PREFIX)

    assert await _sweep(files_db, grace=timedelta(hours=1)) == []
    assert await _sweep(files_db, grace=timedelta(seconds=-1)) == [orphan.key]


async def test_blob_removed_before_commit_refuses_the_upload(
    files_db: Database, blobs: FaultyBlobs, actor: Principal
) -> None:
    container = await _new_container(files_db, actor)
    blobs.lose_after_put = True

    with pytest.raises(BlobVanished):
        await _upload(files_db, actor, container, b"lost on the way")

    async def rows(uow: UnitOfWork) -> list[StoredFile]:
        statement = select(StoredFile).where(StoredFile.container_id == container)
        return list((await uow.session.scalars(statement)).all())

    assert await files_db.run(rows) == []


async def test_failed_blob_delete_leaves_an_orphan_for_the_sweeper(
    files_db: Database, blobs: FaultyBlobs, actor: Principal
) -> None:
    container = await _new_container(files_db, actor)
    data = os.urandom(32)
    oid = await _upload(files_db, actor, container, data)
    blobs.fail_deletes = True

    await _delete(files_db, actor, container, oid)  # the row goes; the blob delete fails

    assert await blobs.stat(_key(data)) is not None
    blobs.fail_deletes = False
    assert await _sweep(files_db, now=utcnow() + timedelta(hours=2)) == [_key(data)]


async def test_concurrent_reupload_and_delete_of_the_same_bytes(
    files_db: Database, actor: Principal
) -> None:
    first, second = await _new_container(files_db, actor), await _new_container(files_db, actor)
    for _ in range(8):
        data = os.urandom(2048)
        old = await _upload(files_db, actor, first, data)

        results = await asyncio.gather(
            _upload(files_db, actor, second, data),
            _delete(files_db, actor, first, old),
            return_exceptions=True,
        )

        new = results[0]
        if isinstance(new, BlobVanished):
            continue  # refused, never acknowledged: nothing was promised
        assert isinstance(new, str), new
        assert await _read(files_db, actor, second, new) == data


async def test_a_file_deleted_after_its_lookup_is_not_found_when_opened(
    files_db: Database, actor: Principal
) -> None:
    """A download that found the file, racing a delete that removes its blob before the bytes
    are opened: FileNotFound before any response starts, never a body that breaks off."""
    container = await _new_container(files_db, actor)
    oid = await _upload(files_db, actor, container, os.urandom(4096))

    async def look_up(uow: UnitOfWork) -> files.FileDownload:
        return await files.open_file(uow, actor, container, oid)

    download: files.FileDownload = await files_db.run(look_up)
    await _delete(files_db, actor, container, oid)
    with pytest.raises(FileNotFound):
        await download.opened()


async def test_an_opened_file_streams_to_the_end_when_deleted_meanwhile(
    files_db: Database, actor: Principal
) -> None:
    container = await _new_container(files_db, actor)
    data = os.urandom(3 * 1024 * 1024)  # several read chunks
    oid = await _upload(files_db, actor, container, data)

    async def look_up(uow: UnitOfWork) -> files.FileDownload:
        return await files.open_file(uow, actor, container, oid)

    download: files.FileDownload = await files_db.run(look_up)
    stream = await download.opened()
    await _delete(files_db, actor, container, oid)
    assert b"".join([chunk async for chunk in stream]) == data


async def test_an_upload_refused_after_its_bytes_were_stored_leaves_no_blob(
    files_db: Database, blobs: FaultyBlobs, actor: Principal
) -> None:
    """The container is deleted while the bytes stream: NotFound, and the bytes are dropped,
    unless another file has the same bytes (that file stays downloadable)."""
    keeper = await _new_container(files_db, actor)
    shared = os.urandom(1024)
    kept = await _upload(files_db, actor, keeper, shared)
    for data in (os.urandom(1024), shared):
        doomed = await _new_container(files_db, actor)

        async def delete_container(uow: UnitOfWork, container: int = doomed) -> None:
            await files.delete_file_container(uow, actor, container)

        async def streaming(data: bytes = data) -> AsyncIterator[bytes]:
            yield data[:512]
            await files_db.run(delete_container)
            yield data[512:]

        async def upload(uow: UnitOfWork, container: int = doomed) -> None:
            await files.upload_file(uow, actor, container, "late.bin", streaming())

        with pytest.raises(NotFound):
            await files_db.run(upload)

    assert [entry.key async for entry in blobs.scan(files.BLOB_PREFIX)] == [
        files.BLOB_PREFIX + hashlib.sha256(shared).hexdigest()
    ]
    assert await _read(files_db, actor, keeper, kept) == shared


async def test_the_periodic_sweep_removes_old_orphans_and_crashed_uploads(
    files_db: Database, blobs: FaultyBlobs, actor: Principal, tmp_path: Path
) -> None:
    container = await _new_container(files_db, actor)
    kept = os.urandom(64)
    await _upload(files_db, actor, container, kept)
    orphan = await blobs.put_stream(_chunks(os.urandom(64)), prefix=files.BLOB_PREFIX)
    crashed = tmp_path / "blobs" / ".upload-crashed"
    crashed.write_bytes(b"half")
    digest = orphan.key.removeprefix(files.BLOB_PREFIX)
    stored = tmp_path / "blobs" / files.BLOB_PREFIX / digest[:2] / digest  # the local layout
    long_ago = time.time() - 2 * files.DEFAULT_GRACE.total_seconds()
    for path in (crashed, stored):
        os.utime(path, (long_ago, long_ago))

    await files_tasks.sweep_blobs(files_db)

    assert await blobs.stat(orphan.key) is None
    assert not crashed.exists()
    assert await blobs.stat(_key(kept)) is not None
