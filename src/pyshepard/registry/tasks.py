"""Registry job handlers: the validation pipeline, webhook delivery, and the worker-start
check that re-validates published models when an engine version changed."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx

from pyshepard.core.db import Database, UnitOfWork
from pyshepard.core.outbound import require_public_host
from pyshepard.registry import service
from pyshepard.registry.validation.results import RunReport

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Pyshepard-Signature"
ARTEFACT_SUFFIXES = {".svg", ".png", ".csv", ".md"}


async def _write_blob(uow: UnitOfWork, key: str, target: Path) -> None:
    async with await anyio.open_file(target, "wb") as handle:
        async for chunk in uow.blobs.open(key):
            await handle.write(chunk)


def _run_pipeline(folder: Path, artifacts: Path, config: Any) -> RunReport:
    # the validation runner imports numpy and the engines (the `registry` extra): only here
    from pyshepard.registry.validation.runner import validate_path  # noqa: PLC0415

    return validate_path(folder, config, jobs=1, artifacts_root=artifacts)


def _crashed_report(error: BaseException, material: service.RunMaterial) -> RunReport:
    return service.failure_report(
        f"the pipeline could not run: {type(error).__name__}: {error}",
        name=str(material.entry.get("name")),
        version=material.version,
        model_id=material.model_id,
    )


async def validate(uow: UnitOfWork, payload: dict[str, Any]) -> dict[str, Any] | None:
    """`registry.validate` {run_id}: rebuild the entry folder from the blobs, run steps 1-3 in
    the sandboxed workers (in a thread), store report and artefacts, set the status."""
    run_id = str(payload["run_id"])
    # committed on its own, so `validating` is visible while the engines run
    material = await uow.run_apart(lambda other: service.begin_run(other, run_id))
    if material is None:
        return {"skipped": "run or version no longer exists"}
    artefacts: list[service.StoredArtefact] = []
    with tempfile.TemporaryDirectory(prefix="pyshepard-registry-") as temp:
        folder = Path(temp) / "entry"
        output = Path(temp) / "artifacts"
        folder.mkdir()
        for name, key in material.files.items():
            await _write_blob(uow, key, folder / name)
        (folder / "entry.json").write_text(json.dumps(material.entry, indent=1), "utf-8")
        config = service.validation_config(uow)
        try:
            run_report = await asyncio.to_thread(_run_pipeline, folder, output, config)
        except Exception as exc:  # the pipeline itself broke: a failed run, with the reason
            log.exception("registry run %s: the pipeline raised", run_id)
            run_report = _crashed_report(exc, material)
        entry = run_report.entries[0] if run_report.entries else None
        for path_text in entry.artifacts if entry else []:
            path = Path(path_text)
            if path.suffix not in ARTEFACT_SUFFIXES or not await anyio.Path(path).is_file():
                continue
            blob = await uow.blobs.put_stream(_chunks(path), prefix=service.ARTEFACT_PREFIX)
            artefacts.append(
                service.StoredArtefact(
                    name=path.name,
                    key=blob.key,
                    media_type=service.MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                    size=blob.size,
                )
            )
        if entry is not None:
            # paths of a temporary folder mean nothing later: keep the names only
            names = [Path(a).name for a in entry.artifacts]
            run_report = run_report.model_copy(
                update={
                    "root": f"model {material.model_id} version {material.version}",
                    "entries": [entry.model_copy(update={"artifacts": names})],
                }
            )
    status = await service.finish_run(uow, run_id, run_report=run_report, artefacts=artefacts)
    return {"run_id": run_id, "status": status}


async def validation_failed(uow: UnitOfWork, payload: dict[str, Any], error: str) -> None:
    """Final-failure hook of `registry.validate` (every attempt raised, e.g. a model blob is
    missing): the run is recorded failed with the error and the version (unless settled) too,
    instead of staying `running` / `validating`."""
    status = await service.fail_run(uow, str(payload["run_id"]), error)
    if status is not None:
        log.warning("registry run %s: the validation job gave up: %s", payload["run_id"], error)


async def _chunks(path: Path) -> Any:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(1024 * 1024):
            yield chunk


async def deliver_webhook(uow: UnitOfWork, payload: dict[str, Any]) -> dict[str, Any] | None:
    """`registry.deliver_webhook` {webhook_id, body}: POST the signed body; a non-2xx answer
    or a network error raises, so the job runner retries with backoff."""
    webhook = await service.webhook_for_delivery(uow, str(payload["webhook_id"]))
    if webhook is None:
        return {"skipped": "webhook deleted"}
    body = json.dumps(payload["body"], separators=(",", ":"), sort_keys=True).encode()
    if not uow.settings.subscription_allow_private_callbacks:
        await require_public_host(webhook.url)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pyshepard-registry",
        "X-Pyshepard-Event": str(payload["body"].get("event", "")),
        "X-Pyshepard-Delivery": str(payload["body"].get("delivery_id", uuid.uuid4())),
        SIGNATURE_HEADER: service.sign(webhook.secret, body),
    }
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False) as http:
        response = await http.post(webhook.url, content=body, headers=headers)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"webhook {webhook.id} answered HTTP {response.status_code}")
    return {"webhook_id": webhook.id, "status": response.status_code}


async def revalidate_on_start(database: Database) -> None:
    """Worker start hook: queue runs for published versions validated with other engine
    versions than the installed ones."""

    async def work(uow: UnitOfWork) -> int:
        return len(await service.revalidate_changed_engines(uow))

    try:
        queued = await database.run(work)
    except Exception:
        log.exception("registry: the engine-version check at worker start failed")
        return
    if queued:
        log.info("registry: queued %d re-validation run(s) after an engine change", queued)
