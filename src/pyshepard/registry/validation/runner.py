"""`validate_path`: every entry under a folder through steps 1-3 in sandboxed worker processes,
patchsets fanned out in chunks of patches, results collected into a `RunReport`."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyshepard import __version__
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.context import PatchPlan
from pyshepard.registry.validation.correctness import patches
from pyshepard.registry.validation.layout import EntrySource, discover
from pyshepard.registry.validation.pipeline import EntryOutcome, finalise
from pyshepard.registry.validation.results import CheckResult, EntryReport, RunReport, Step
from pyshepard.registry.validation.sandbox import Event, Task, WorkerPool
from pyshepard.registry.validation.tasks import ENTRY, PATCH_CHUNK

Progress = Callable[[EntryReport], None]


@dataclass
class _EntryState:
    source: EntrySource
    seen: list[CheckResult] = field(default_factory=list)
    current: tuple[str, Step] | None = None
    report: EntryReport | None = None
    plan: PatchPlan | None = None
    chunks_left: int = 0
    patch_results: list[dict[str, Any]] = field(default_factory=list)
    chunk_failures: list[str] = field(default_factory=list)
    fanned_at: float = 0.0
    started: float | None = None
    final: EntryReport | None = None


def validate_path(
    path: Path,
    config: ValidationConfig,
    *,
    jobs: int = 1,
    artifacts_root: Path | None = None,
    progress: Progress | None = None,
) -> RunReport:
    started_at = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    sources = discover(path)
    states = {source.slug: _EntryState(source) for source in sources}
    if states:
        with WorkerPool(jobs, memory_mb=config.memory_limit_mb, cache_dir=config.cache_dir) as pool:
            for state in states.values():
                pool.submit(
                    Task(
                        key=state.source.slug,
                        reference=ENTRY,
                        args=(state.source, config, artifacts_root),
                        timeout_s=config.task_timeout_s,
                    )
                )
            for event in pool.events():
                state = states[event.task.key]
                _handle(pool, state, event, config, jobs)
                if state.final is None and _complete(state):
                    state.final = _finish(state, artifacts_root)
                    if progress is not None:
                        progress(state.final)
    entries = [s.final for s in states.values() if s.final is not None]
    return RunReport(
        started_at=started_at,
        duration_ms=round((time.perf_counter() - start) * 1000, 3),
        root=str(path),
        tool_version=__version__,
        entries=entries,
    )


def _handle(
    pool: WorkerPool, state: _EntryState, event: Event, config: ValidationConfig, jobs: int
) -> None:
    if event.task.reference == PATCH_CHUNK:
        _handle_chunk(state, event)
        return
    if state.started is None:
        state.started = time.perf_counter()
    if event.kind == "started":
        state.current = (event.payload["name"], event.payload["step"])
    elif event.kind == "check":
        state.seen.append(CheckResult.model_validate(event.payload))
        state.current = None
    elif event.kind == "done":
        outcome: EntryOutcome = event.payload
        state.report = outcome.report
        if outcome.patch_plan is not None:
            _fan_out(pool, state, outcome.patch_plan, config, jobs)
    else:
        state.report = _broken_report(state, event)


def _fan_out(
    pool: WorkerPool, state: _EntryState, plan: PatchPlan, config: ValidationConfig, jobs: int
) -> None:
    state.plan = plan
    state.fanned_at = time.perf_counter()
    size = max(1, min(config.patch_chunk_size, -(-len(plan.names) // max(1, jobs))))
    chunks = [plan.names[i : i + size] for i in range(0, len(plan.names), size)]
    state.chunks_left = len(chunks)
    # ahead of entries still waiting, so a patchset finishes (and frees its memory) early
    for chunk in reversed(chunks):
        pool.submit(
            Task(
                key=state.source.slug,
                reference=PATCH_CHUNK,
                args=(plan, chunk, config),
                timeout_s=config.task_timeout_s,
            ),
            first=True,
        )


def _handle_chunk(state: _EntryState, event: Event) -> None:
    if event.kind == "done":
        state.patch_results.extend(event.payload)
    elif event.kind in {"error", "timeout", "died"}:
        chunk = event.task.args[1]
        reason = _describe_failure(event)
        done = {r["name"] for r in state.patch_results}
        for name in chunk:
            if name not in done:
                state.patch_results.append(
                    {"name": name, "status": "failed", "problems": [reason], "values": []}
                )
        state.chunk_failures.append(reason)
    if event.kind in {"done", "error", "timeout", "died"}:
        state.chunks_left -= 1


def _describe_failure(event: Event) -> str:
    if event.kind == "timeout":
        return f"timed out after {event.payload:g} s (wall-time limit); the worker was killed"
    if event.kind == "died":
        code = event.payload
        cause = f"signal {-code}" if isinstance(code, int) and code < 0 else f"exit code {code}"
        hint = "MemoryError" if "MemoryError" in event.detail else ""
        return f"worker process died ({cause}); likely over the memory limit" + (
            f" ({hint})" if hint else ""
        )
    return f"worker error: {event.payload}"


def _broken_report(state: _EntryState, event: Event) -> EntryReport:
    """The entry's worker timed out, died or crashed: keep the checks it finished and fail the
    one that was running."""
    checks = list(state.seen)
    name, step = state.current or ("pipeline", "integrity")
    elapsed = _elapsed_ms(state)
    checks.append(
        CheckResult(
            name=name,
            step=step,
            status="failed",
            duration_ms=round(elapsed - sum(c.duration_ms for c in checks), 3),
            message=_describe_failure(event),
            details={"event": event.kind, "log_tail": event.detail[-2000:]},
        )
    )
    return EntryReport(
        entry=state.source.slug, status="failed", duration_ms=round(elapsed, 3), checks=checks
    )


def _elapsed_ms(state: _EntryState) -> float:
    """Time since the entry's worker started on it (queueing time excluded)."""
    return 0.0 if state.started is None else (time.perf_counter() - state.started) * 1000


def _complete(state: _EntryState) -> bool:
    return state.report is not None and state.chunks_left == 0


def _finish(state: _EntryState, artifacts_root: Path | None) -> EntryReport:
    if state.report is None:
        raise RuntimeError("entry finished without a report")
    extra: list[CheckResult] = []
    if state.plan is not None:
        duration = (time.perf_counter() - state.fanned_at) * 1000
        extra.append(patches.aggregate(state.plan, state.patch_results, duration))
    report = finalise(state.report, extra)
    total = report.duration_ms + sum(check.duration_ms for check in extra)
    report = report.model_copy(update={"duration_ms": round(total, 3)})
    if artifacts_root is not None and report.enriched is not None:
        directory = artifacts_root / state.source.slug
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "entry.json"
        data = report.enriched.model_dump(mode="json", exclude_none=True)
        target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        report = report.model_copy(update={"artifacts": [*report.artifacts, str(target)]})
    return report
