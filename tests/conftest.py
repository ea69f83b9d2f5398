"""Test fixtures: a migrated database per test session (SQLite by default, PostgreSQL when
PYSHEPARD_TEST_DATABASE_URL is set), the ASGI app, and users with real API keys."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from pyshepard.app import create_app
from pyshepard.auth.apikeys import service as apikeys
from pyshepard.auth.users import service as users
from pyshepard.core.config import Settings, to_async_url
from pyshepard.core.db import Database
from pyshepard.core.identity import Principal
from pyshepard.core.migrate import upgrade
from tests.s3_support import S3Endpoint, moto_server

SHARED = Path(__file__).resolve().parents[2] / "shared"
API = "/shepard/api"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _admin_execute(server_url: str, *statements: str) -> None:
    url = make_url(to_async_url(server_url)).set(database="postgres")
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for this test session (and xdist worker)."""
    base = os.environ.get("PYSHEPARD_TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp("db") / "pyshepard.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"{make_url(base).database}_{_worker()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin_execute(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_create_postgis(url))
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database (not migrated) for migration tests, dropped afterwards."""
    base = os.environ.get("PYSHEPARD_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"{make_url(base).database}_scratch_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin_execute(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _create_postgis(url: str) -> None:
    engine = create_async_engine(to_async_url(url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        available = await conn.scalar(
            text("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
        )
        if available:
            await conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    await engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data_dir, database_url=database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    yield application
    await application.state.db.dispose()
    await application.state.http.aclose()


@pytest.fixture(scope="session")
def db(app: object) -> Database:
    database: Database = app.state.db  # type: ignore[attr-defined]
    return database


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def private_app(settings: Settings) -> AsyncIterator[Any]:
    """The server with loopback callbacks and webhooks allowed
    (subscription_allow_private_callbacks), on the same database as `app`."""
    application = create_app(
        settings.model_copy(update={"subscription_allow_private_callbacks": True})
    )
    yield application
    await application.state.db.dispose()
    await application.state.http.aclose()


@pytest.fixture
async def private_client(private_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=private_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass(frozen=True)
class ApiUser:
    username: str
    api_key: str
    key_uid: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.api_key}


SYSTEM = Principal(username="system", via="system")


async def provision_user(db: Database, username: str | None = None, **profile: str) -> ApiUser:
    """Create a user and mint an API key for them, as `pyshepard user create` + `apikey create`."""
    name = username or f"user_{uuid.uuid4().hex[:10]}"

    async def work(uow):  # type: ignore[no-untyped-def]
        await users.create_user(uow, name, **profile)
        issued = await apikeys.create_api_key(
            uow, SYSTEM, name, name="test", issuer="http://testserver"
        )
        return ApiUser(username=name, api_key=issued.jws, key_uid=issued.key.uid)

    result: ApiUser = await db.run(work)
    return result


@pytest.fixture
def make_user(db: Database) -> Callable[..., Awaitable[ApiUser]]:
    async def factory(username: str | None = None, **profile: str) -> ApiUser:
        return await provision_user(db, username, **profile)

    return factory


@pytest.fixture
async def user(make_user: Callable[..., Awaitable[ApiUser]]) -> ApiUser:
    return await make_user(first_name="Test", last_name="User", email="test@example.org")


@pytest.fixture
async def other_user(make_user: Callable[..., Awaitable[ApiUser]]) -> ApiUser:
    return await make_user()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Endpoint]:
    """A real S3 endpoint on loopback (moto's server in a subprocess), shared by the session."""
    with moto_server() as endpoint:
        yield endpoint
