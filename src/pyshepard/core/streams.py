"""Byte streams whose first piece is read early: before a response's status line goes out, so a
source that fails at once is an error response, not a 200 whose body breaks off."""

from __future__ import annotations

from collections.abc import AsyncIterator


async def started(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`stream`, its first piece already read (the source's errors surface here, now)."""
    first = await anext(stream, b"")
    return _prepended(first, stream)


async def _prepended(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for piece in rest:
        yield piece
