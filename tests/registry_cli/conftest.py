"""Live registry servers for the CLI's end-to-end tests: real uvicorn processes on loopback,
one on the session database and one on a fresh, empty database (import target)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from pyshepard.core.blobs import open_blob_store
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, create_engine
from pyshepard.core.migrate import upgrade
from tests.conftest import ApiUser, _admin_execute, _create_postgis, provision_user


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    data_dir: Path

    async def user(self) -> ApiUser:
        """A new account with a real API key, written straight into this server's database."""
        settings = Settings(data_dir=self.data_dir, database_url=self.database_url)
        database = Database(
            settings=settings,
            engine=create_engine(settings.resolved_database_url),
            blobs=open_blob_store(settings.resolved_blob_url),
        )
        try:
            return await provision_user(database)
        finally:
            await database.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(
    database_url: str, data_dir: Path, env_overrides: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    port = _free_port()
    env = {
        **os.environ,
        "PYSHEPARD_DATABASE_URL": database_url,
        "PYSHEPARD_DATA_DIR": str(data_dir),
        "PYSHEPARD_EMBEDDED_WORKER": "false",  # no validation runs: these tests move files
        **(env_overrides or {}),
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
        deadline = time.monotonic() + 180  # imports are slow on a busy 2-core machine
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/shepard/api/healthz", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        yield LiveServer(url=base, database_url=database_url, data_dir=data_dir)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on the session's database."""
    yield from _serve(database_url, tmp_path_factory.mktemp("server-a"))


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on a new, empty (migrated) database with its own blob store."""
    yield from serve_fresh(tmp_path_factory.mktemp("server-b"))


def serve_fresh(
    data_dir: Path, env_overrides: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """A server (environment `env_overrides` on top) on a new, migrated database in `data_dir`
    (or on the test PostgreSQL server), dropped afterwards."""
    base = os.environ.get("PYSHEPARD_TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{data_dir / 'fresh.db'}"
        upgrade(url)
        yield from _serve(url, data_dir, env_overrides)
        return
    name = f"{make_url(base).database}_fresh_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin_execute(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_create_postgis(url))
        upgrade(url)
        yield from _serve(url, data_dir, env_overrides)
    finally:
        asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
