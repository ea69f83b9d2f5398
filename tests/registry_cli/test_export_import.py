"""`pyshepard registry export` / `import`: a live server's registry written as entry folders,
imported into a fresh server (another database and blob store), and exported again: entries,
model files, reference points and companion files are identical (checksums, bytes)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pyshepard.cli.main import app
from tests.conftest import ApiUser
from tests.registry.builders import MODELS, README_LOGPDF, logpdf_point, make_entry
from tests.registry_cli.conftest import LiveServer, serve_fresh

TWO_BIN = MODELS / "pyhf" / "2-bin_1-channel.json"
XMLIMPORT = MODELS / "pyhf" / "xmlimport_input_bkg.json"
PATCHSET = MODELS / "pyhf" / "example_patchset.json"
BKGONLY = MODELS / "pyhf" / "example_bkgonly.json"
DATES = {"submission_date", "last_updated"}  # set by each server when it receives a version


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["registry", *args])
    return result.exit_code, result.output


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(server: LiveServer, user: ApiUser, collaboration: str) -> dict[str, Any]:
    """Everything the server says about one collaboration's models: per model and version the
    metadata document, the version facts (minus dates) and the sha256 of every file's bytes."""
    http = httpx.Client(base_url=server.url, headers=user.headers, timeout=60)
    result: dict[str, Any] = {}
    for entry in http.get("/api/models", params={"page": 0, "size": 200}).json():
        if entry["collaboration"] != collaboration:
            continue
        model_id = entry["model_id"]
        versions = {}
        for info in http.get(f"/api/models/{model_id}/versions").json():
            version = info["version"]
            metadata = http.get(
                f"/api/models/{model_id}/metadata", params={"version": version}
            ).json()
            parts = ["model", "reference_points"] + [
                link["href"]
                for link in metadata["links"]
                if link["rel"] in {"patch-of", "hs3-twin"}
            ]
            files = {}
            for part in parts:
                response = http.get(
                    f"/api/models/{model_id}/file", params={"version": version, "part": part}
                )
                if response.status_code == 404 and part == "reference_points":
                    continue
                assert response.status_code == 200, response.text
                files[part] = (
                    response.headers["content-disposition"],
                    hashlib.sha256(response.content).hexdigest(),
                )
                assert response.headers["etag"] == f'"{files[part][1]}"'
            versions[version] = {
                "info": {k: v for k, v in info.items() if k not in DATES},
                "metadata": metadata,
                "files": files,
            }
        result[entry["name"]] = {"model_id": model_id, "versions": versions}
    http.close()
    return result


def tree(root: Path) -> dict[str, Any]:
    """Every file under `root`: entry.json parsed without dates, other files as sha256."""
    files: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            if path.name == "entry.json":
                document = json.loads(path.read_text())
                files[relative] = {k: v for k, v in document.items() if k not in DATES}
            else:
                files[relative] = sha256(path)
    return files


