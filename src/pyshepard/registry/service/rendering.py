"""The wire form of a model entry (`ModelEntry`), for one model or a page of them."""

from __future__ import annotations

import uuid
from typing import Any

from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.registry.entry import ValidationStatus
from pyshepard.registry.models import RegistryModel, ValidationRun
from pyshepard.registry.schemas import ModelEntry, ReviewRecord
from pyshepard.registry.service.common import (
    file_url,
    pick_version,
    sees_unpublished,
    semver_key,
    store_of,
    visible_model,
    visible_versions,
)
from pyshepard.registry.validation.results import EntryReport, RunReport


def _run_digest(run: ValidationRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    digest: dict[str, Any] = {
        "run_id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "engines": run.engines,
    }
    entry = _entry_report(run)
    if entry is not None:
        digest["checks"] = {
            status: sum(1 for c in entry.checks if c.status == status)
            for status in ("passed", "failed", "skipped")
        }
        digest["failures"] = [
            {"name": c.name, "message": c.message[:500]} for c in entry.failures()
        ]
    return digest


def _entry_report(run: ValidationRun) -> EntryReport | None:
    if not run.report:
        return None
    report = RunReport.model_validate(run.report)
    return report.entries[0] if report.entries else None


async def render_entry(
    uow: UnitOfWork,
    actor: Principal | None,
    model_id: str,
    *,
    base_url: str,
    model: RegistryModel | None = None,
) -> ModelEntry:
    model = model or await visible_model(uow, actor, model_id)
    store = store_of(uow)
    all_versions = await store.versions(model.model_id)
    versions = visible_versions(actor, model, all_versions)
    shown = await pick_version(uow, actor, model, None)
    run = await store.latest_run(shown.id)
    reviews = await store.reviews([v.id for v in versions])
    by_id = {v.id: v.version for v in versions}
    entry = shown.entry
    return ModelEntry(
        model_id=uuid.UUID(model.model_id),
        name=model.name,
        doi=model.doi,
        version=shown.version,
        domain=model.domain,
        collaboration=model.collaboration,
        file_location=file_url(base_url, model.model_id, shown.version),
        checksum=shown.checksum,
        reference_points=(
            file_url(base_url, model.model_id, shown.version, "reference_points")
            if shown.reference_points_key
            else None
        ),
        metadata=model.meta,
        validation_status=ValidationStatus(shown.validation_status),
        submission_date=shown.submission_date,
        last_updated=shown.last_updated,
        format=shown.format or entry.get("format"),
        canonical_checksum=shown.canonical_checksum,
        summary=shown.summary,
        links=model.links,
        versions=sorted((v.version for v in versions), key=semver_key),
        validation=_run_digest(run),
        owner=model.owner,
        status=model.status if sees_unpublished(actor, model) else "approved",
        latest_version=(
            model.latest_version
            if sees_unpublished(actor, model)
            else model.approved_version or shown.version
        ),
        approved_version=model.approved_version,
        reviews=[
            ReviewRecord(
                version=by_id[r.version_id],
                decision=r.decision,
                reason=r.reason,
                reviewer=r.reviewer,
                at=r.at,
            )
            for r in reviews
            if r.version_id in by_id
        ],
    )
