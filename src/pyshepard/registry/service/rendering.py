"""The wire form of a model entry (`ModelEntry`), for one model or a page of them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pyshepard.core.db import UnitOfWork
from pyshepard.core.identity import Principal
from pyshepard.registry.entry import ValidationStatus
from pyshepard.registry.models import RegistryModel, RegistryModelVersion, Review, ValidationRun
from pyshepard.registry.schemas import ModelEntry, ReviewRecord
from pyshepard.registry.service.common import (
    choose_version,
    file_url,
    sees_unpublished,
    semver_key,
    store_of,
    version_links,
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
    """One model's entry as the caller may see it; raises NotFound."""
    model = model or await visible_model(uow, actor, model_id)
    (entry,) = await render_entries(uow, actor, [model], base_url=base_url)
    return entry


async def render_entries(
    uow: UnitOfWork, actor: Principal | None, models: Sequence[RegistryModel], *, base_url: str
) -> list[ModelEntry]:
    """The entries of a page of visible models with three queries, whatever the page size:
    their versions, the shown versions' latest runs, their reviews."""
    store = store_of(uow)
    by_model: dict[str, list[RegistryModelVersion]] = defaultdict(list)
    for version in await store.versions_of_models([m.model_id for m in models]):
        by_model[version.model_id].append(version)
    visible = {m.model_id: visible_versions(actor, m, by_model[m.model_id]) for m in models}
    shown = {m.model_id: choose_version(actor, m, by_model[m.model_id], None) for m in models}
    runs = await store.latest_runs([v.id for v in shown.values()])
    reviews: dict[str, list[Review]] = defaultdict(list)
    for review in await store.reviews([v.id for vs in visible.values() for v in vs]):
        reviews[review.version_id].append(review)
    return [
        _entry(
            actor,
            m,
            versions=visible[m.model_id],
            shown=shown[m.model_id],
            run=runs.get(shown[m.model_id].id),
            reviews=[r for v in visible[m.model_id] for r in reviews[v.id]],
            base_url=base_url,
        )
        for m in models
    ]


def _entry(
    actor: Principal | None,
    model: RegistryModel,
    *,
    versions: Sequence[RegistryModelVersion],
    shown: RegistryModelVersion,
    run: ValidationRun | None,
    reviews: Sequence[Review],
    base_url: str,
) -> ModelEntry:
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
        links=version_links(model, shown),
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
            for r in sorted(reviews, key=lambda r: r.id)
            if r.version_id in by_id
        ],
    )
