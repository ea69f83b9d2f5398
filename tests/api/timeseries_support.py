"""Builders shared by the timeseries API tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from pyshepard.core.db import Database
from pyshepard.data.timeseries.models import POINT_TABLES, Channel
from tests.conftest import API, SHARED, ApiUser

CONTAINERS = f"{API}/timeseriesContainers"
TEST_DATA = SHARED / "upstream" / "test-data"
TUPLE = {
    "measurement": "temperature",
    "device": "device",
    "location": "location",
    "symbolicName": "symbolicName",
    "field": "field",
}
JAN_1_2024 = 1_704_067_200_000_000_000  # InstantHelper.fromGermanDate("01.01.2024"), in ns
SECOND = 1_000_000_000


def query_of(timeseries: dict[str, str], start: int, end: int, **extra: Any) -> dict[str, Any]:
    """The channel's query parameters (snake_case `symbolic_name`, as upstream)."""
    return {
        "measurement": timeseries["measurement"],
        "device": timeseries["device"],
        "location": timeseries["location"],
        "symbolic_name": timeseries["symbolicName"],
        "field": timeseries["field"],
        "start": start,
        "end": end,
        **extra,
    }


async def create_container(client: httpx.AsyncClient, owner: ApiUser) -> dict[str, Any]:
    response = await client.post(
        CONTAINERS, json={"name": f"ts-{uuid.uuid4().hex[:8]}"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def post_points(
    client: httpx.AsyncClient,
    user: ApiUser,
    container_id: int,
    points: list[dict[str, Any]],
    timeseries: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{CONTAINERS}/{container_id}/payload",
        json={"timeseries": timeseries or TUPLE, "points": points},
        headers=user.headers,
    )


async def get_points(
    client: httpx.AsyncClient,
    user: ApiUser,
    container_id: int,
    start: int,
    end: int,
    *,
    timeseries: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    return await client.get(
        f"{CONTAINERS}/{container_id}/payload",
        params=query_of(timeseries or TUPLE, start, end, **extra),
        headers=user.headers,
    )


async def share_container(
    client: httpx.AsyncClient,
    owner: ApiUser,
    container_id: int,
    *,
    readers: tuple[ApiUser, ...] = (),
    writers: tuple[ApiUser, ...] = (),
) -> None:
    response = await client.put(
        f"{CONTAINERS}/{container_id}/permissions",
        json={
            "owner": owner.username,
            "permissionType": "Private",
            "reader": [user.username for user in readers],
            "writer": [user.username for user in writers],
            "readerGroupIds": [],
            "writerGroupIds": [],
            "manager": [],
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text


async def stored_state(db: Database, container_id: int) -> tuple[int, int]:
    """(channels, points) stored for the container, straight from the tables."""
    async with db.sessions() as session:
        ids = list(
            (
                await session.scalars(
                    select(Channel.id).where(Channel.container_id == container_id)
                )
            ).all()
        )
        points = 0
        for table in POINT_TABLES.values():
            points += int(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.c.timeseries_id.in_(ids))
                )
                or 0
            )
    return len(ids), points
