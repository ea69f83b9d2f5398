"""The subscriptions with a callback, per request method, as this process last read them.

Every successful subscribable request (each timeseries ingest, each upload) asks which
subscriptions it may trigger; with none or few subscriptions that question must not cost a
transaction per request. A read is trusted for `subscription_recheck_seconds`; creating or
deleting a subscription through this process forgets it at once, other processes (replicas)
see the change within the interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """A subscription as the trigger check needs it, independent of any session."""

    id: int
    subscribed_url: str
    created_by: str
    rendered: dict[str, Any]  # as the API renders it: the callback body's `subscription`


_entries: dict[tuple[str, str], tuple[float, tuple[Candidate, ...]]] = {}


def recall(database: str, method: str, max_age: float) -> tuple[Candidate, ...] | None:
    """The candidates read less than `max_age` seconds ago, if any."""
    entry = _entries.get((database, method))
    if entry is None or max_age <= 0 or time.monotonic() - entry[0] >= max_age:
        return None
    return entry[1]


def remember(database: str, method: str, candidates: tuple[Candidate, ...]) -> None:
    _entries[(database, method)] = (time.monotonic(), candidates)


def forget() -> None:
    _entries.clear()
