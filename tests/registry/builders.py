"""Build registry entry folders from the shared model files at test time (nothing big is copied
into the repository)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tarfile
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"
SBOTTOM_TARBALL = MODELS / "atlas-sbottom" / "pyhf-ins1748602-probability-models.tar.gz"
_PATCH_NAME = re.compile(r"patch\.(sbottom_(\d+)_(\d+)_(\d+))\.json$")

# logpdf of the observed data at the suggested init, pyhf 0.7.6 numpy 64-bit (models/README.md)
README_LOGPDF = {
    "pyhf/2-bin_1-channel.json": -12.583633148889326,
    "pyhf/xmlimport_input_bkg.json": -6.594269008267794,
    "pyhf/example_bkgonly.json": -4.547940337579668,
    "atlas-1lbb/bkg_only.json": -43.035430700775564,
}
SBOTTOM_REGION_A_LOGPDF = -54.833797917237106


def sha256_of(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def make_entry(
    directory: Path,
    model: Path | bytes,
    *,
    model_name: str = "model.json",
    name: str = "test model",
    reference_points: list[dict[str, Any]] | None = None,
    companions: dict[str, Path] | None = None,
    **fields: Any,
) -> Path:
    """An entry folder: entry.json, the model file (copied or written), optional reference
    points and companion files (rel -> source path) linked with their checksums."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / model_name
    if isinstance(model, bytes):
        target.write_bytes(model)
    else:
        shutil.copyfile(model, target)
    entry: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "domain": "particle_physics",
        "collaboration": "DEMOS tests",
        "file_location": model_name,
        "checksum": sha256_of(target),
        "metadata": {"tags": ["test"], "search_keywords": [], "citations": []},
        "validation_status": "submitted",
        "submission_date": "2026-01-15",
        "last_updated": "2026-01-15",
    }
    if reference_points is not None:
        write_json(directory / "reference_points.json", reference_points)
        entry["reference_points"] = "reference_points.json"
    links = []
    for rel, source in (companions or {}).items():
        copy = directory / source.name
        if source.resolve() != copy.resolve():
            shutil.copyfile(source, copy)
        links.append({"rel": rel, "href": copy.name, "checksum": sha256_of(copy)})
    if links:
        entry["links"] = links
    entry.update(fields)
    write_json(directory / "entry.json", entry)
    return directory


def logpdf_point(expected: float, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "logpdf",
        "parameters": "init",
        "data": "observed",
        "expected": expected,
        "atol": 0.0,
        "rtol": 1e-9,
        "backend": "numpy",
        "precision": "64b",
    } | extra


def pyhf_digest(document: Any) -> str:
    """pyhf.utils.digest: sorted keys, default separators, UTF-8."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unpack_sbottom(target: Path) -> Path:
    with tarfile.open(SBOTTOM_TARBALL) as archive:
        archive.extractall(target, filter="data")
    return target


def sbottom_patchset(region: Path) -> dict[str, Any]:
    """The region's jsonpatch files as one pyhf patchset (the format HEPData ships today)."""
    background = json.loads((region / "BkgOnly.json").read_text())
    patches = []
    for path in sorted(region.glob("patch.sbottom_*.json")):
        match = _PATCH_NAME.search(path.name)
        if match is None:
            continue
        patches.append(
            {
                "metadata": {
                    "name": match[1],
                    "values": [int(match[2]), int(match[3]), int(match[4])],
                },
                "patch": json.loads(path.read_text()),
            }
        )
    return {
        "metadata": {
            "description": f"ATLAS SUSY sbottom multi-b {region.name} signal patches",
            "digests": {"sha256": pyhf_digest(background)},
            "labels": ["m_sbottom", "m_neutralino2", "m_neutralino1"],
            "references": {"hepdata": "ins1748602"},
        },
        "patches": patches,
        "version": "1.0.0",
    }
