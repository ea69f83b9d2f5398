"""`pyshepard registry submit` against real servers (uvicorn on loopback): one entry folder is
submitted whatever its local status; `--wait` follows the server's validation (embedded worker)
to its decision; every error exits non-zero with the server's message and stores nothing."""

from __future__ import annotations

import re
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
from tests.registry.test_models import INVALID_REASONS
from tests.registry_cli.conftest import LiveServer, serve_fresh

TWO_BIN = MODELS / "pyhf" / "2-bin_1-channel.json"
DUPLICATE_CHANNELS = MODELS / "pyhf" / "invalid" / "model_duplicate_channels.json"


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["registry", "submit", *args], env=env)
    return result.exit_code, result.output


def printed(output: str) -> dict[str, str]:
    """The `key: value` lines the command prints."""
    return {
        match[1]: match[2] for match in re.finditer(r"^([a-z_ A-Z]+): (.+)$", output, re.MULTILINE)
    }


@pytest.fixture(scope="module")
def validating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on its own database whose embedded worker runs the validation jobs."""
    yield from serve_fresh(
        tmp_path_factory.mktemp("server-validating"),
        {"PYSHEPARD_EMBEDDED_WORKER": "true"},
    )


def entry(folder: Path, model: Path = TWO_BIN, **fields: Any) -> Path:
    reference = README_LOGPDF["pyhf/2-bin_1-channel.json"]
    points = [logpdf_point(reference)] if model == TWO_BIN else None
    return make_entry(
        folder,
        model,
        reference_points=points,
        **({"name": f"submit {uuid.uuid4().hex[:8]}", "collaboration": "submit tests"} | fields),
    )


def fetch(server: LiveServer, user: ApiUser, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=user.headers, timeout=30)


async def test_submit_then_wait_until_awaiting_review(
    validating_server: LiveServer, tmp_path: Path
) -> None:
    owner = await validating_server.user()
    folder = entry(tmp_path / "two-bin", validation_status="approved")  # local status ignored
    code, output = cli(
        str(folder),
        "--server",
        validating_server.url,
        "--wait",
        "--timeout",
        "240",
        "--interval",
        "0.5",
        env={"PYSHEPARD_API_KEY": owner.api_key},
    )
    assert code == 0, output
    lines = printed(output)
    model_id = lines["model_id"]
    assert lines["version"] == "1.0.0"
    assert lines["status"] == "submitted"
    assert lines["status URL"] == f"{validating_server.url}/api/models/{model_id}"
    assert lines["final status"] == "awaiting_review"
    stored = fetch(validating_server, owner, f"/api/models/{model_id}").json()
    assert stored["validation_status"] == "awaiting_review"
    assert stored["owner"] == owner.username
    assert stored["validation"]["checks"]["failed"] == 0


async def test_wait_on_a_defective_model_prints_the_failed_checks(
    validating_server: LiveServer, tmp_path: Path
) -> None:
    owner = await validating_server.user()
    folder = entry(tmp_path / "bad", DUPLICATE_CHANNELS)
    code, output = cli(
        str(folder / "entry.json"),
        "--server",
        validating_server.url,
        "--api-key",
        owner.api_key,
        "--wait",
        "--timeout",
        "240",
        "--interval",
        "0.5",
    )
    assert code == 1, output
    assert printed(output)["final status"] == "failed"
    assert "integrity.schema: " in output
    assert INVALID_REASONS[DUPLICATE_CHANNELS.name] in output


async def test_submit_without_wait_and_a_second_version(server: LiveServer, tmp_path: Path) -> None:
    owner = await server.user()
    first = entry(tmp_path / "v1")
    code, output = cli(str(first), "--server", server.url, "--api-key", owner.api_key)
    assert code == 0, output
    model_id = printed(output)["model_id"]
    assert printed(output)["status"] == "submitted"
    assert "final status" not in output

    # the same concept (name + collaboration) with a new version: the same model_id
    name = fetch(server, owner, f"/api/models/{model_id}").json()["name"]
    second = make_entry(
        tmp_path / "v2", TWO_BIN, name=name, collaboration="submit tests", version="1.1.0"
    )
    code, output = cli(str(second), "--server", server.url, "--api-key", owner.api_key)
    assert code == 0, output
    assert printed(output)["model_id"] == model_id
    assert printed(output)["version"] == "1.1.0"
    versions = fetch(server, owner, f"/api/models/{model_id}/versions").json()
    assert {v["version"] for v in versions} == {"1.0.0", "1.1.0"}

    # a duplicate version: the server's 409 message, exit 1, nothing added
    code, output = cli(str(second), "--server", server.url, "--api-key", owner.api_key)
    assert code == 1
    assert "HTTP 409" in output
    assert f"Version 1.1.0 of model {model_id} exists already" in output
    assert len(fetch(server, owner, f"/api/models/{model_id}/versions").json()) == 2


async def test_wait_times_out_when_nothing_validates(server: LiveServer, tmp_path: Path) -> None:
    """The session server has no worker: the version stays `submitted`."""
    owner = await server.user()
    folder = entry(tmp_path / "pending")
    code, output = cli(
        str(folder),
        "--server",
        server.url,
        "--api-key",
        owner.api_key,
        "--wait",
        "--timeout",
        "1",
        "--interval",
        "0.2",
    )
    assert code == 3, output
    model_id = printed(output)["model_id"]
    assert f"model {model_id} version 1.0.0 is still submitted after 1 s" in output

    # an older version than the newest: GET /api/models/{id} shows 1.0.0, so the wait reads
    # the submitted version's status from /versions
    name = fetch(server, owner, f"/api/models/{model_id}").json()["name"]
    older = make_entry(
        tmp_path / "older", TWO_BIN, name=name, collaboration="submit tests", version="0.9.0"
    )
    args = ["--api-key", owner.api_key, "--wait", "--timeout", "1", "--interval", "0.2"]
    code, output = cli(str(older), "--server", server.url, *args)
    assert code == 3, output
    assert printed(output)["model_id"] == model_id
    assert printed(output)["version"] == "0.9.0"
    assert f"model {model_id} version 0.9.0 is still submitted after 1 s" in output


async def test_server_refusals_exit_1_with_the_message(server: LiveServer, tmp_path: Path) -> None:
    owner = await server.user()
    collaboration = f"refused-{uuid.uuid4().hex[:8]}"
    unknown = entry(tmp_path / "chem", domain="chemistry", collaboration=collaboration)
    code, output = cli(str(unknown), "--server", server.url, "--api-key", owner.api_key)
    assert code == 1
    assert "HTTP 400" in output
    assert "unknown domain 'chemistry'" in output

    code, output = cli(str(unknown), "--server", server.url, "--api-key", "not-a-key")
    assert code == 1
    assert "HTTP 401" in output

    listed = fetch(server, owner, "/api/models?size=200").json()
    assert collaboration not in {e["collaboration"] for e in listed}


def test_local_problems_are_reported_before_any_request(tmp_path: Path) -> None:
    # no server listens on port 9 (discard): any request would fail with a transport error
    nowhere = "http://127.0.0.1:9"
    folder = entry(tmp_path / "models" / "edited")
    with (folder / "model.json").open("a") as stream:
        stream.write("\n ")
    code, output = cli(str(folder), "--server", nowhere, "--api-key", "k")
    assert code == 1
    assert "cannot submit" in output
    assert "entry.json declares" in output

    entry(tmp_path / "models" / "another")
    code, output = cli(str(tmp_path / "models"), "--server", nowhere, "--api-key", "k")
    assert code == 2
    assert "holds 2 entries" in output

    code, output = cli(str(tmp_path), "--server", nowhere, "--api-key", "k", "--wait")
    assert code == 2
    assert "holds 2 entries" in output

    (tmp_path / "empty").mkdir()
    code, output = cli(str(tmp_path / "empty"), "--server", nowhere, "--api-key", "k")
    assert code == 2
    assert "no entry.json found" in output

    code, output = cli(str(folder), "--server", nowhere, env={"PYSHEPARD_API_KEY": ""})
    assert code == 2
    assert "an API key is needed" in output


def test_unreachable_server_exits_1(tmp_path: Path) -> None:
    folder = entry(tmp_path / "ok")
    code, output = cli(str(folder), "--server", "http://127.0.0.1:9", "--api-key", "k")
    assert code == 1
    assert "submission failed: POST http://127.0.0.1:9/api/models" in output
