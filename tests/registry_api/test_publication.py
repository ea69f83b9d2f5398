"""Publication side effects: signed `model.published` webhooks delivered to a real loopback
HTTP server, webhook administration, and re-validation (admin endpoint, CLI, worker start)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from pyshepard.cli.main import app as cli_app
from pyshepard.core.db import Database
from pyshepard.core.jobs import JobRunner
from pyshepard.jobs_registry import HANDLERS
from pyshepard.registry.models import RegistryModelVersion, ValidationRun
from pyshepard.worker import run_startup_hooks
from tests.conftest import ApiUser
from tests.http_receiver import Receiver, running_receiver
from tests.registry_api.conftest import API, entry_fields, reference_points, submit


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def test_webhook_administration_rules(
    client: httpx.AsyncClient, user: ApiUser, admin: ApiUser
) -> None:
    body = {"url": "https://hooks.example.org/deploy", "secret": "0123456789abcdef0123"}
    assert (await client.post(f"{API}/webhooks", json=body)).status_code == 401
    assert (
        await client.post(f"{API}/webhooks", json=body, headers=user.headers)
    ).status_code == 403
    assert (await client.get(f"{API}/webhooks", headers=user.headers)).status_code == 403
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.1/x", "ftp://a.org/"):
        refused = await client.post(f"{API}/webhooks", json={"url": url}, headers=admin.headers)
        assert refused.status_code == 400, url
    created = await client.post(f"{API}/webhooks", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"] == body["secret"]
    listed = (await client.get(f"{API}/webhooks", headers=admin.headers)).json()
    mine = [h for h in listed if h["id"] == hook["id"]]
    assert mine == [hook | {"secret": None}]
    removed = await client.delete(f"{API}/webhooks/{hook['id']}", headers=admin.headers)
    assert removed.status_code == 204
    listed = (await client.get(f"{API}/webhooks", headers=admin.headers)).json()
    assert hook["id"] not in {h["id"] for h in listed}


async def test_publication_delivers_a_signed_webhook_and_revalidation_keeps_history(
    *,
    private_client: httpx.AsyncClient,
    private_app: Any,
    user: ApiUser,
    reviewer: ApiUser,
    admin: ApiUser,
    receiver: Receiver,
    cli_database_env: None,
) -> None:
    database: Database = private_app.state.db

    async def run_jobs() -> int:
        return await JobRunner(database, HANDLERS, worker_id="publication-test").run_once()

    secret = "a-long-enough-secret-" + uuid.uuid4().hex
    created = await private_client.post(
        f"{API}/webhooks", json={"url": receiver.url, "secret": secret}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    hook_id = created.json()["id"]
    try:
        fields = entry_fields()
        submitted = await submit(private_client, user.headers, fields, points=reference_points())
        model_id = submitted.json()["model_id"]
        await run_jobs()
        review = {"decision": "approve", "reason": "ok"}
        approved = await private_client.post(
            f"{API}/{model_id}/review", json=review, headers=reviewer.headers
        )
        assert approved.status_code == 200, approved.text
        await run_jobs()

        ours = [r for r in receiver.requests if json.loads(r[1])["model_id"] == model_id]
        assert len(ours) == 1
        headers, body = ours[0]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-pyshepard-signature"], expected)
        assert headers["x-pyshepard-event"] == "model.published"
        event = json.loads(body)
        assert event["event"] == "model.published"
        assert event["version"] == "1.0.0"
        assert event["name"] == fields["name"]
    finally:
        await private_client.delete(f"{API}/webhooks/{hook_id}", headers=admin.headers)

    # the engines changed since the last run (as after an upgrade): the worker's start check
    await _age_engines(database, model_id)
    await run_startup_hooks(database)
    runs = (await private_client.get(f"{API}/{model_id}/runs")).json()
    assert [r["trigger"] for r in runs] == ["submit", "engine-change"]
    assert runs[-1]["status"] == "queued"

    # the admin endpoint skips versions with a run pending, and needs the admin role
    assert (await private_client.post(f"{API}/revalidate", headers=user.headers)).status_code == 403
    queued = await private_client.post(f"{API}/revalidate", headers=admin.headers)
    assert queued.status_code == 202
    assert model_id not in {r["model_id"] for r in queued.json()}
    await run_jobs()
    runs = (await private_client.get(f"{API}/{model_id}/runs")).json()
    assert [r["status"] for r in runs] == ["passed", "passed"]
    assert runs[-1]["engines"]["pyhf"] != "0.0.1"

    # the CLI queues a run for it (and every other approved model)
    result = await asyncio.to_thread(
        CliRunner().invoke, cli_app, ["registry", "revalidate"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert model_id in result.stdout
    runs = (await private_client.get(f"{API}/{model_id}/runs")).json()
    assert [r["trigger"] for r in runs] == ["submit", "engine-change", "scheduled"]
    await run_jobs()
    entry = (await private_client.get(f"{API}/{model_id}")).json()
    assert entry["validation_status"] == "approved"  # re-validation keeps a settled status


async def _age_engines(database: Database, model_id: str) -> None:
    """Pretend the model's runs were made with an older pyhf."""
    async with database.sessions() as session, session.begin():
        version_ids = (
            await session.scalars(
                select(RegistryModelVersion.id).where(RegistryModelVersion.model_id == model_id)
            )
        ).all()
        await session.execute(
            update(ValidationRun)
            .where(ValidationRun.version_id.in_(version_ids))
            .values(engines={"pyhf": "0.0.1"})
        )


@pytest.fixture
def cli_database_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("PYSHEPARD_", "OIDC_")) and name != "PYSHEPARD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYSHEPARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PYSHEPARD_DATABASE_URL", database_url)
