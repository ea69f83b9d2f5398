"""`pyshepard registry sync` against a real server (uvicorn on loopback, the real /api/models):
approved entries are submitted once, identical ones skipped, changed bytes under an existing
version reported as conflicts, and every failure gives a non-zero exit with nothing stored."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pyshepard.cli.main import app
from tests.conftest import ApiUser
from tests.registry.builders import MODELS, README_LOGPDF, logpdf_point, make_entry
from tests.registry_cli.conftest import LiveServer

TWO_BIN = MODELS / "pyhf" / "2-bin_1-channel.json"
XMLIMPORT = MODELS / "pyhf" / "xmlimport_input_bkg.json"


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["registry", *args], env=env)
    return result.exit_code, result.output


def table(output: str) -> dict[str, list[str]]:
    """Rows of the printed table by entry folder: [version, action, ...]."""
    rows = {}
    for line in output.splitlines()[1:]:
        cells = [cell for cell in line.split("  ") if cell.strip()]
        if len(cells) >= 3 and not line.startswith(" "):
            rows[cells[0].strip()] = [cell.strip() for cell in cells[1:]]
    return rows


def models_of(server: LiveServer, user: ApiUser, collaboration: str) -> dict[str, Any]:
    """name -> {model_id, versions: {version: checksum}} of one collaboration, as the owner sees."""
    found: dict[str, Any] = {}
    entries = httpx.get(
        f"{server.url}/api/models",
        params={"page": 0, "size": 200},
        headers=user.headers,
        timeout=30,
    ).json()
    for entry in entries:
        if entry["collaboration"] != collaboration:
            continue
        versions = httpx.get(
            f"{server.url}/api/models/{entry['model_id']}/versions",
            headers=user.headers,
            timeout=30,
        ).json()
        found[entry["name"]] = {
            "model_id": entry["model_id"],
            "versions": {v["version"]: v["checksum"] for v in versions},
        }
    return found


@pytest.fixture
async def owner(server: LiveServer) -> ApiUser:
    return await server.user()


@pytest.fixture
def local(tmp_path: Path) -> tuple[Path, str]:
    """A models/ folder: two approved versions of one concept, one unapproved entry."""
    collaboration = f"sync-{uuid.uuid4().hex[:8]}"
    models = tmp_path / "models"
    make_entry(
        models / "two-bin" / "1.0.0",
        TWO_BIN,
        name="Two bin",
        collaboration=collaboration,
        validation_status="approved",
        reference_points=[logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"])],
    )
    make_entry(
        models / "two-bin" / "1.1.0",
        XMLIMPORT,
        name="Two bin",
        version="1.1.0",
        collaboration=collaboration,
        validation_status="approved",
    )
    make_entry(models / "draft", XMLIMPORT, name="Draft", collaboration=collaboration)
    return models, collaboration


def test_dry_run_then_sync_then_nothing_to_do(
    server: LiveServer, owner: ApiUser, local: tuple[Path, str]
) -> None:
    models, collaboration = local
    key = ["--server", server.url, "--api-key", owner.api_key]

    code, output = cli("sync", str(models), *key, "--dry-run")
    assert code == 0, output
    rows = table(output)
    assert rows["two-bin/1.0.0"][:2] == ["1.0.0", "would submit"]
    assert rows["two-bin/1.1.0"][:2] == ["1.1.0", "would submit"]
    assert rows["draft"][:2] == ["1.0.0", "not approved"]
    assert "3 entries:" in output
    assert models_of(server, owner, collaboration) == {}  # a dry run stores nothing

    # the key may come from the environment
    code, output = cli(
        "sync", str(models), "--server", server.url, env={"PYSHEPARD_API_KEY": owner.api_key}
    )
    assert code == 0, output
    rows = table(output)
    assert rows["two-bin/1.0.0"][1] == "submitted"
    assert rows["two-bin/1.1.0"][1] == "submitted"
    assert rows["draft"][1] == "not approved"
    stored = models_of(server, owner, collaboration)
    assert set(stored) == {"Two bin"}  # the unapproved entry stayed local
    model_id = stored["Two bin"]["model_id"]
    assert stored["Two bin"]["versions"] == {
        "1.0.0": "sha256:" + hashlib.sha256(TWO_BIN.read_bytes()).hexdigest(),
        "1.1.0": "sha256:" + hashlib.sha256(XMLIMPORT.read_bytes()).hexdigest(),
    }
    assert rows["two-bin/1.0.0"][2] == model_id  # one concept, two versions
    assert rows["two-bin/1.1.0"][2] == model_id
    file = httpx.get(
        f"{server.url}/api/models/{model_id}/file",
        params={"version": "1.0.0"},
        headers=owner.headers,
        timeout=30,
    )
    assert file.content == TWO_BIN.read_bytes()
    reference = httpx.get(
        f"{server.url}/api/models/{model_id}/file",
        params={"version": "1.0.0", "part": "reference_points"},
        headers=owner.headers,
        timeout=30,
    )
    assert (
        reference.content == (models / "two-bin" / "1.0.0" / "reference_points.json").read_bytes()
    )

    code, output = cli("sync", str(models), *key)
    assert code == 0, output
    assert [row[1] for row in table(output).values()].count("unchanged") == 2
    assert models_of(server, owner, collaboration) == stored

    code, output = cli("sync", str(models), *key, "--all")
    assert code == 0, output
    assert table(output)["draft"][1] == "submitted"
    assert set(models_of(server, owner, collaboration)) == {"Two bin", "Draft"}


def test_changed_bytes_under_an_existing_version_is_a_conflict(
    server: LiveServer, owner: ApiUser, local: tuple[Path, str]
) -> None:
    models, collaboration = local
    key = ["--server", server.url, "--api-key", owner.api_key]
    assert cli("sync", str(models), *key)[0] == 0
    before = models_of(server, owner, collaboration)

    # same version 1.0.0, other bytes (with a consistent checksum in entry.json)
    folder = models / "two-bin" / "1.0.0"
    model = folder / "model.json"
    model.write_text(json.dumps(json.loads(model.read_text()), indent=4))
    entry = json.loads((folder / "entry.json").read_text())
    entry["checksum"] = "sha256:" + hashlib.sha256(model.read_bytes()).hexdigest()
    (folder / "entry.json").write_text(json.dumps(entry))

    code, output = cli("sync", str(models), *key)
    assert code == 1
    rows = table(output)
    assert rows["two-bin/1.0.0"][1] == "conflict"
    assert before["Two bin"]["versions"]["1.0.0"] in output
    assert rows["two-bin/1.1.0"][1] == "unchanged"
    assert models_of(server, owner, collaboration) == before


def test_broken_entries_and_errors_exit_non_zero(
    server: LiveServer, owner: ApiUser, local: tuple[Path, str], tmp_path: Path
) -> None:
    models, collaboration = local
    key = ["--server", server.url, "--api-key", owner.api_key]
    make_entry(
        models / "tampered",
        TWO_BIN,
        name="Tampered",
        collaboration=collaboration,
        validation_status="approved",
        checksum="sha256:" + "a" * 64,
    )
    make_entry(
        models / "bad-domain",
        TWO_BIN,
        name="Bad domain",
        collaboration=collaboration,
        validation_status="approved",
        domain="astrology",
    )
    (models / "broken").mkdir()
    (models / "broken" / "entry.json").write_text("{not json")

    code, output = cli("sync", str(models), *key)
    assert code == 1
    rows = table(output)
    assert rows["tampered"][1] == "error"
    assert "declares sha256:aaaa" in output
    assert rows["broken"][0] == "error"  # no version known: the action is the first cell
    assert "entry.json is not readable JSON" in output
    assert rows["bad-domain"][1] == "error"
    assert "HTTP 400" in output
    assert "unknown domain 'astrology'" in output
    assert rows["two-bin/1.0.0"][1] == "submitted"  # the good ones still go through
    assert set(models_of(server, owner, collaboration)) == {"Two bin"}

    # a key the server does not accept, no key at all, no server, no entries
    code, output = cli("sync", str(models), "--server", server.url, "--api-key", "nonsense")
    assert code == 1
    assert "HTTP 401" in output
    code, output = cli("sync", str(models), "--server", server.url, env={"PYSHEPARD_API_KEY": ""})
    assert code == 2
    assert "an API key is needed" in output
    code, output = cli("sync", str(models), "--server", "http://127.0.0.1:9", "--api-key", "k")
    assert code == 1
    assert table(output)["two-bin/1.0.0"][1] == "error"
    (tmp_path / "empty").mkdir()
    code, output = cli("sync", str(tmp_path / "empty"), *key)
    assert code == 2
    assert "no entry.json found" in output
