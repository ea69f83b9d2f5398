"""`pyshepard registry export`: the whole registry as entry folders, ready to commit to git.

Layout: DIR/<collaboration-slug>/<name-slug>/<version>/ with entry.json (file locations made
local), the model file, the reference points and the companion files. Every file is checked
against the checksum the server declares; a version folder is written to a staging folder and
moved into place only when complete."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pyshepard.registry.entry import FILE_LINK_RELS
from pyshepard.registry.remote.client import API, RegistryClient, RegistryError
from pyshepard.registry.remote.sync import semver_key
from pyshepard.registry.validation.layout import ENTRY_FILE

# entry.json field order of an exported entry (the seed's names first)
EXPORTED_FIELDS = (
    "model_id",
    "name",
    "doi",
    "version",
    "domain",
    "collaboration",
    "file_location",
    "checksum",
    "reference_points",
    "metadata",
    "validation_status",
    "submission_date",
    "last_updated",
    "format",
    "canonical_checksum",
    "summary",
    "links",
)


@dataclass
class ExportRow:
    folder: str
    version: str
    status: str = "exported"
    model_id: str = ""
    detail: str = ""


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by `-` (`unnamed` when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "unnamed"


def _safe_name(name: str | None, fallback: str) -> str:
    """A plain file name (no folders, no dot-names) for a file the server names."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    return base if base and not base.startswith(".") else fallback


def export_registry(client: RegistryClient, directory: Path) -> list[ExportRow]:
    """Export every model and version the caller may read; one row per version (or per model
    whose versions could not be listed). Errors become rows with status `error`."""
    rows: list[ExportRow] = []
    taken: dict[Path, str] = {}
    models = sorted(client.list_models(), key=lambda m: str(m.get("model_id")))
    for model in models:
        model_id = str(model.get("model_id", ""))
        concept = (
            directory / slugify(str(model.get("collaboration", ""))) / slugify(str(model["name"]))
        )
        if taken.setdefault(concept, model_id) != model_id:  # two names, one slug
            concept = concept.with_name(f"{concept.name}-{model_id[:8]}")
            taken[concept] = model_id
        try:
            versions = sorted(client.versions(model_id), key=lambda v: semver_key(v["version"]))
        except (RegistryError, KeyError) as exc:
            detail = exc.message if isinstance(exc, RegistryError) else "version without a name"
            rows.append(ExportRow(str(concept), "", "error", model_id, detail))
            continue
        for info in versions:
            version = str(info["version"])
            rows.append(_export_version(client, model_id, info, concept / version))
    return rows


def _export_version(
    client: RegistryClient, model_id: str, info: dict[str, Any], folder: Path
) -> ExportRow:
    version = str(info["version"])
    row = ExportRow(str(folder), version, model_id=model_id)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        facts = client.metadata(model_id, version)
        files = _download_files(client, model_id, version, facts, staging)
        document: dict[str, Any] = {
            **facts,
            "model_id": model_id,
            "version": version,
            "validation_status": info.get("validation_status"),
            "submission_date": info.get("submission_date"),
            "last_updated": info.get("last_updated"),
            **files,
        }
        entry = {key: document[key] for key in EXPORTED_FIELDS if document.get(key) is not None}
        (staging / ENTRY_FILE).write_text(
            json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except (RegistryError, OSError) as exc:
        row.status = "error"
        row.detail = exc.message if isinstance(exc, RegistryError) else str(exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return row


def _download_files(
    client: RegistryClient, model_id: str, version: str, facts: dict[str, Any], folder: Path
) -> dict[str, Any]:
    """Download the model, reference points and companions; returns the entry fields that name
    the local files. The model and companions must match their declared checksums."""
    path = f"{API}/{model_id}/file"
    checksum, name = client.download(path, folder / ".model", params={"version": version})
    if checksum != facts.get("checksum"):
        raise RegistryError(
            f"model file: downloaded {checksum}, the server declares {facts.get('checksum')}"
        )
    links: list[dict[str, Any]] = []
    used = {ENTRY_FILE}
    for link in facts.get("links") or []:
        if isinstance(link, dict) and link.get("rel") in FILE_LINK_RELS:
            href = str(link.get("href", ""))
            local = _safe_name(href, "companion.json")
            if local in used:
                raise RegistryError(f"companion {href!r} clashes with another file name")
            # checked against the version's own ETag: the concept's link may name an older
            # version's checksum
            got, _ = client.download(
                path, folder / local, params={"version": version, "part": href}
            )
            used.add(local)
            links.append({**link, "href": local, "checksum": got})
        else:
            links.append(link)
    fields: dict[str, Any] = {"links": links}
    try:
        _, reference = client.download(
            path, folder / ".reference", params={"version": version, "part": "reference_points"}
        )
    except RegistryError as exc:
        if exc.status != 404:
            raise
        (folder / ".reference").unlink(missing_ok=True)
    else:
        reference_name = _safe_name(reference, "reference_points.json")
        if reference_name in used:
            reference_name = "reference_points.json"
        (folder / ".reference").rename(folder / reference_name)
        used.add(reference_name)
        fields["reference_points"] = reference_name
    model_name = _safe_name(name, "model.json")
    if model_name in used:
        model_name = next(n for n in ("model.json", "model-file.json") if n not in used)
    (folder / ".model").rename(folder / model_name)
    fields["file_location"] = model_name
    return fields
