"""Builders shared by the reference API tests: collections, data objects, permissions, rows."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from pyshepard.context.references.models import Reference
from pyshepard.core.db import Database
from tests.conftest import API, ApiUser

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")
BASIC_FIELDS = {
    "id",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
    "name",
    "dataObjectId",
    "type",
}
MISSING_ID = 987_654_321_012  # far beyond any id a test run allocates
FORBIDDEN = "The requested action is forbidden by the permission policies"
NO_ASSOCIATION = "ID ERROR - There is no association between dataObject and reference"
VERSION_UID = "0b7a8c5e-4d2f-4e5a-9c1b-2f3e4d5a6b7c"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def create_collection(
    client: httpx.AsyncClient, owner: ApiUser, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/collections", json={"name": name or unique("col")}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_data_object(
    client: httpx.AsyncClient, owner: ApiUser, collection_id: int, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/collections/{collection_id}/dataObjects",
        json={"name": name or unique("do")},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def share(
    client: httpx.AsyncClient,
    owner: ApiUser,
    collection_id: int,
    *,
    permission_type: str = "Private",
    readers: tuple[ApiUser, ...] = (),
    writers: tuple[ApiUser, ...] = (),
) -> None:
    response = await client.put(
        f"{API}/collections/{collection_id}/permissions",
        json={
            "owner": owner.username,
            "permissionType": permission_type,
            "reader": [user.username for user in readers],
            "writer": [user.username for user in writers],
            "readerGroupIds": [],
            "writerGroupIds": [],
            "manager": [],
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text


def data_object_url(collection_id: int, data_object_id: int) -> str:
    return f"{API}/collections/{collection_id}/dataObjects/{data_object_id}"


async def post_reference(
    client: httpx.AsyncClient, user: ApiUser, url: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def reference_rows(db: Database, data_object_id: int) -> list[Reference]:
    """Every stored row of the data object, deleted ones included, by id."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(Reference)
            .where(Reference.data_object_id == data_object_id)
            .order_by(Reference.id)
        )
        return list(rows.all())


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    if message is not None:
        assert response.json()["message"] == message
