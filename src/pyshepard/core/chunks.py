"""Long value lists cut into pieces small enough for one `IN (...)` clause on every backend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# values per IN clause, far below every backend's bind-parameter limit (asyncpg: 32 767)
IN_LIST_CHUNK = 1000


def chunked(values: Iterable[T], size: int = IN_LIST_CHUNK) -> Iterator[list[T]]:
    batch = list(values)
    for start in range(0, len(batch), size):
        yield batch[start : start + size]
