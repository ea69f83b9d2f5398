"""Registry API fixtures: users with roles, a submit helper, and a job runner that runs the
pipeline for real (sandboxed engine workers)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from pyshepard.core.jobs import JobRunner
from pyshepard.jobs_registry import HANDLERS
from tests.conftest import ApiUser, provision_user
from tests.registry.builders import MODELS, README_LOGPDF, logpdf_point

API = "/api/models"
SMALL_MODEL = MODELS / "pyhf" / "2-bin_1-channel.json"
SMALL_MODEL_BYTES = SMALL_MODEL.read_bytes()


def entry_fields(name: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name or f"registry api test {uuid.uuid4().hex[:10]}",
        "version": "1.0.0",
        "domain": "particle_physics",
        "collaboration": "DEMOS API tests",
        "metadata": {"tags": ["api-test"], "search_keywords": [], "citations": []},
    } | overrides


def reference_points() -> bytes:
    return json.dumps([logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"])]).encode()


async def submit(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None,
    entry: dict[str, Any] | str,
    model: bytes | None = None,
    *,
    filename: str = "model.json",
    points: bytes | None = None,
    companions: dict[str, bytes] | None = None,
) -> httpx.Response:
    data = SMALL_MODEL_BYTES if model is None else model
    files: list[tuple[str, tuple[str | None, bytes | str, str]]] = [
        ("entry", (None, entry if isinstance(entry, str) else json.dumps(entry), "text/plain")),
        ("file", (filename, data, "application/json")),
    ]
    if points is not None:
        files.append(("reference_points", ("reference_points.json", points, "application/json")))
    for name, content in (companions or {}).items():
        files.append(("companion", (name, content, "application/json")))
    return await client.post(API, files=files, headers=headers or {})


@pytest.fixture
def make_role_user(db: Database) -> Callable[[str], Awaitable[ApiUser]]:
    async def factory(role: str) -> ApiUser:
        return await provision_user(db, roles=[role])  # type: ignore[arg-type]

    return factory


@pytest.fixture
async def reviewer(make_role_user: Callable[[str], Awaitable[ApiUser]]) -> ApiUser:
    return await make_role_user("reviewer")


@pytest.fixture
async def admin(make_role_user: Callable[[str], Awaitable[ApiUser]]) -> ApiUser:
    return await make_role_user("admin")


@pytest.fixture
def run_jobs(db: Database) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        runner = JobRunner(db, HANDLERS, worker_id=f"test-{uuid.uuid4().hex[:6]}")
        return await runner.run_once()

    return run
