"""The registry's whole path with real models: submit, validate as a durable job, review,
publish, anonymous reads (list, search, filter, file with digests, badge, report, plots)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable

import httpx

from tests.conftest import ApiUser
from tests.registry.builders import MODELS
from tests.registry_api.conftest import (
    API,
    SMALL_MODEL,
    entry_fields,
    reference_points,
    submit,
)

RunJobs = Callable[[], Awaitable[int]]


async def test_submit_validate_review_publish_and_read_anonymously(
    client: httpx.AsyncClient,
    user: ApiUser,
    reviewer: ApiUser,
    run_jobs: RunJobs,
) -> None:
    fields = entry_fields(
        doi="10.17182/hepdata.90607.v3",
        metadata={"tags": ["flowtag"], "search_keywords": ["shapesysflow"], "citations": []},
    )
    response = await submit(client, user.headers, fields, points=reference_points())
    assert response.status_code == 201, response.text
    entry = response.json()
    model_id = entry["model_id"]
    data = SMALL_MODEL.read_bytes()
    digest = hashlib.sha256(data).digest()
    assert entry["validation_status"] == "submitted"
    assert entry["checksum"] == "sha256:" + digest.hex()
    assert entry["owner"] == user.username
    assert entry["versions"] == ["1.0.0"]
    assert entry["file_location"].endswith(f"/api/models/{model_id}/file?version=1.0.0")

    # not approved yet: anonymous callers do not see it, the owner does
    assert (await client.get(f"{API}/{model_id}")).status_code == 404
    listed = await client.get(API, params={"size": 200}, headers=user.headers)
    assert model_id in {e["model_id"] for e in listed.json()}
    anonymous = await client.get(API, params={"size": 200})
    assert model_id not in {e["model_id"] for e in anonymous.json()}

    assert await run_jobs() >= 1
    entry = (await client.get(f"{API}/{model_id}", headers=user.headers)).json()
    assert entry["validation_status"] == "awaiting_review", entry["validation"]
    assert entry["format"] == "pyhf-workspace"
    assert entry["summary"]["bins"] == 2
    assert entry["canonical_checksum"].startswith("sha256:")
    assert entry["validation"]["engines"]["pyhf"]
    assert entry["validation"]["checks"]["failed"] == 0

    # the owner is no reviewer
    review = {"decision": "approve", "reason": "documented and reproducible"}
    denied = await client.post(f"{API}/{model_id}/review", json=review, headers=user.headers)
    assert denied.status_code == 403
    approved = await client.post(f"{API}/{model_id}/review", json=review, headers=reviewer.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["validation_status"] == "approved"
    assert approved.json()["reviews"][0]["reviewer"] == reviewer.username
    again = await client.post(f"{API}/{model_id}/review", json=review, headers=reviewer.headers)
    assert again.status_code == 409

    # anonymous reads of the approved model
    got = await client.get(f"{API}/{model_id}")
    assert got.status_code == 200
    assert got.json()["validation_status"] == "approved"
    anonymous = await client.get(API, params={"size": 200})
    assert model_id in {e["model_id"] for e in anonymous.json()}
    found = await client.get(f"{API}/search", params={"q": "shapesysflow"})
    assert [e["model_id"] for e in found.json()] == [model_id]
    filtered = await client.get(
        f"{API}/filter",
        params={"domain": "particle_physics", "tag": "FLOWTAG", "collaboration": "demos api tests"},
    )
    assert model_id in {e["model_id"] for e in filtered.json()}

    file = await client.get(f"{API}/{model_id}/file")
    assert file.status_code == 200
    assert file.content == data
    assert file.headers["etag"] == f'"{digest.hex()}"'
    assert file.headers["digest"] == "sha-256=" + base64.b64encode(digest).decode()
    assert file.headers["repr-digest"] == "sha-256=:" + base64.b64encode(digest).decode() + ":"
    assert "model.json" in file.headers["content-disposition"]
    cached = await client.get(
        f"{API}/{model_id}/file", headers={"If-None-Match": file.headers["etag"]}
    )
    assert cached.status_code == 304
    points = await client.get(f"{API}/{model_id}/file", params={"part": "reference_points"})
    assert json.loads(points.content) == json.loads(reference_points())

    badge = await client.get(f"{API}/{model_id}/badge.svg")
    assert badge.headers["content-type"].startswith("image/svg+xml")
    assert badge.text.startswith("<svg")
    assert "1/1 passed" in badge.text

    report = (await client.get(f"{API}/{model_id}/report")).json()
    assert report["status"] == "passed"
    checks = {c["name"]: c for c in report["report"]["entries"][0]["checks"]}
    assert checks["correctness.reference_points"]["status"] == "passed"
    markdown = await client.get(f"{API}/{model_id}/report", params={"format": "markdown"})
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "✅ passed" in markdown.text

    artefacts = (await client.get(f"{API}/{model_id}/visualize")).json()
    images = [a for a in artefacts if a["media_type"] in {"image/png", "image/svg+xml"}]
    assert images, artefacts
    for artefact in images:
        body = await client.get(artefact["url"].removeprefix("http://testserver"))
        assert body.status_code == 200
        if artefact["media_type"] == "image/png":
            assert body.content.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            assert b"<svg" in body.content[:500]
        assert hashlib.sha256(body.content).hexdigest() == body.headers["etag"].strip('"')

    versions = (await client.get(f"{API}/{model_id}/versions")).json()
    assert [v["version"] for v in versions] == ["1.0.0"]
    runs = (await client.get(f"{API}/{model_id}/runs")).json()
    assert [r["status"] for r in runs] == ["passed"]
    metadata = (await client.get(f"{API}/{model_id}/metadata")).json()
    assert metadata["summary"]["bins"] == 2
    assert metadata["doi"] == "10.17182/hepdata.90607.v3"


async def test_invalid_model_fails_with_the_reason_in_the_report(
    client: httpx.AsyncClient, user: ApiUser, run_jobs: RunJobs
) -> None:
    invalid = MODELS / "pyhf" / "invalid" / "model_duplicate_channels.json"
    response = await submit(client, user.headers, entry_fields(), invalid.read_bytes())
    assert response.status_code == 201, response.text
    model_id = response.json()["model_id"]
    await run_jobs()
    entry = (await client.get(f"{API}/{model_id}", headers=user.headers)).json()
    assert entry["validation_status"] == "failed"
    failures = {f["name"]: f["message"] for f in entry["validation"]["failures"]}
    assert "integrity.schema" in failures
    assert "channel" in failures["integrity.schema"].lower()
    report = (await client.get(f"{API}/{model_id}/report", headers=user.headers)).json()
    assert report["status"] == "failed"
    checks = {c["name"]: c for c in report["report"]["entries"][0]["checks"]}
    assert checks["integrity.schema"]["status"] == "failed"
    # failed models are nobody's business but the owner's (and reviewers')
    assert (await client.get(f"{API}/{model_id}/report")).status_code == 404
