"""The registry server's hardening: no private imports, async dependencies only, read-only
units of work for reads, a page of entries in a fixed number of queries, validation jobs that
give up fail their run, and a failed submission never takes a concurrent one's blob."""

from __future__ import annotations

import ast
import asyncio
import hashlib
import inspect
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import event, select

import pyshepard
from pyshepard.core.db import Database
from pyshepard.core.jobs import JobRunner, get_job
from pyshepard.jobs_registry import FAILURE_HOOKS, HANDLERS
from pyshepard.registry import api as registry_api
from pyshepard.registry.models import RegistryModelVersion, ValidationRun
from pyshepard.registry.service.common import drop_unused_blobs, hold_blobs
from tests.conftest import ApiUser
from tests.registry_api.conftest import API, SMALL_MODEL_BYTES, entry_fields, submit


def unique_model() -> bytes:
    """The small pyhf model with a unique run of trailing whitespace: its own blob key, so
    deleting that blob touches no other test's model."""
    bits = "".join(f"{byte:08b}" for byte in uuid.uuid4().bytes)
    return SMALL_MODEL_BYTES.rstrip() + b"\n" + "".join(" \t"[int(b)] for b in bits).encode()


@contextmanager
def counted_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def test_no_module_imports_private_names_of_another() -> None:
    root = Path(pyshepard.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyshepard"):
                private = [
                    a.name
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
                if private:
                    offenders.append(f"{path.relative_to(root)}: {node.module} {private}")
    assert offenders == []


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for child in dependant.dependencies:
        yield from _calls(child)


def test_registry_routes_have_async_dependencies_only() -> None:
    # FastAPI runs a plain `def` dependency in the thread pool, on every request
    routes = [r for r in registry_api.router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 15
    sync = {
        f"{route.path} {getattr(call, '__name__', call)}"
        for route in routes
        for call in _calls(route.dependant)
        if call is not route.endpoint
        and not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
    }
    assert sync == set()


async def test_reads_run_beside_an_open_write_transaction(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    submitted = await submit(client, user.headers, entry_fields(), unique_model())
    assert submitted.status_code == 201, submitted.text
    model_id = submitted.json()["model_id"]
    writer = db.unit_of_work()
    await writer.session.connection()  # BEGIN IMMEDIATE on SQLite: the write lock is taken
    try:
        for path in (
            f"{API}/{model_id}",
            f"{API}/{model_id}/versions",
            f"{API}/{model_id}/runs",
            f"{API}/{model_id}/metadata",
            f"{API}/{model_id}/file",
            f"{API}/{model_id}/badge.svg",
            f"{API}?size=1",
        ):
            # a write unit of work would queue behind the writer for busy_timeout (30 s)
            got = await asyncio.wait_for(client.get(path, headers=user.headers), timeout=10)
            assert got.status_code == 200, (path, got.text)
    finally:
        await writer.rollback()
        await writer.session.close()
    # writes still work and still commit
    renamed = await client.put(
        f"{API}/{model_id}", json={"doi": "10.1234/hardening"}, headers=user.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert (await client.get(f"{API}/{model_id}", headers=user.headers)).json()["doi"] == (
        "10.1234/hardening"
    )


async def test_a_page_of_entries_costs_the_same_queries_as_one_entry(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    collaboration = f"hardening {uuid.uuid4().hex[:10]}"
    tag = f"tag{uuid.uuid4().hex[:10]}"
    ids = set()
    for index in range(4):
        fields = entry_fields(
            collaboration=collaboration,
            metadata={"tags": [tag], "search_keywords": [], "citations": []},
        )
        response = await submit(client, user.headers, fields, unique_model())
        assert response.status_code == 201, response.text
        ids.add(response.json()["model_id"])
        if index == 0:  # a second version and a review history make the entry richer
            second = await submit(
                client, user.headers, fields | {"version": "1.1.0"}, unique_model()
            )
            assert second.status_code == 201, second.text
    for path, params in (
        (API, {}),
        (f"{API}/filter", {"collaboration": collaboration}),
        (f"{API}/search", {"q": tag}),
    ):
        counts = {}
        for size in (1, 4):
            with counted_statements(db) as statements:
                got = await client.get(path, params=params | {"size": size}, headers=user.headers)
            assert got.status_code == 200, got.text
            assert len(got.json()) == size
            if path != API:
                assert {e["model_id"] for e in got.json()} <= ids
            counts[size] = len(statements)
        assert counts[4] == counts[1], (path, counts)
    listed = await client.get(
        f"{API}/filter", params={"collaboration": collaboration}, headers=user.headers
    )
    assert {len(e["versions"]) for e in listed.json()} == {1, 2}


async def test_validation_job_that_fails_every_attempt_fails_the_run(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    submitted = await submit(client, user.headers, entry_fields(), unique_model())
    assert submitted.status_code == 201, submitted.text
    model_id = submitted.json()["model_id"]
    async with db.sessions() as session:
        version = await session.scalar(
            select(RegistryModelVersion).where(RegistryModelVersion.model_id == model_id)
        )
        assert version is not None
        job_id = await session.scalar(
            select(ValidationRun.job_id).where(ValidationRun.version_id == version.id)
        )
    await db.blobs.delete(version.file_key)  # the pipeline cannot rebuild the entry folder

    runner = JobRunner(
        db,
        HANDLERS,
        worker_id=f"hardening-{uuid.uuid4().hex[:6]}",
        failure_hooks=FAILURE_HOOKS,
        retry_base=timedelta(milliseconds=1),
    )
    for _ in range(50):
        await runner.run_once()
        async with db.sessions() as session:
            job = await get_job(session, job_id) if job_id is not None else None
        if job is not None and job.status == "failed":
            break
        await asyncio.sleep(0.02)
    assert job is not None
    assert job.status == "failed"
    assert job.attempts == job.max_attempts == 3

    runs = (await client.get(f"{API}/{model_id}/runs", headers=user.headers)).json()
    assert [run["status"] for run in runs] == ["failed"]
    assert runs[0]["finished_at"] is not None
    entry = (await client.get(f"{API}/{model_id}", headers=user.headers)).json()
    assert entry["validation_status"] == "failed"
    assert entry["validation"]["failures"][0]["name"] == "pipeline"
    report = (await client.get(f"{API}/{model_id}/report", headers=user.headers)).json()
    message = report["report"]["entries"][0]["checks"][0]["message"]
    assert "will not be retried" in message
    assert job.last_error is not None
    assert job.last_error in message


def _part(boundary: str, name: str, filename: str | None, body: bytes) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + body + b"\r\n"


async def test_a_failing_identical_submission_never_takes_the_blob_of_a_concurrent_one(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    data = unique_model()
    key = "registry/" + hashlib.sha256(data).hexdigest()
    fields = entry_fields()
    boundary = uuid.uuid4().hex
    resume = asyncio.Event()

    async def slow_form() -> AsyncIterator[bytes]:
        # the file first, then the entry field's headers; its value only after `resume`
        yield _part(boundary, "file", "model.json", data)
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="entry"\r\n\r\n'.encode()
        await resume.wait()
        yield json.dumps(fields).encode() + f"\r\n--{boundary}--\r\n".encode()

    first = asyncio.create_task(
        client.post(
            API,
            content=slow_form(),
            headers={
                **user.headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
    )
    try:
        for _ in range(500):
            if await db.blobs.stat(key) is not None:
                break
            await asyncio.sleep(0.01)
        assert await db.blobs.stat(key) is not None
        await asyncio.sleep(0.2)  # the first submission now waits for the rest of its form

        # the same bytes with a broken entry: refused, its cleanup drops the unused blob
        refused = await submit(client, user.headers, entry_fields(version="not-a-version"), data)
        assert refused.status_code == 400, refused.text
    finally:
        resume.set()
    answer = await first

    # the first one must not be recorded with bytes that are gone: it is refused cleanly
    assert answer.status_code == 409, answer.text
    assert "submit again" in answer.json()["message"]
    mine = await client.get(API, params={"size": 200}, headers=user.headers)
    assert fields["name"] not in {e["name"] for e in mine.json()}
    async with db.sessions() as session:
        users = await session.scalar(
            select(RegistryModelVersion.id).where(RegistryModelVersion.file_key == key)
        )
    assert users is None

    # submitted again, it is stored and its file downloads intact
    again = await submit(client, user.headers, fields, data)
    assert again.status_code == 201, again.text
    download = await client.get(f"{API}/{again.json()['model_id']}/file", headers=user.headers)
    assert download.status_code == 200
    assert download.content == data


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_blob_cleanup_waits_for_a_transaction_about_to_commit_the_same_blob(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    submitted = await submit(client, user.headers, entry_fields(), unique_model())
    assert submitted.status_code == 201, submitted.text
    model_id = submitted.json()["model_id"]
    blob = await db.blobs.put_stream(_chunks(unique_model()), prefix="registry/")

    # a submission between recording its version and committing: it holds the blob
    recorder = db.unit_of_work()
    try:
        await hold_blobs(recorder, [blob.key])
        version = await recorder.session.scalar(
            select(RegistryModelVersion).where(RegistryModelVersion.model_id == model_id)
        )
        assert version is not None
        version.file_key = blob.key
        await recorder.session.flush()
        cleanup = asyncio.create_task(db.run(lambda uow: drop_unused_blobs(uow, [blob.key])))
        await asyncio.sleep(0.3)
        assert not cleanup.done(), "the cleanup must wait for the key's lock"
        await recorder.commit()
    finally:
        await recorder.session.close()
    assert await asyncio.wait_for(cleanup, timeout=10) == []
    assert await db.blobs.stat(blob.key) is not None
    download = await client.get(f"{API}/{model_id}/file", headers=user.headers)
    assert download.status_code == 200
