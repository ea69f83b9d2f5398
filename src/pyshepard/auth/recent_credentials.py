"""API-key credentials this process checked against the database a moment ago.

A streaming client sends hundreds of requests a second with the same key; asking the database
whether that key is still valid on each of them cost a transaction per request. A check is
trusted for `api_key_recheck_seconds`. Revoking a key or deleting or changing a user forgets
the affected entries in this process at once (before and after the commit, so a request that
read the old row meanwhile cannot put it back); other processes (replicas, the CLI) notice
within the recheck interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

MAX_ENTRIES = 4096


@dataclass(frozen=True)
class Credential:
    """What the database said about a key: its exact token, owner, expiry and owner's roles."""

    jws: str
    username: str
    expires_at: datetime | None
    roles: tuple[str, ...]


_entries: dict[tuple[str, str], tuple[float, Credential]] = {}


def recall(database: str, uid: str, max_age: float) -> Credential | None:
    """The credential checked less than `max_age` seconds ago, if any."""
    if max_age <= 0:
        return None
    entry = _entries.get((database, uid))
    if entry is None:
        return None
    checked_at, credential = entry
    if time.monotonic() - checked_at >= max_age:
        del _entries[(database, uid)]
        return None
    return credential


def remember(database: str, uid: str, credential: Credential) -> None:
    if len(_entries) >= MAX_ENTRIES:
        _entries.pop(next(iter(_entries)))
    _entries[(database, uid)] = (time.monotonic(), credential)


def forget_key(uid: str) -> None:
    for entry in [entry for entry in _entries if entry[1] == uid]:
        _entries.pop(entry, None)


def forget_user(username: str) -> None:
    stale = [key for key, (_, credential) in _entries.items() if credential.username == username]
    for key in stale:
        _entries.pop(key, None)
