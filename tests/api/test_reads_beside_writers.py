"""SQLite: GET requests read in WAL snapshots instead of taking the write lock, so a long write
elsewhere (a CSV import, a 100 000-point ingest, another process) does not hold them up."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from pyshepard.core.config import Settings
from tests.api.timeseries_support import CONTAINERS, create_container, post_points
from tests.conftest import ApiUser


@contextmanager
def _write_lock_held(database_url: str) -> Iterator[None]:
    """Another connection to the test database holds SQLite's write lock meanwhile."""
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


async def test_reads_answer_while_another_connection_writes(
    client: httpx.AsyncClient, user: ApiUser, settings: Settings
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never wait for writers")
    container = await create_container(client, user)
    points = [{"timestamp": 1, "value": 1.5}]
    assert (await post_points(client, user, container["id"], points)).status_code == 201
    url = f"{CONTAINERS}/{container['id']}"
    with _write_lock_held(settings.database_url):
        # while GETs took the write lock, each waited out the 30 s busy timeout here
        answered = await asyncio.wait_for(client.get(url, headers=user.headers), timeout=10)
        listed = await asyncio.wait_for(
            client.get(f"{url}/timeseries", headers=user.headers), timeout=10
        )
    assert answered.status_code == 200
    assert answered.json()["id"] == container["id"]
    assert [channel["field"] for channel in listed.json()] == ["field"]
