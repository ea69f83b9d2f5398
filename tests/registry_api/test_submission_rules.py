"""Submission rules and bad input: every refusal is a clear 4xx JSON error and leaves the
registry (rows and blobs) unchanged. No engine runs here."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pyshepard.app import create_app
from pyshepard.core.config import Settings
from pyshepard.core.db import Database
from pyshepard.registry.models import RegistryModel, RegistryModelVersion, ValidationRun
from tests.conftest import ApiUser
from tests.registry.builders import MODELS
from tests.registry_api.conftest import API, SMALL_MODEL, entry_fields, submit


async def _counts(db: Database) -> tuple[int, int, int, int]:
    async with db.sessions() as session:
        models = await session.scalar(select(func.count()).select_from(RegistryModel))
        versions = await session.scalar(select(func.count()).select_from(RegistryModelVersion))
        runs = await session.scalar(select(func.count()).select_from(ValidationRun))
    blobs = [entry.key async for entry in db.blobs.scan("registry/")]
    return int(models or 0), int(versions or 0), int(runs or 0), len(blobs)


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["message"]
    return body


NESTING_BOMB = b"{" + b'"a":[' * 5000 + b"1" + b"]" * 5000 + b"}"

BAD_SUBMISSIONS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "not JSON": ({}, {"model": b"this is not json at all"}),
    "binary": ({}, {"model": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))}),
    "JSON bomb": ({}, {"model": NESTING_BOMB}),
    "broken JSON": ({}, {"model": b'{"channels": [1, 2,, ]}'}),
    "duplicate keys": ({}, {"model": b'{"a": 1, "a": 2}'}),
    "NaN": ({}, {"model": b'{"a": NaN}'}),
    "bad semver": ({"version": "1.0"}, {}),
    "unknown domain": ({"domain": "alchemy"}, {}),
    "tampered checksum": ({"checksum": "sha256:" + "0" * 64}, {}),
    "bad model_id": ({"model_id": "not-a-uuid"}, {}),
    "companion without link": ({}, {"companions": {"other.json": b"{}"}}),
    "link without companion": (
        {"links": [{"rel": "hs3-twin", "href": "twin.json"}]},
        {},
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SUBMISSIONS))
async def test_bad_submission_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, user: ApiUser, db: Database, case: str
) -> None:
    overrides, upload = BAD_SUBMISSIONS[case]
    before = await _counts(db)
    response = await submit(client, user.headers, entry_fields(**overrides), **upload)
    body = _error(response, 400)
    assert "Internal" not in body["message"]
    assert await _counts(db) == before


async def test_entry_field_that_is_not_json_is_a_400(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    before = await _counts(db)
    _error(await submit(client, user.headers, "{not json"), 400)
    _error(await submit(client, user.headers, "[1, 2]"), 400)
    _error(await submit(client, user.headers, {"name": "no version"}), 400)
    assert await _counts(db) == before


async def test_form_without_file_or_not_multipart_is_refused(
    client: httpx.AsyncClient, user: ApiUser, db: Database
) -> None:
    before = await _counts(db)
    no_file = await client.post(
        API,
        files=[("entry", (None, json.dumps(entry_fields()), "text/plain"))],
        headers=user.headers,
    )
    _error(no_file, 400)
    as_json = await client.post(API, json=entry_fields(), headers=user.headers)
    assert as_json.status_code in {400, 415}
    assert await _counts(db) == before


async def test_over_size_file_is_a_413_and_nothing_is_stored(
    settings: Settings, user: ApiUser, db: Database
) -> None:
    small = settings.model_copy(update={"registry_max_upload_bytes": 1000})
    app = create_app(small)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            before = await _counts(db)
            big = b'{"pad": "' + b"x" * 5000 + b'"}'
            response = await submit(http, user.headers, entry_fields(), big)
            body = _error(response, 413)
            assert "1000" in body["message"]
            assert await _counts(db) == before
    finally:
        await app.state.db.dispose()
        await app.state.http.aclose()


async def test_anonymous_submit_is_401(client: httpx.AsyncClient, db: Database) -> None:
    before = await _counts(db)
    _error(await submit(client, None, entry_fields()), 401)
    bad_key = await submit(client, {"X-API-KEY": "nonsense"}, entry_fields())
    assert bad_key.status_code == 401
    assert await _counts(db) == before


async def test_versions_duplicates_and_ownership(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, db: Database
) -> None:
    fields = entry_fields()
    first = await submit(client, user.headers, fields)
    assert first.status_code == 201, first.text
    model_id = first.json()["model_id"]

    duplicate = await submit(client, user.headers, fields)
    _error(duplicate, 409)
    by_id = await submit(client, user.headers, fields | {"model_id": model_id})
    _error(by_id, 409)

    # same name + collaboration, new version: a version of the same concept
    modified = json.loads(SMALL_MODEL.read_bytes())
    modified["observations"][0]["data"] = [60.0, 61.0]
    data = json.dumps(modified).encode()
    second = await submit(
        client,
        user.headers,
        fields | {"version": "1.1.0", "checksum": "sha256:" + hashlib.sha256(data).hexdigest()},
        data,
    )
    assert second.status_code == 201, second.text
    assert second.json()["model_id"] == model_id
    assert second.json()["versions"] == ["1.0.0", "1.1.0"]
    assert second.json()["version"] == "1.1.0"
    # an older-numbered version submitted later does not become the latest
    third = await submit(client, user.headers, fields | {"version": "1.0.1-rc.1"})
    assert third.status_code == 201
    assert third.json()["version"] == "1.1.0"
    assert third.json()["versions"] == ["1.0.0", "1.0.1-rc.1", "1.1.0"]

    # someone else cannot add versions to it, nor see it (not approved)
    before = await _counts(db)
    stranger = await submit(client, other_user.headers, fields | {"version": "2.0.0"})
    _error(stranger, 403)
    assert await _counts(db) == before
    assert (await client.get(f"{API}/{model_id}", headers=other_user.headers)).status_code == 404

    old = await client.get(
        f"{API}/{model_id}/file", params={"version": "1.0.0"}, headers=user.headers
    )
    assert old.content == SMALL_MODEL.read_bytes()
    new = await client.get(
        f"{API}/{model_id}/file", params={"version": "1.1.0"}, headers=user.headers
    )
    assert new.content == data


async def test_metadata_update_and_admin_delete(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, admin: ApiUser, db: Database
) -> None:
    unique = json.loads(SMALL_MODEL.read_bytes())
    unique["observations"][0]["data"] = [float(uuid.uuid4().int % 1000), 50.0]
    data = json.dumps(unique).encode()
    created = await submit(client, user.headers, entry_fields(), data)
    model_id = created.json()["model_id"]
    change = {"doi": "10.5281/zenodo.1234567", "metadata": {"tags": ["renamed-tag"]}}
    updated = await client.put(f"{API}/{model_id}", json=change, headers=user.headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["doi"] == "10.5281/zenodo.1234567"
    assert updated.json()["metadata"]["tags"] == ["renamed-tag"]
    wrong_domain = {"domain": "alchemy"}
    _error(await client.put(f"{API}/{model_id}", json=wrong_domain, headers=user.headers), 400)
    bad_field = await client.put(f"{API}/{model_id}", json={"checksum": "x"}, headers=user.headers)
    assert bad_field.status_code == 400
    unchanged = (await client.get(f"{API}/{model_id}", headers=user.headers)).json()
    assert unchanged["domain"] == "particle_physics"
    _error(await client.put(f"{API}/{model_id}", json=change, headers=other_user.headers), 404)
    _error(await client.put(f"{API}/{model_id}", json=change), 401)

    _error(await client.delete(f"{API}/{model_id}", headers=user.headers), 403)
    key = "registry/" + hashlib.sha256(data).hexdigest()
    assert await db.blobs.stat(key) is not None
    assert (await client.delete(f"{API}/{model_id}", headers=admin.headers)).status_code == 204
    _error(await client.get(f"{API}/{model_id}", headers=admin.headers), 404)
    assert await db.blobs.stat(key) is None


async def test_review_rules(client: httpx.AsyncClient, user: ApiUser, reviewer: ApiUser) -> None:
    created = await submit(client, user.headers, entry_fields())
    model_id = created.json()["model_id"]
    review = {"decision": "approve", "reason": "fine"}
    # submitted, not yet validated: not reviewable
    _error(
        await client.post(f"{API}/{model_id}/review", json=review, headers=reviewer.headers), 409
    )
    _error(await client.post(f"{API}/{model_id}/review", json=review, headers=user.headers), 403)
    _error(await client.post(f"{API}/{model_id}/review", json=review), 401)
    bad = await client.post(
        f"{API}/{model_id}/review",
        json={"decision": "maybe", "reason": "x"},
        headers=reviewer.headers,
    )
    assert bad.status_code == 400
    # reviewers see everything, and may filter by status
    listed = await client.get(
        API, params={"status": "submitted", "size": 200}, headers=reviewer.headers
    )
    assert model_id in {e["model_id"] for e in listed.json()}
    assert (
        await client.get(API, params={"status": "submitted"}, headers=user.headers)
    ).status_code == 403


async def test_unknown_and_malformed_ids_are_404(client: httpx.AsyncClient) -> None:
    for path in (
        "/not-a-uuid",
        "/00000000-0000-0000-0000-000000000000",
        "/00000000-0000-0000-0000-000000000000/file",
    ):
        _error(await client.get(API + path), 404)


@pytest.fixture
async def limited_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"registry_anonymous_rate_limit": 3}))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await app.state.db.dispose()
        await app.state.http.aclose()


async def test_anonymous_reads_are_rate_limited(
    limited_client: httpx.AsyncClient, user: ApiUser
) -> None:
    statuses = [(await limited_client.get(API, params={"size": 1})).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = await limited_client.get(API)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["status"] == 429
    # logged-in callers are not limited
    assert (await limited_client.get(API, headers=user.headers)).status_code == 200


async def test_openapi_lists_the_registry(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/shepard/doc/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        API,
        f"{API}/search",
        f"{API}/filter",
        f"{API}/{{model_id}}",
        f"{API}/{{model_id}}/file",
        f"{API}/{{model_id}}/review",
        f"{API}/{{model_id}}/badge.svg",
        f"{API}/webhooks",
        f"{API}/revalidate",
    ):
        assert path in paths, path
    submit_body = paths[API]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert submit_body["schema"]["properties"]["entry"]["example"]["version"] == "1.0.0"
    assert MODELS.is_dir()


async def test_start_validation_run(
    client: httpx.AsyncClient, user: ApiUser, other_user: ApiUser, reviewer: ApiUser
) -> None:
    created = await submit(client, user.headers, entry_fields())
    model_id = created.json()["model_id"]
    _error(await client.post(f"{API}/{model_id}/validate"), 401)
    _error(await client.post(f"{API}/{model_id}/validate", headers=other_user.headers), 404)
    started = await client.post(f"{API}/{model_id}/validate", headers=user.headers)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    by_reviewer = await client.post(
        f"{API}/{model_id}/validate", params={"version": "1.0.0"}, headers=reviewer.headers
    )
    assert by_reviewer.status_code == 202
    _error(
        await client.post(
            f"{API}/{model_id}/validate", params={"version": "9.9.9"}, headers=user.headers
        ),
        404,
    )
    runs = (await client.get(f"{API}/{model_id}/runs", headers=user.headers)).json()
    assert [r["trigger"] for r in runs] == ["submit", "manual", "manual"]
    assert {r["run_id"] for r in runs} >= {started.json()["run_id"], by_reviewer.json()["run_id"]}
