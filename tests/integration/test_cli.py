"""The `pyshepard` command: in-process through typer's CliRunner on the test database, and as
real processes (`pyshepard serve` with zero configuration, `pyshepard worker`)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner, Result

from pyshepard.auth.users import service as users
from pyshepard.auth.users.models import User
from pyshepard.cli.main import app
from pyshepard.cli.serve import banner
from pyshepard.core.config import Settings
from pyshepard.core.db import Database, UnitOfWork
from tests.conftest import API

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    """The CLI pointed at this session's database (SQLite or PostgreSQL) and a temp data dir."""
    for name in list(os.environ):
        if name.startswith(("PYSHEPARD_", "OIDC_")) and name != "PYSHEPARD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYSHEPARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PYSHEPARD_DATABASE_URL", database_url)
    return tmp_path / "data"


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def unique(prefix: str = "cli") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def cli(*args: str) -> Result:
    """Run a command from an async test (the CLI runs its own event loop)."""
    return await asyncio.to_thread(invoke, *args)


async def find(db: Database, username: str) -> User | None:
    async def work(uow: UnitOfWork) -> User | None:
        return await users.find_user(uow, username)

    found: User | None = await db.run(work)
    return found


def test_help_names_every_command() -> None:
    top = ok("--help")
    for command in ("serve", "worker", "db", "user", "apikey"):
        assert command in top
    assert {"upgrade", "downgrade", "current"} <= set(ok("db", "--help").split())
    assert {"create", "list", "delete"} <= set(ok("user", "--help").split())
    assert {"create", "list", "revoke"} <= set(ok("apikey", "--help").split())


def test_version() -> None:
    from pyshepard import __version__  # noqa: PLC0415 - only this test needs it

    assert ok("--version").strip() == __version__


