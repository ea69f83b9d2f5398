"""`pyshepard registry sync` / `import`: push local entry folders to a registry server.

Per entry: submit when the server lacks that model+version, skip when it has the same bytes
(same checksum), report a conflict when it has other bytes under that version. Nothing on the
server is ever changed or deleted; versions are immutable."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pyshepard.registry.entry import SEMVER_PATTERN, Entry, ValidationStatus
from pyshepard.registry.remote.client import RegistryClient, RegistryError, Upload
from pyshepard.registry.validation.layout import (
    ENTRY_FILE,
    EntrySource,
    LocationError,
    discover,
)

# entry.json fields a submission sends; the others are the server's (status, dates, summary,
# report) or name local files (file_location, reference_points: the files go as uploads)
WIRE_FIELDS = frozenset(
    {
        "model_id",
        "name",
        "doi",
        "version",
        "domain",
        "collaboration",
        "checksum",
        "metadata",
        "links",
        "format",
        "canonical_checksum",
    }
)


class Action(StrEnum):
    SUBMITTED = "submitted"
    WOULD_SUBMIT = "would submit"
    UNCHANGED = "unchanged"
    NOT_APPROVED = "not approved"
    CONFLICT = "conflict"
    ERROR = "error"


FAILING = frozenset({Action.CONFLICT, Action.ERROR})


@dataclass
class SyncRow:
    entry: str
    name: str = ""
    version: str = ""
    action: Action = Action.ERROR
    model_id: str = ""
    detail: str = ""


@dataclass
class LocalEntry:
    """An entry folder ready to submit: its entry.json (raw and parsed) and the files to send."""

    source: EntrySource
    raw: dict[str, Any]
    entry: Entry
    model: Upload
    checksum: str
    reference_points: Upload | None = None
    companions: list[Upload] = field(default_factory=list)


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def semver_key(version: str) -> tuple[Any, ...]:
    """Semantic-version precedence (a release sorts after its pre-releases)."""
    match = re.fullmatch(SEMVER_PATTERN, version)
    if match is None:
        return (1 << 62, version)
    major, minor, patch, pre, _build = match.groups()
    pre_key: tuple[Any, ...] = (1,)
    if pre:
        pre_key = (
            0,
            *((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")),
        )
    return (int(major), int(minor), int(patch), pre_key)


def concept_key(name: str, collaboration: str) -> tuple[str, str]:
    return (name.strip().casefold(), collaboration.strip().casefold())


class UnusableEntry(Exception):
    """A local entry that cannot be submitted (the message says why)."""

    def __init__(self, message: str, raw: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.name = str((raw or {}).get("name", ""))
        self.version = str((raw or {}).get("version", ""))


def _read_entry(source: EntrySource) -> tuple[dict[str, Any], Entry]:
    try:
        raw = json.loads(source.entry_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnusableEntry(f"{ENTRY_FILE} is not readable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise UnusableEntry(f"{ENTRY_FILE} is not a JSON object")
    try:
        return raw, Entry.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise UnusableEntry(f"invalid {ENTRY_FILE}: {problems}", raw) from exc


def load_entry(source: EntrySource) -> LocalEntry:
    """The entry and its files; raises UnusableEntry when a file is missing or does not match."""
    raw, entry = _read_entry(source)
    try:
        model_path = source.resolve(entry.file_location)
        reference = source.resolve(entry.reference_points) if entry.reference_points else None
        companions = [Upload(link.href, source.resolve(link.href)) for link in entry.file_links()]
        missing = [
            path
            for path in [model_path, reference, *(c.path for c in companions)]
            if path is not None and not path.is_file()
        ]
        if missing:
            raise UnusableEntry("missing file(s): " + ", ".join(p.name for p in missing), raw)
        checksum = file_checksum(model_path)
    except (LocationError, OSError) as exc:
        raise UnusableEntry(str(exc), raw) from exc
    if checksum != entry.checksum:
        raise UnusableEntry(
            f"{model_path.name} has {checksum}, {ENTRY_FILE} declares {entry.checksum}", raw
        )
    return LocalEntry(
        source=source,
        raw=raw,
        entry=entry,
        model=Upload(model_path.name, model_path),
        checksum=checksum,
        reference_points=Upload(reference.name, reference) if reference else None,
        companions=companions,
    )


class _Remote:
    """What the server holds, fetched lazily and updated with what this run submits."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._concepts: dict[tuple[str, str], str] | None = None
        self._versions: dict[str, dict[str, str]] = {}

    def model_id(self, local: LocalEntry) -> str | None:
        if local.entry.model_id is not None:
            model_id = str(local.entry.model_id)
            if model_id in self._versions or self.client.get_model(model_id) is not None:
                return model_id
            return None
        if self._concepts is None:
            self._concepts = {
                concept_key(str(item.get("name", "")), str(item.get("collaboration", ""))): str(
                    item["model_id"]
                )
                for item in self.client.list_models()
                if "model_id" in item
            }
        return self._concepts.get(concept_key(local.entry.name, local.entry.collaboration))

    def versions(self, model_id: str) -> dict[str, str]:
        """version -> checksum"""
        if model_id not in self._versions:
            self._versions[model_id] = {
                str(item.get("version")): str(item.get("checksum", ""))
                for item in self.client.versions(model_id)
            }
        return self._versions[model_id]

    def record(self, local: LocalEntry, model_id: str) -> None:
        if self._concepts is not None:
            self._concepts[concept_key(local.entry.name, local.entry.collaboration)] = model_id
        self.versions(model_id)[local.entry.version] = local.checksum