@pytest.fixture(scope="module")
def source_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Server A on a database of its own: export writes the whole registry, and models that
    other test modules put into the session database keep their bytes in other blob stores."""
    yield from serve_fresh(tmp_path_factory.mktemp("server-a-own"))


async def test_export_import_round_trip(
    source_server: LiveServer, fresh_server: LiveServer, tmp_path: Path
) -> None:
    server = source_server
    owner, importer = await server.user(), await fresh_server.user()
    collaboration = f"Round Trip {uuid.uuid4().hex[:8]}"
    slug = collaboration.lower().replace(" ", "-")
    models = tmp_path / "models"
    make_entry(
        models / "a",
        TWO_BIN,
        name="Two bin",
        collaboration=collaboration,
        validation_status="approved",
        reference_points=[logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"])],
        doi="10.17182/hepdata.90607.v3",
        metadata={"tags": ["round-trip"], "search_keywords": ["shapesys"], "citations": ["x"]},
    )
    make_entry(
        models / "b",
        XMLIMPORT,
        model_name="workspace.json",
        name="Two bin",
        version="2.0.0-rc.1",
        collaboration=collaboration,
        validation_status="approved",
    )
    make_entry(
        models / "c",
        PATCHSET,
        model_name="patchset.json",
        name="Patchset (signal)",
        collaboration=collaboration,
        validation_status="approved",
        companions={"patch-of": BKGONLY},
    )
    # a second version whose companion has the same name but other bytes (same JSON content)
    alternative = tmp_path / "alt" / BKGONLY.name
    alternative.parent.mkdir()
    alternative.write_text(json.dumps(json.loads(BKGONLY.read_text()), indent=2))
    make_entry(
        models / "d",
        PATCHSET,
        model_name="patchset.json",
        name="Patchset (signal)",
        version="1.1.0",
        collaboration=collaboration,
        validation_status="approved",
        companions={"patch-of": alternative},
    )
    code, output = cli("sync", str(models), "--server", server.url, "--api-key", owner.api_key)
    assert code == 0, output
    before = snapshot(server, owner, collaboration)
    assert {name: sorted(m["versions"]) for name, m in before.items()} == {
        "Two bin": ["1.0.0", "2.0.0-rc.1"],
        "Patchset (signal)": ["1.0.0", "1.1.0"],
    }

    exported = tmp_path / "export"
    code, output = cli("export", str(exported), "--server", server.url, "--api-key", owner.api_key)
    assert code == 0, output
    ours = exported / slug
    files = tree(ours)
    assert set(files) == {
        "two-bin/1.0.0/entry.json",
        "two-bin/1.0.0/model.json",
        "two-bin/1.0.0/reference_points.json",
        "two-bin/2.0.0-rc.1/entry.json",
        "two-bin/2.0.0-rc.1/workspace.json",
        "patchset-signal/1.0.0/entry.json",
        "patchset-signal/1.0.0/patchset.json",
        "patchset-signal/1.0.0/example_bkgonly.json",
        "patchset-signal/1.1.0/entry.json",
        "patchset-signal/1.1.0/patchset.json",
        "patchset-signal/1.1.0/example_bkgonly.json",
    }
    assert files["two-bin/1.0.0/model.json"] == sha256(TWO_BIN)
    assert files["two-bin/1.0.0/reference_points.json"] == sha256(
        models / "a/reference_points.json"
    )
    assert files["patchset-signal/1.0.0/example_bkgonly.json"] == sha256(BKGONLY)
    assert files["patchset-signal/1.1.0/example_bkgonly.json"] == sha256(alternative)
    assert files["patchset-signal/1.1.0/entry.json"]["links"][0]["checksum"] == sha256(alternative)
    entry = files["two-bin/1.0.0/entry.json"]
    assert entry["model_id"] == before["Two bin"]["model_id"]
    assert entry["file_location"] == "model.json"
    assert entry["reference_points"] == "reference_points.json"
    assert entry["checksum"] == sha256(TWO_BIN)
    assert entry["doi"] == "10.17182/hepdata.90607.v3"
    assert entry["validation_status"] == "submitted"  # what the server says, not the local file
    patch_of = files["patchset-signal/1.0.0/entry.json"]["links"][0]
    assert patch_of == {
        "rel": "patch-of",
        "href": "example_bkgonly.json",
        "checksum": sha256(BKGONLY),
    }

    # the exported folder is an entry-folder tree: import it into an empty server
    code, output = cli(
        "import", str(ours), "--server", fresh_server.url, "--api-key", importer.api_key
    )
    assert code == 0, output
    assert "4 entries: 4 submitted" in output
    after = snapshot(fresh_server, importer, collaboration)
    for model in before.values():  # the importer owns the copies
        for version in model["versions"].values():
            version["info"]["submitted_by"] = importer.username
    assert after == before  # same model ids, versions, checksums, metadata, links, file bytes

    # importing again changes nothing; exporting the copy gives the same tree
    code, output = cli(
        "import", str(ours), "--server", fresh_server.url, "--api-key", importer.api_key
    )
    assert code == 0, output
    assert "4 entries: 4 unchanged" in output
    again = tmp_path / "again"
    code, output = cli(
        "export", str(again), "--server", fresh_server.url, "--api-key", importer.api_key
    )
    assert code == 0, output
    assert tree(again / slug) == files


def test_export_without_access_and_import_dry_run(
    server: LiveServer, fresh_server: LiveServer, tmp_path: Path
) -> None:
    code, output = cli("export", str(tmp_path / "x"), "--server", "http://127.0.0.1:9")
    assert code == 1
    assert "http://127.0.0.1:9" in output
    code, output = cli("export", str(tmp_path / "x"), "--server", server.url, "--api-key", "bad")
    assert code == 1
    assert "HTTP 401" in output

    make_entry(tmp_path / "in" / "one", TWO_BIN, name=f"dry {uuid.uuid4().hex[:8]}")
    code, output = cli("import", str(tmp_path / "in"), "--server", fresh_server.url, "--dry-run")
    assert code == 0, output
    assert "would submit" in output
