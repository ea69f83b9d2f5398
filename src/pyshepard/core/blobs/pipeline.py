"""Overlap the blocking work of a blob upload with receiving the next chunk.

Hashing (sha256 and md5 both release the GIL for large buffers) and writing each run in a
thread of their own ("lanes"); `submit` waits only for the lane's previous job, so while the
threads digest and write chunk N the event loop is already parsing chunk N+1, and the two
digests use separate cores. At most two chunks per lane are referenced at any time.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio


class Lane:
    """Blocking jobs run one after another in one thread, concurrently with the caller."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: asyncio.Future[Any] | None = None

    async def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Starts `function(*args)` once the previous job is done; re-raises its error."""
        await self.wait()
        self._pending = asyncio.wrap_future(self._executor.submit(function, *args))

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Like `submit`, then waits for this job and returns its result."""
        await self.submit(function, *args)
        pending, self._pending = self._pending, None
        assert pending is not None  # noqa: S101 - set by submit
        return await pending

    async def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending

    async def close(self) -> None:
        """Lets a job still running finish (never leaves a thread writing to a closed file)."""
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self._executor.shutdown)


class Digests:
    """sha256 and md5 of a byte stream, each computed in its own lane."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self._lanes = (Lane("sha256"), Lane("md5"))

    async def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        await self._lanes[0].submit(self.sha256.update, chunk)
        await self._lanes[1].submit(self.md5.update, chunk)

    async def finish(self) -> tuple[str, str]:
        """(sha256 hex, md5 hex) once every chunk is digested."""
        for lane in self._lanes:
            await lane.wait()
        return self.sha256.hexdigest(), self.md5.hexdigest()

    async def close(self) -> None:
        for lane in self._lanes:
            await lane.close()
