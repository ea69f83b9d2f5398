"""`pyshepard registry submit`: send one entry folder to a registry server (whatever its local
`validation_status`) and optionally wait until the server's validation has decided."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyshepard.registry.entry import ValidationStatus
from pyshepard.registry.remote.client import API, RegistryClient, RegistryError
from pyshepard.registry.remote.sync import LocalEntry, UnusableEntry, load_entry, wire_entry
from pyshepard.registry.validation.layout import ENTRY_FILE, discover

# statuses in which the server has not decided yet: validation is queued or running
PENDING = frozenset({ValidationStatus.SUBMITTED.value, ValidationStatus.VALIDATING.value})


class NotOneEntry(UnusableEntry):
    """The path holds no entry, or more than one."""


class WaitTimeout(Exception):
    """The version was still pending when the wait ran out (the last status is kept)."""

    def __init__(self, message: str, status: VersionStatus) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Submitted:
    model_id: str
    version: str
    status: str
    status_url: str


@dataclass(frozen=True)
class VersionStatus:
    """One version's validation state as the server reports it."""

    status: str
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.status in PENDING


def load_one(path: Path) -> LocalEntry:
    """The single entry at `path` (an entry folder or its entry.json); raises NotOneEntry when
    there is none or more than one, UnusableEntry when its files do not match its entry.json."""
    sources = discover(path)
    if not sources:
        raise NotOneEntry(f"no {ENTRY_FILE} found at {path}")
    if len(sources) > 1:
        raise NotOneEntry(
            f"{path} holds {len(sources)} entries; submit one entry folder "
            "(or use `pyshepard registry sync --all` for a folder of entries)"
        )
    return load_entry(sources[0])


def submit_entry(client: RegistryClient, local: LocalEntry) -> Submitted:
    """POST the entry with its model file, reference points and companions; raises
    RegistryError with the server's message."""
    created = client.submit(
        wire_entry(local.raw),
        local.model,
        reference_points=local.reference_points,
        companions=local.companions,
    )
    model_id = str(created.get("model_id", ""))
    if not model_id:
        raise RegistryError(f"POST {API}: the answer names no model_id")
    # the answer shows the concept's newest version, which is another one when an older
    # version was submitted; a version just recorded is `submitted` until its job starts
    version = local.entry.version
    shown = created.get("version") == version
    status = created.get("validation_status") if shown else ValidationStatus.SUBMITTED.value
    return Submitted(
        model_id=model_id,
        version=version,
        status=str(status or ValidationStatus.SUBMITTED.value),
        status_url=f"{client.server}{API}/{model_id}",
    )


def version_status(client: RegistryClient, model_id: str, version: str) -> VersionStatus:
    """The validation status of `version` (`GET /api/models/{id}`; that shows the newest
    version, so an older one is looked up in `/versions`)."""
    entry = client.get_model(model_id)
    if entry is None:
        raise RegistryError(f"GET {API}/{model_id}: HTTP 404: no such model", status=404)
    if entry.get("version") == version:
        digest = entry.get("validation") or {}
        failures = digest.get("failures", []) if isinstance(digest, dict) else []
        return VersionStatus(
            status=str(entry.get("validation_status", "")),
            failures=[f for f in failures if isinstance(f, dict)],
        )
    for item in client.versions(model_id):
        if item.get("version") == version:
            return VersionStatus(status=str(item.get("validation_status", "")))
    raise RegistryError(f"GET {API}/{model_id}/versions: version {version} is not listed")


def wait_for_validation(
    client: RegistryClient,
    model_id: str,
    version: str,
    *,
    timeout: float,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> VersionStatus:
    """Poll until the version leaves submitted/validating; raises WaitTimeout after `timeout`
    seconds and RegistryError when the server answers with an error."""
    deadline = clock() + timeout
    while True:
        current = version_status(client, model_id, version)
        if not current.pending:
            return current
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(
                f"model {model_id} version {version} is still {current.status} after {timeout:g} s",
                current,
            )
        sleep(min(interval, remaining))
