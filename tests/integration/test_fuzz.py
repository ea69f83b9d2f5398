"""Schemathesis fuzzes our own OpenAPI document against a real server: no 5xx, ever."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pyshepard.core.db import Database
from tests.conftest import provision_user

FUZZED_PATHS = (
    r"^/shepard/api/(collections|users|userGroups|search/users|search/userGroups"
    r"|search/collections|labJournalEntries)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PYSHEPARD_DATABASE_URL": database_url,
        "PYSHEPARD_DATA_DIR": str(tmp_path),
        "PYSHEPARD_EMBEDDED_WORKER": "false",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "pyshepard.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # imports are slow on a busy 2-core CI machine
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/shepard/api/healthz", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        # build the (cached) OpenAPI document once, so schemathesis' own load is quick
        httpx.get(f"{base}/shepard/doc/openapi.json", timeout=180).raise_for_status()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
async def test_no_server_errors_under_fuzzing(
    live_server: str, db: Database, tmp_path: Path
) -> None:
    schemathesis = shutil.which("schemathesis") or shutil.which("st")
    if schemathesis is None:
        pytest.fail("schemathesis is a test dependency; install '.[test]'")
    user = await provision_user(db)
    result = subprocess.run(  # noqa: S603, ASYNC221 - a blocking child process is the point here
        [
            schemathesis,
            "run",
            f"{live_server}/shepard/doc/openapi.json",
            "--url",
            live_server,
            "--checks",
            "not_a_server_error",
            "--header",
            f"X-API-KEY:{user.api_key}",
            "--include-path-regex",
            FUZZED_PATHS,
            "--max-examples",
            "12",
            "--seed",
            "20261122",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