async def test_user_create_list_delete(cli_env: Path, db: Database) -> None:
    name = unique()
    result = await cli(
        "user", "create", name, "--first-name", "Ada", "--last-name", "Lovelace",
        "--email", "ada@example.org", "--role", "admin", "--role", "reviewer",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    stored = await find(db, name)
    assert stored is not None
    assert (stored.first_name, stored.last_name, stored.email) == (
        "Ada",
        "Lovelace",
        "ada@example.org",
    )
    assert sorted(stored.roles) == ["admin", "reviewer"]
    assert stored.password_hash is None

    listing = (await cli("user", "list")).stdout
    line = next(row for row in listing.splitlines() if row.startswith(name))
    assert "Ada Lovelace" in line
    assert "ada@example.org" in line
    assert "admin,reviewer" in line

    result = await cli("user", "delete", name)
    assert result.exit_code == 0
    assert await find(db, name) is None
    assert name not in (await cli("user", "list")).stdout


async def test_user_create_with_password(cli_env: Path, db: Database) -> None:
    name = unique()
    assert (await cli("user", "create", name, "--password", "s3cret!")).exit_code == 0

    async def check(uow: UnitOfWork) -> tuple[bool, bool]:
        good = await users.verify_password(uow, name, "s3cret!")
        bad = await users.verify_password(uow, name, "wrong")
        return good is not None, bad is not None

    assert await db.run(check) == (True, False)


async def test_user_errors_exit_non_zero_and_change_nothing(cli_env: Path, db: Database) -> None:
    name = unique()
    assert (await cli("user", "create", name, "--first-name", "First")).exit_code == 0
    duplicate = await cli("user", "create", name, "--first-name", "Second")
    assert duplicate.exit_code == 1
    assert f"User {name} already exists" in duplicate.stderr
    assert duplicate.stdout == ""
    stored = await find(db, name)
    assert stored is not None
    assert stored.first_name == "First"

    bad_role = await cli("user", "create", unique(), "--role", "overlord")
    assert bad_role.exit_code == 2
    missing = await cli("user", "delete", unique("ghost"))
    assert missing.exit_code == 1
    assert "not found" in missing.stderr
    blank = await cli("user", "create", "has space")
    assert blank.exit_code == 1
    assert await find(db, "has space") is None


async def test_apikey_create_prints_only_the_key_and_it_works(
    cli_env: Path, client: httpx.AsyncClient
) -> None:
    name = unique()
    assert (await cli("user", "create", name)).exit_code == 0
    result = await cli("apikey", "create", name, "--name", "ci-script")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    key = lines[0]
    claims = jwt.decode(key, options={"verify_signature": False})
    assert claims["sub"] == name
    assert "exp" not in claims

    response = await client.get(f"{API}/users", headers={"X-API-KEY": key})
    assert response.status_code == 200
    assert response.json()["username"] == name
    assert response.json()["apiKeyIds"] == [claims["jti"]]

    listing = (await cli("apikey", "list", name)).stdout
    row = next(line for line in listing.splitlines() if line.startswith(claims["jti"]))
    assert "ci-script" in row
    assert row.rstrip().endswith("never")
    assert key not in listing  # the key itself is shown once only


async def test_apikey_expiry_and_revoke(cli_env: Path, client: httpx.AsyncClient) -> None:
    name = unique()
    assert (await cli("user", "create", name)).exit_code == 0
    key = (await cli("apikey", "create", name, "--expires-days", "7")).stdout.strip()
    claims = jwt.decode(key, options={"verify_signature": False})
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
    keep = (await cli("apikey", "create", name, "--name", "keep")).stdout.strip()
    assert (await client.get(f"{API}/users", headers={"X-API-KEY": key})).status_code == 200

    revoked = await cli("apikey", "revoke", name, claims["jti"])
    assert revoked.exit_code == 0, revoked.stderr
    response = await client.get(f"{API}/users", headers={"X-API-KEY": key})
    assert response.status_code == 401
    assert (await client.get(f"{API}/users", headers={"X-API-KEY": keep})).status_code == 200
    assert claims["jti"] not in (await cli("apikey", "list", name)).stdout

    again = await cli("apikey", "revoke", name, claims["jti"])
    assert again.exit_code == 1
    assert "ApiKey does not exist" in again.stderr


async def test_apikey_errors(cli_env: Path) -> None:
    ghost = unique("ghost")
    result = await cli("apikey", "create", ghost)
    assert result.exit_code == 1
    assert result.stdout == ""  # a script capturing stdout gets no bogus key
    assert f"User with name {ghost} not found" in result.stderr
    assert (await cli("apikey", "list", ghost)).exit_code == 1
    name = unique()
    assert (await cli("user", "create", name)).exit_code == 0
    assert (await cli("apikey", "create", name, "--expires-days", "0")).exit_code == 2
    assert (await cli("apikey", "create", name, "--name", " ")).exit_code == 1


async def test_deleting_a_user_stops_their_cli_keys(
    cli_env: Path, client: httpx.AsyncClient
) -> None:
    name = unique()
    assert (await cli("user", "create", name)).exit_code == 0
    key = (await cli("apikey", "create", name)).stdout.strip()
    assert (await client.get(f"{API}/users", headers={"X-API-KEY": key})).status_code == 200
    assert (await cli("user", "delete", name)).exit_code == 0
    assert (await client.get(f"{API}/users", headers={"X-API-KEY": key})).status_code == 401


def test_db_upgrade_current_downgrade(
    monkeypatch: pytest.MonkeyPatch, scratch_database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYSHEPARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PYSHEPARD_DATABASE_URL", scratch_database_url)
    assert ok("db", "current").strip() == ""
    ok("db", "upgrade")
    assert ok("db", "current").strip().endswith("(head)")
    ok("db", "downgrade", "base")
    assert ok("db", "current").strip() == ""
    ok("db", "upgrade", "head")
    assert "(head)" in ok("db", "current")
    # admin commands work on the migrated database
    ok("user", "create", "after_migration")
    assert "after_migration" in ok("user", "list")


def test_commands_migrate_a_fresh_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Zero configuration: `user create` before any `serve` creates the SQLite database."""
    for name in list(os.environ):
        if name.startswith("PYSHEPARD_") and name != "PYSHEPARD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    data_dir = tmp_path / "fresh" / "nested"
    monkeypatch.setenv("PYSHEPARD_DATA_DIR", str(data_dir))
    ok("user", "create", "zero")
    assert (data_dir / "pyshepard.db").is_file()
    assert "(head)" in ok("db", "current")
    assert ok("apikey", "create", "zero").count(".") == 2


# --- real processes ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _command() -> list[str]:
    script = Path(sys.executable).with_name("pyshepard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pyshepard.cli"]


def _clean_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYSHEPARD_", "OIDC_"))
    }
    env["PYSHEPARD_DATA_DIR"] = str(data_dir)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own entry point
        [*_command(), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return process.returncode, output


@pytest.mark.slow
def test_serve_zero_configuration_end_to_end(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(tmp_path / "home")
    server = subprocess.Popen(  # noqa: S603 - our own entry point
        [*_command(), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # slow when the machine is busy
        health = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"{base}{API}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert server.poll() is None, "server exited early"
        assert health is not None
        assert health.status_code == 200
        assert health.json()["status"] == "UP"

        created = _run(env, "user", "create", "alice", "--first-name", "Alice")
        assert created.returncode == 0, created.stderr
        minted = _run(env, "apikey", "create", "alice")
        assert minted.returncode == 0, minted.stderr
        key = minted.stdout.strip()
        assert len(minted.stdout.splitlines()) == 1

        headers = {"X-API-KEY": key}
        me = httpx.get(f"{base}{API}/users", headers=headers, timeout=60)
        assert me.status_code == 200
        assert me.json()["username"] == "alice"
        assert me.json()["firstName"] == "Alice"
        assert httpx.get(f"{base}{API}/users", timeout=60).status_code == 401
        assert httpx.get(f"{base}/shepard/doc/openapi.json", timeout=60).status_code == 200
        assert httpx.get(f"{base}/shepard/doc/swagger-ui", timeout=60).status_code == 200
        assert (tmp_path / "home" / "pyshepard.db").is_file()
    finally:
        code, output = _stop(server)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert code in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
    for expected in (
        f"http://127.0.0.1:{port}/shepard/api",
        f"http://127.0.0.1:{port}/shepard/doc/swagger-ui",
        f"http://127.0.0.1:{port}/shepard/doc/openapi.json",
        "pyshepard apikey create",
        str(tmp_path / "home"),
    ):
        assert expected in output


@pytest.mark.slow
def test_worker_process_runs_until_sigterm(tmp_path: Path) -> None:
    env = _clean_env(tmp_path / "home")
    worker = subprocess.Popen(  # noqa: S603 - our own entry point
        [*_command(), "worker", "--concurrency", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert worker.stdout is not None
        for line in worker.stdout:
            lines.append(line)
            if "started (concurrency 2)" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(timeout=120), "".join(lines)
        time.sleep(0.5)
        assert worker.poll() is None, "".join(lines)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        reader.join(timeout=60)
    assert code == 0, "".join(lines)
    assert any("stopped" in line for line in lines), "".join(lines)
    assert "(head)" in _run(env, "db", "current").stdout


def _wait_healthy(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120  # slow when the machine is busy
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}{API}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become healthy")


def _children(pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603 - fixed arguments
        ["ps", "-o", "pid=", "--ppid", str(pid)],  # noqa: S607 - procps from the system
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line) for line in found.stdout.split()]


@pytest.mark.slow
def test_serve_with_workers_shares_the_port_and_notices_a_cli_revocation(
    tmp_path: Path,
) -> None:
    """Several worker processes on one port; a key revoked by another process (the CLI)
    stops working on every worker within `api_key_recheck_seconds`."""
    port = _free_port()
    env = _clean_env(tmp_path / "home") | {"PYSHEPARD_API_KEY_RECHECK_SECONDS": "0.5"}
    assert _run(env, "user", "create", "bob").returncode == 0
    minted = _run(env, "apikey", "create", "bob")
    assert minted.returncode == 0, minted.stderr
    key = minted.stdout.strip()
    server = subprocess.Popen(  # noqa: S603 - our own entry point
        [*_command(), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server)
        assert len(_children(server.pid)) >= 2
        headers = {"X-API-KEY": key}
        # new connections each time: the kernel spreads them over both workers
        for _ in range(20):
            response = httpx.get(f"{base}{API}/users", headers=headers, timeout=60)
            assert response.status_code == 200
            assert response.json()["username"] == "bob"
        uid = jwt.decode(key, options={"verify_signature": False})["jti"]
        revoked = _run(env, "apikey", "revoke", "bob", uid)
        assert revoked.returncode == 0, revoked.stderr
        time.sleep(0.6)
        for _ in range(20):
            response = httpx.get(f"{base}{API}/users", headers=headers, timeout=60)
            assert response.status_code == 401
    finally:
        code, output = _stop(server)
    assert code in {0, -signal.SIGTERM}, output


def test_the_banner_masks_s3_credentials(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        blob_url="s3://bucket/files?endpoint=http://127.0.0.1:9000&access_key=AKID&secret_key=S3CRET",
    )
    shown = banner(settings, "127.0.0.1", 8080)
    assert "S3CRET" not in shown
    assert "AKID" not in shown
    assert "s3://bucket/files?endpoint=http://127.0.0.1:9000&access_key=***&secret_key=***" in shown
