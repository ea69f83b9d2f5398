"""One entry through steps 1-3, in-process; `runner` runs this inside sandboxed workers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyshepard.registry.engines.pyhs3_engine import configure_compile_cache
from pyshepard.registry.entry import Entry, ValidationStatus
from pyshepard.registry.validation import correctness, integrity, preprocessing
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.context import EntryContext, PatchPlan
from pyshepard.registry.validation.correctness import patches
from pyshepard.registry.validation.layout import EntrySource
from pyshepard.registry.validation.results import CheckResult, EntryReport, Recorder, Step

Emit = Callable[[str, Any], None]


@dataclass
class EntryOutcome:
    report: EntryReport
    patch_plan: PatchPlan | None


class _Listener:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def started(self, name: str, step: Step) -> None:
        self.emit("started", {"name": name, "step": step})

    def finished(self, result: CheckResult) -> None:
        self.emit("check", result.model_dump(mode="json"))


def run_entry(
    source: EntrySource,
    config: ValidationConfig,
    *,
    artifacts_root: Path | None = None,
    emit: Emit | None = None,
    inline_patches: bool = True,
) -> EntryOutcome:
    """Validate one entry. With `inline_patches` a patchset's patches are evaluated here;
    otherwise the outcome carries the plan for the runner to fan out."""
    start = time.perf_counter()
    configure_compile_cache(config.cache_dir)
    recorder = Recorder(listener=_Listener(emit) if emit is not None else None)
    ctx = EntryContext(
        source=source,
        config=config,
        recorder=recorder,
        artifacts_dir=artifacts_root / source.slug if artifacts_root is not None else None,
    )
    integrity.run_all(ctx)
    correctness.run_all(ctx)
    if inline_patches:
        patches.evaluate_inline(ctx)
    preprocessing.run_all(ctx)
    report = _report(ctx, (time.perf_counter() - start) * 1000)
    return EntryOutcome(report=report, patch_plan=None if inline_patches else ctx.patch_plan)


def _report(ctx: EntryContext, duration_ms: float) -> EntryReport:
    raw = ctx.raw_entry or {}
    enriched = None
    if ctx.entry is not None:
        metadata = ctx.entry.metadata.model_copy(update={"search_keywords": ctx.keywords})
        update: dict[str, Any] = {"metadata": metadata, "links": ctx.links or ctx.entry.links}
        if ctx.model_id is not None:
            update["model_id"] = ctx.model_id
        if ctx.model_format in {"pyhf-workspace", "pyhf-patchset", "hs3"}:
            update["format"] = ctx.model_format
        if ctx.canonical_sha256 is not None:
            update["canonical_checksum"] = f"sha256:{ctx.canonical_sha256}"
        if ctx.summary is not None:
            update["summary"] = ctx.summary
        enriched = Entry.model_validate(ctx.entry.model_dump() | update)
    report = EntryReport(
        entry=ctx.source.slug,
        name=raw.get("name") if isinstance(raw.get("name"), str) else None,
        version=raw.get("version") if isinstance(raw.get("version"), str) else None,
        model_id=ctx.model_id,
        format=ctx.model_format,
        status="passed",
        duration_ms=round(duration_ms, 3),
        checks=list(ctx.recorder.sink),
        engines=dict(ctx.engines),
        artifacts=list(ctx.artifacts),
        enriched=enriched,
    )
    return finalise(report)


def finalise(report: EntryReport, extra: list[CheckResult] | None = None) -> EntryReport:
    """Merge late checks (patch results, sandbox failures) in step order and settle the status,
    the enriched entry's `validation_status` and its `validation` summary."""
    checks = list(report.checks)
    for check in extra or []:
        position = next(
            (i for i, c in enumerate(checks) if _step_rank(c.step) > _step_rank(check.step)),
            len(checks),
        )
        checks.insert(position, check)
    failed = [c for c in checks if c.status == "failed"]
    status = "failed" if failed else "passed"
    enriched = report.enriched
    if enriched is not None:
        previous = enriched.validation_status
        if failed:
            new_status = ValidationStatus.FAILED
        elif previous in {ValidationStatus.APPROVED, ValidationStatus.DEPRECATED}:
            new_status = previous
        else:
            new_status = ValidationStatus.AWAITING_REVIEW
        enriched = enriched.model_copy(
            update={
                "validation_status": new_status,
                "validation": {
                    "status": status,
                    "validated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "engines": report.engines,
                    "checks": {
                        s: sum(1 for c in checks if c.status == s)
                        for s in ("passed", "failed", "skipped")
                    },
                    "failed": [c.name for c in failed],
                },
            }
        )
    return report.model_copy(update={"checks": checks, "status": status, "enriched": enriched})


def _step_rank(step: str) -> int:
    return {"integrity": 0, "correctness": 1, "preprocessing": 2}.get(step, 3)
