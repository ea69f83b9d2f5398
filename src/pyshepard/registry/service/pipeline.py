"""Bookkeeping of a validation run around the pipeline job (called by tasks.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyshepard.core.clock import utcnow
from pyshepard.core.db import UnitOfWork
from pyshepard.registry.entry import Entry, ValidationStatus
from pyshepard.registry.service.common import SETTLED, refresh_model, store_of
from pyshepard.registry.validation.results import CheckResult, EntryReport, RunReport


@dataclass(frozen=True)
class RunMaterial:
    """What the validation job needs to rebuild the entry folder."""

    run_id: str
    model_id: str
    version: str
    entry: dict[str, Any]
    files: dict[str, str]  # file name in the folder -> blob key


async def begin_run(uow: UnitOfWork, run_id: str) -> RunMaterial | None:
    """Mark the run running and its version validating; None when the run is gone."""
    store = store_of(uow)
    run = await store.run(run_id)
    if run is None:
        return None
    version = await store.version_by_id(run.version_id)
    model = await store.get_model(version.model_id) if version else None
    if version is None or model is None:
        return None
    now = utcnow()
    run.status, run.started_at = "running", now
    if version.validation_status not in SETTLED:
        version.validation_status = ValidationStatus.VALIDATING.value
        version.last_updated = now
    await refresh_model(uow, model)
    entry: dict[str, Any] = dict(version.entry)
    entry.update(
        model_id=model.model_id,
        version=version.version,
        file_location=version.file_name,
        checksum=version.checksum,
        validation_status=ValidationStatus.SUBMITTED.value,
        submission_date=version.submission_date.date().isoformat(),
        last_updated=version.last_updated.date().isoformat(),
    )
    files = {version.file_name: version.file_key}
    if version.reference_points_key and version.reference_points_name:
        entry["reference_points"] = version.reference_points_name
        files[version.reference_points_name] = version.reference_points_key
    for companion in version.companions:
        files[companion["href"]] = companion["key"]
    return RunMaterial(
        run_id=run.id,
        model_id=model.model_id,
        version=version.version,
        entry=entry,
        files=files,
    )


@dataclass(frozen=True)
class StoredArtefact:
    name: str
    key: str
    media_type: str
    size: int


async def finish_run(
    uow: UnitOfWork,
    run_id: str,
    *,
    run_report: RunReport,
    artefacts: Sequence[StoredArtefact],
) -> str | None:
    """Record the report and outcome; a version under validation becomes awaiting_review or
    failed (settled versions keep their status). Returns the run's status."""
    store = store_of(uow)
    run = await store.run(run_id)
    if run is None:
        return None
    version = await store.version_by_id(run.version_id)
    model = await store.get_model(version.model_id) if version else None
    if version is None or model is None:
        return None
    entry = run_report.entries[0] if run_report.entries else None
    passed = entry is not None and entry.status == "passed"
    now = utcnow()
    run.status = "passed" if passed else "failed"
    run.finished_at = now
    run.engines = dict(entry.engines) if entry else {}
    run.report = run_report.model_dump(mode="json")
    run.artefacts = {
        a.name: {"key": a.key, "media_type": a.media_type, "size": a.size} for a in artefacts
    }
    if entry is not None and entry.enriched is not None:
        enriched: Entry = entry.enriched
        version.summary = enriched.summary.model_dump(mode="json") if enriched.summary else None
        version.format = enriched.format or version.format
        version.canonical_checksum = enriched.canonical_checksum
        version.keywords = list(enriched.metadata.search_keywords)
    if version.validation_status not in SETTLED:
        version.validation_status = (
            ValidationStatus.AWAITING_REVIEW.value if passed else ValidationStatus.FAILED.value
        )
    version.last_updated = now
    await refresh_model(uow, model)
    return run.status


def failure_report(message: str, *, name: str, version: str, model_id: str) -> RunReport:
    """A report of one failed `pipeline` check: the pipeline could not run or its job gave up."""
    check = CheckResult(
        name="pipeline",
        step="integrity",
        status="failed",
        duration_ms=0.0,
        message=message[:2000],
    )
    return RunReport(
        started_at=utcnow(),
        duration_ms=0.0,
        root=f"model {model_id} version {version}",
        tool_version="",
        entries=[
            EntryReport(
                entry="entry",
                name=name,
                version=version,
                model_id=model_id,
                status="failed",
                duration_ms=0.0,
                checks=[check],
            )
        ],
    )


async def fail_run(uow: UnitOfWork, run_id: str, error: str) -> str | None:
    """Record a run whose job failed for good before `finish_run` (e.g. a blob is missing):
    the run fails with the error in its report, a version under validation becomes failed.
    A run that finished already, or is gone, is left alone (None)."""
    store = store_of(uow)
    run = await store.run(run_id)
    if run is None or run.finished_at is not None:
        return None
    version = await store.version_by_id(run.version_id)
    if version is None:
        return None
    report = failure_report(
        f"the validation job failed and will not be retried: {error}",
        name=str(version.entry.get("name", "")),
        version=version.version,
        model_id=version.model_id,
    )
    return await finish_run(uow, run_id, run_report=report, artefacts=[])
