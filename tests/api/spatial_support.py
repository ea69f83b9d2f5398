"""Builders shared by the spatial-data tests."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import text

from pyshepard.core.db import Database
from tests.api.references_support import unique
from tests.conftest import API, ApiUser

CONTAINERS = f"{API}/spatialDataContainers"


async def create_container(
    client: httpx.AsyncClient, user: ApiUser, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        CONTAINERS, json={"name": name or unique("spatial")}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(
    client: httpx.AsyncClient, user: ApiUser, container_id: int, points: list[dict[str, Any]]
) -> None:
    response = await client.post(
        f"{CONTAINERS}/{container_id}/payload", json=points, headers=user.headers
    )
    assert response.status_code == 204, response.text
    assert response.content == b""


async def query(
    client: httpx.AsyncClient, user: ApiUser, container_id: int, **params: Any
) -> httpx.Response:
    """GET the payload; dict/list parameters are sent as JSON strings, as clients do."""
    encoded = {
        key: json.dumps(value) if isinstance(value, (dict, list)) else value
        for key, value in params.items()
    }
    return await client.get(
        f"{CONTAINERS}/{container_id}/payload", params=encoded, headers=user.headers
    )


async def points_of(
    client: httpx.AsyncClient, user: ApiUser, container_id: int, **params: Any
) -> list[dict[str, Any]]:
    response = await query(client, user, container_id, **params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def stored_points(db: Database, container_id: int) -> int:
    """Rows of the container in the points table (on SQLite: and in its R*Tree, which exists
    exactly while the container has points)."""
    async with db.sessions() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM spatial_points WHERE container_id = :id"),
            {"id": container_id},
        )
        if session.get_bind().dialect.name == "sqlite":
            tree = f"spatial_rtree_{int(container_id)}"
            exists = await session.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = :name"), {"name": tree}
            )
            indexed = await session.scalar(text(f"SELECT count(*) FROM {tree}")) if exists else 0  # noqa: S608
            assert indexed == count, "R*Tree and points table disagree"
        return int(count or 0)


def diagonal(count: int = 10) -> list[dict[str, Any]]:
    """SpatialDataIT's points: i at (10i, 10i, 10i), timestamp i."""
    return [
        {
            "timestamp": index,
            "x": index * 10.0,
            "y": index * 10.0,
            "z": index * 10.0,
            "measurements": {"a_measurement": index},
            "metadata": {"a_meta_data": f"metadata_{index}"},
        }
        for index in range(count)
    ]
