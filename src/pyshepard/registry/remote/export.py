"""`pyshepard registry export`: the whole registry as entry folders, ready to commit to git.

Layout: DIR/<collaboration-slug>/<name-slug>/<version>/ with entry.json (file locations made
local), the model file, the reference points and the companion files, each checked against the
checksum the server declares."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pyshepard.registry.remote.client import API, RegistryClient, RegistryError
from pyshepard.registry.remote.sync import semver_key
from pyshepard.registry.validation.layout import ENTRY_FILE

# entry fields not written: volatile server views (latest report, version list, review trail)
VOLATILE_FIELDS = frozenset(
    {"versions", "validation", "status", "latest_version", "approved_version", "reviews"}
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


def _safe_name(name: str, fallback: str) -> str:
    """A plain file name (no folders, no dot-names) for a file the server names."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return base if base and not base.startswith(".") else fallback


def _server_path(client: RegistryClient, location: str) -> tuple[str, dict[str, str]] | None:
    """The path and query of a download URL on this server (absolute or server-relative)."""
    parts = urlsplit(location)
    if parts.scheme in {"http", "https"}:
        if not location.startswith(client.server + "/"):
            return None
    elif parts.scheme or not parts.path.startswith("/"):
        return None
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    return parts.path, query


def export_registry(client: RegistryClient, directory: Path) -> list[ExportRow]:
    """Export every model and version the caller may read; one row per version."""
    rows: list[ExportRow] = []
    taken: dict[Path, str] = {}
    for model in sorted(client.list_models(), key=lambda m: str(m.get("model_id"))):
        model_id = str(model.get("model_id", ""))
        concept = (
            directory / slugify(str(model.get("collaboration", ""))) / slugify(str(model["name"]))
        )
        if taken.setdefault(concept, model_id) != model_id:  # two names with one slug
            concept = concept.with_name(f"{concept.name}-{model_id[:8]}")
            taken[concept] = model_id
        try:
            versions = sorted(
                (str(info["version"]) for info in client.versions(model_id)), key=semver_key
            )
        except RegistryError as exc:
            rows.append(ExportRow(str(concept), "", "error", model_id, exc.message))
            continue
        for version in versions:
            rows.append(_export_version(client, model_id, version, concept / version))
    return rows


def _export_version(client: RegistryClient, model_id: str, version: str, folder: Path) -> ExportRow:
    row = ExportRow(str(folder), version, model_id=model_id)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=_ensure(folder.parent)))
    try:
        entry = client.version_entry(model_id, version)
        files = _download_files(client, model_id, version, entry, staging)
        document = {k: v for k, v in entry.items() if k not in VOLATILE_FIELDS}
        document.update(files)
        (staging / ENTRY_FILE).write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
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


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _download_files(
    client: RegistryClient, model_id: str, version: str, entry: dict[str, Any], folder: Path
) -> dict[str, Any]:
    """Download the model, reference points and companions; returns the entry fields that now
    name local files. Every file must match its declared checksum."""
    base = f"{API}/{model_id}/file"
    model_name = _safe_name(str(entry.get("file_name") or ""), "model.json")
    checksum = client.download(base, folder / model_name, params={"version": version})
    if checksum != entry.get("checksum"):
        raise RegistryError(
            f"{model_name}: downloaded {checksum}, entry says {entry.get('checksum')}"
        )
    fields: dict[str, Any] = {"file_location": model_name}
    if entry.get("reference_points"):
        location = _server_path(client, str(entry["reference_points"]))
        if location is None:
            raise RegistryError(
                f"reference_points {entry['reference_points']} is not on this server"
            )
        name = _safe_name(str(entry.get("reference_points_name") or ""), "reference_points.json")
        client.download(location[0], folder / name, params=location[1])
        fields["reference_points"] = name
    links = []
    for link in entry.get("links") or []:
        if isinstance(link, dict) and link.get("rel") in {"patch-of", "hs3-twin"}:
            name = _safe_name(str(link.get("href", "")), "companion.json")
            got = client.download(
                f"{API}/{model_id}/file",
                folder / name,
                params={"version": version, "part": "companion", "name": str(link.get("href"))},
            )
            if link.get("checksum") and got != link["checksum"]:
                raise RegistryError(f"{name}: downloaded {got}, link says {link['checksum']}")
            links.append({**link, "href": name})
        else:
            links.append(link)
    fields["links"] = links
    return fields
