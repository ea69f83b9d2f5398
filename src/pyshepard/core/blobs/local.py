"""BlobStore on a local folder: write to a temp file, hash while streaming, rename into place."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio

from pyshepard.core.blobs.base import BlobEntry, BlobInfo, BlobMissing, BlobStore
from pyshepard.core.blobs.pipeline import Digests, Lane

CHUNK = 1024 * 1024
_TEMPORARY = ".upload-"  # an upload's bytes until they are renamed to their content key
_KEY = re.compile(r"([A-Za-z0-9_-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*")


class LocalBlobStore(BlobStore):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"invalid blob key {key!r}")
        folder, _, name = key.rpartition("/")
        return self.root / folder / name[:2] / name

    async def put_stream(self, chunks: AsyncIterator[bytes], *, prefix: str = "") -> BlobInfo:
        await anyio.to_thread.run_sync(lambda: self.root.mkdir(parents=True, exist_ok=True))
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=_TEMPORARY)
        tmp = Path(tmp_name)
        digests, writer = Digests(), Lane("blob-write")
        try:
            async for chunk in chunks:
                await digests.update(chunk)
                await writer.submit(_write_all, fd, chunk)
            await writer.run(os.fsync, fd)
            sha256, md5 = await digests.finish()
            key = prefix + sha256
            target = self._path(key)
            await anyio.to_thread.run_sync(lambda: target.parent.mkdir(parents=True, exist_ok=True))
            await anyio.to_thread.run_sync(os.replace, tmp, target)
        except BaseException:
            await writer.close()
            await anyio.to_thread.run_sync(lambda: tmp.unlink(missing_ok=True))
            raise
        finally:
            await writer.close()
            await digests.close()
            os.close(fd)
        return BlobInfo(key=key, size=digests.size, sha256=sha256, md5=md5)

    async def open(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        remaining = None if end is None else end - start + 1
        try:
            opened = await anyio.open_file(self._path(key), "rb")
        except FileNotFoundError:
            raise BlobMissing(key) from None
        # an open file stays readable when the blob is deleted meanwhile (POSIX unlink)
        async with opened as handle:
            await handle.seek(start)
            while remaining is None or remaining > 0:
                want = CHUNK if remaining is None else min(CHUNK, remaining)
                chunk = await handle.read(want)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def size(self, key: str) -> int | None:
        entry = await self.stat(key)
        return None if entry is None else entry.size

    async def stat(self, key: str) -> BlobEntry | None:
        path = self._path(key)

        def read() -> BlobEntry | None:
            try:
                info = path.stat()
            except FileNotFoundError:
                return None
            return _entry(key, info)

        return await anyio.to_thread.run_sync(read)

    async def scan(self, prefix: str = "") -> AsyncIterator[BlobEntry]:
        folder, _, _ = prefix.rpartition("/")
        entries = await anyio.to_thread.run_sync(self._walk, folder)
        for entry in entries:
            if entry.key.startswith(prefix):
                yield entry

    def _walk(self, folder: str) -> list[BlobEntry]:
        base = self.root / folder if folder else self.root
        entries = []
        for directory, _, names in os.walk(base):
            here = Path(directory)
            for name in names:
                # stored as <folder>/<first two chars>/<name>; anything else is not a blob
                if here.name != name[:2] or name.startswith("."):
                    continue
                parts = here.parent.relative_to(self.root).parts
                key = "/".join((*parts, name))
                try:
                    entries.append(_entry(key, (here / name).stat()))
                except FileNotFoundError:
                    continue
        return entries

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self._path(key).unlink(missing_ok=True))

    async def abandon_incomplete(self, started_before: datetime) -> int:
        cutoff = started_before.timestamp()

        def remove() -> int:
            removed = 0
            for temporary in self.root.glob(f"{_TEMPORARY}*"):
                try:
                    if temporary.stat().st_mtime < cutoff:
                        temporary.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
            return removed

        return await anyio.to_thread.run_sync(remove)

    async def healthy(self) -> bool:
        def check() -> bool:
            self.root.mkdir(parents=True, exist_ok=True)
            return os.access(self.root, os.W_OK)

        return await anyio.to_thread.run_sync(check)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _entry(key: str, info: os.stat_result) -> BlobEntry:
    return BlobEntry(
        key=key, size=info.st_size, modified=datetime.fromtimestamp(info.st_mtime, tz=UTC)
    )
