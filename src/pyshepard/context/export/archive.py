"""A zip written as a stream: each `add_*` returns or yields the bytes produced so far.

The standard library's `zipfile` writes to an unseekable sink with data descriptors (sizes
after each entry), so entries go out as they are written and nothing but one compressor's
state and the central directory is kept in memory. Entries are deflated (readers that stream
a zip, such as Java's ZipInputStream, accept data descriptors only after deflated data); large
pieces are compressed in a worker thread (zlib releases the GIL) so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime

# pieces at least this large are compressed off the event loop
THREAD_THRESHOLD = 64 * 1024


class _Sink:
    """Unseekable: `zipfile` then streams (it wraps the sink to count the offset itself)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def drain(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


class ZipStream:
    def __init__(self, *, moment: datetime | None = None) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, mode="w", compression=zipfile.ZIP_DEFLATED)
        stamp = (moment or datetime.now(UTC)).astimezone(UTC)
        self._date_time = (
            stamp.year,
            stamp.month,
            stamp.day,
            stamp.hour,
            stamp.minute,
            stamp.second,
        )
        self.names: set[str] = set()

    def _info(self, name: str, size: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.file_size = size  # decides whether the entry needs zip64 records
        return info

    async def add_bytes(self, name: str, data: bytes) -> bytes:
        """Add an entry held in memory (metadata, JSON documents, CSV)."""
        self.names.add(name)
        info = self._info(name, len(data))
        if len(data) >= THREAD_THRESHOLD:
            await asyncio.to_thread(self._zip.writestr, info, data)
        else:
            self._zip.writestr(info, data)
        return self._sink.drain()

    async def add_stream(
        self, name: str, chunks: AsyncIterator[bytes], size: int
    ) -> AsyncIterator[bytes]:
        """Add an entry from a byte stream of `size` bytes (a blob), yielding as it goes."""
        self.names.add(name)
        with self._zip.open(self._info(name, size), mode="w") as target:
            async for chunk in chunks:
                if len(chunk) >= THREAD_THRESHOLD:
                    await asyncio.to_thread(target.write, chunk)
                else:
                    target.write(chunk)
                produced = self._sink.drain()
                if produced:
                    yield produced
        produced = self._sink.drain()
        if produced:
            yield produced

    def finish(self) -> bytes:
        """The central directory; the archive is complete after this."""
        self._zip.close()
        return self._sink.drain()
