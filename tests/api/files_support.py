"""Builders shared by the file API tests: an app per blob backend, containers, uploads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from pyshepard.app import create_app
from pyshepard.core.blobs import BlobStore
from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from pyshepard.data.files.models import StoredFile
from tests.conftest import API, ApiUser
from tests.s3_support import S3Endpoint

CONTAINERS = f"{API}/fileContainers"
TEST_TXT = b"Hello, this is a test file for shepard.\nSecond line.\n"


@dataclass(frozen=True)
class Backend:
    """One app wired to one blob store, talking through its own ASGI client."""

    name: str
    client: httpx.AsyncClient
    blobs: BlobStore


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def create_container(
    client: httpx.AsyncClient, owner: ApiUser, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        CONTAINERS, json={"name": name or unique("files")}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(
    client: httpx.AsyncClient,
    owner: ApiUser,
    container_id: int,
    data: bytes = TEST_TXT,
    filename: str = "test.txt",
) -> dict[str, Any]:
    response = await client.post(
        f"{CONTAINERS}/{container_id}/payload",
        files={"file": (filename, data, "text/plain")},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_files(
    client: httpx.AsyncClient, owner: ApiUser, container_id: int
) -> list[dict[str, Any]]:
    response = await client.get(f"{CONTAINERS}/{container_id}/payload", headers=owner.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def share(
    client: httpx.AsyncClient,
    owner: ApiUser,
    path: str,
    *,
    readers: tuple[ApiUser, ...] = (),
    writers: tuple[ApiUser, ...] = (),
    managers: tuple[ApiUser, ...] = (),
    permission_type: str = "Private",
) -> None:
    response = await client.put(
        f"{API}{path}/permissions",
        json={
            "owner": owner.username,
            "permissionType": permission_type,
            "reader": [user.username for user in readers],
            "writer": [user.username for user in writers],
            "readerGroupIds": [],
            "writerGroupIds": [],
            "manager": [user.username for user in managers],
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text


async def file_rows(db: Database, container_id: int) -> list[StoredFile]:
    async def work(uow):  # type: ignore[no-untyped-def]
        statement = select(StoredFile).where(StoredFile.container_id == container_id)
        return list((await uow.session.scalars(statement)).all())

    rows: list[StoredFile] = await db.run(work)
    return rows


def multipart(
    parts: list[tuple[str, str | None, bytes]], boundary: str = "pyshepard-boundary"
) -> tuple[bytes, str]:
    """A hand-made multipart/form-data body: (name, filename or None, bytes) per part."""
    out = bytearray()
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def streamed_multipart(
    filename: str, size: int, boundary: str = "pyshepard-stream"
) -> tuple[AsyncIterator[bytes], str, bytes]:
    """A multipart body produced 1 MiB at a time, plus the 1 MiB pattern it repeats."""
    block = bytes(range(256)) * 4096  # 1 MiB

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        remaining = size
        while remaining > 0:
            piece = block[: min(len(block), remaining)]
            remaining -= len(piece)
            yield piece
        yield f"\r\n--{boundary}--\r\n".encode()

    return body(), f"multipart/form-data; boundary={boundary}", block


S3_PART_SIZE = 5 * 1024 * 1024


@asynccontextmanager
async def s3_backend(settings: Settings, s3: S3Endpoint) -> AsyncIterator[Backend]:
    """The app on the test database with its blobs in a fresh bucket of the moto server."""
    app = create_app(
        Settings(
            data_dir=settings.data_dir,
            database_url=settings.database_url,
            blob_url=s3.blob_url(s3.new_bucket(), part_size=S3_PART_SIZE),
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Backend("s3", client, app.state.db.blobs)
    await app.state.db.dispose()
    await app.state.http.aclose()
