"""The BlobStore interface. Keys are content-addressed (sha256); bytes stream in and out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime


class BlobMissing(LookupError):
    """The key is not (or no longer) in the store."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str
    md5: str


@dataclass(frozen=True)
class BlobEntry:
    key: str
    size: int
    modified: datetime  # aware UTC; a re-upload of the same bytes refreshes it


class BlobStore(ABC):
    @abstractmethod
    async def put_stream(self, chunks: AsyncIterator[bytes], *, prefix: str = "") -> BlobInfo:
        """Store a stream under its sha256 key; returns the key, size and digests."""

    @abstractmethod
    def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream the bytes of `key` (optionally the byte range [start, end]). The blob is
        opened when the first chunk is asked for; BlobMissing then if it is absent."""

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """Size in bytes, or None when absent."""

    @abstractmethod
    async def stat(self, key: str) -> BlobEntry | None:
        """Size and last write time, or None when absent."""

    @abstractmethod
    def scan(self, prefix: str = "") -> AsyncIterator[BlobEntry]:
        """Every stored key starting with `prefix` (the orphan sweeper walks these)."""

    @abstractmethod
    async def abandon_incomplete(self, started_before: datetime) -> int:
        """Remove what uploads interrupted by a crash left behind (temporary files, unfinished
        multipart uploads) that started before `started_before`; returns how many."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove `key`; absent keys are not an error."""

    @abstractmethod
    async def healthy(self) -> bool:
        """Whether the store answers."""


def open_blob_store(url: str) -> BlobStore:
    """`file:///path` → local folder; `s3://bucket[/prefix]?endpoint=...` → S3 (see s3.py)."""
    if url.startswith("file://"):
        from pyshepard.core.blobs.local import LocalBlobStore  # noqa: PLC0415 - backend chosen at runtime

        return LocalBlobStore(url.removeprefix("file://"))
    if url.startswith("s3://"):
        from pyshepard.core.blobs.s3 import S3BlobStore  # noqa: PLC0415 - boto3 only when used

        return S3BlobStore.from_url(url)
    raise ValueError(f"unsupported blob URL {url!r}")