def wire_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """The entry.json fields a submission sends (server-owned and unknown fields dropped)."""
    return {key: value for key, value in raw.items() if key in WIRE_FIELDS and value is not None}


def sync_path(
    path: Path,
    client: RegistryClient,
    *,
    include_all: bool = False,
    dry_run: bool = False,
    progress: Callable[[SyncRow], None] | None = None,
) -> list[SyncRow]:
    """Sync every entry under `path` (approved ones unless `include_all`); one row per entry.

    Entries are submitted per concept in semantic-version order, so the newest version ends up
    the latest on the server. Server and transport errors become `error` rows."""
    rows: list[SyncRow] = []
    loaded: list[LocalEntry] = []
    for source in discover(path):
        try:
            local = load_entry(source)
        except UnusableEntry as exc:
            rows.append(
                SyncRow(entry=source.slug, name=exc.name, version=exc.version, detail=str(exc))
            )
            continue
        status = local.entry.validation_status
        if include_all or status == ValidationStatus.APPROVED:
            loaded.append(local)
        else:
            rows.append(
                SyncRow(
                    entry=source.slug,
                    name=local.entry.name,
                    version=local.entry.version,
                    action=Action.NOT_APPROVED,
                    detail=f"validation_status is {status.value}",
                )
            )
    for row in rows:
        if progress:
            progress(row)
    loaded.sort(
        key=lambda local: (
            concept_key(local.entry.name, local.entry.collaboration),
            semver_key(local.entry.version),
        )
    )
    remote = _Remote(client)
    for local in loaded:
        row = _sync_one(local, remote, dry_run=dry_run)
        rows.append(row)
        if progress:
            progress(row)
    return rows


def _sync_one(local: LocalEntry, remote: _Remote, *, dry_run: bool) -> SyncRow:
    row = SyncRow(entry=local.source.slug, name=local.entry.name, version=local.entry.version)
    try:
        model_id = remote.model_id(local)
        if model_id is not None:
            row.model_id = model_id
            existing = remote.versions(model_id).get(local.entry.version)
            if existing == local.checksum:
                row.action = Action.UNCHANGED
                return row
            if existing is not None:
                row.action = Action.CONFLICT
                row.detail = (
                    f"the server holds {existing} under this version; local {local.checksum}"
                )
                return row
        if dry_run:
            row.action = Action.WOULD_SUBMIT
            return row
        created = remote.client.submit(
            wire_entry(local.raw),
            local.model,
            reference_points=local.reference_points,
            companions=local.companions,
        )
    except RegistryError as exc:
        row.action = Action.CONFLICT if exc.status == 409 else Action.ERROR
        row.detail = exc.message
        return row
    row.action = Action.SUBMITTED
    row.model_id = str(created.get("model_id", model_id or ""))
    row.detail = str(created.get("validation_status", ""))
    if row.model_id:
        remote.record(local, row.model_id)
    return row
