"""`correctness.patches`: every patch of a patchset, one by one: the patch applies to the
background-only workspace, the operations validate against pyhf's schema at their targets, the
patched model builds, its log-likelihood is finite at init and ±1 sigma with no negative expected
yields, and (on an evenly spaced sample of `patch_fits` patches, or all when -1) the MLE fit
converges. The runner evaluates chunks of patches in parallel worker processes."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyshepard.registry.engines.pyhf_engine import PyhfEngine, PyhfPatchSet
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.context import EntryContext, PatchPlan
from pyshepard.registry.validation.correctness import fit as fit_check
from pyshepard.registry.validation.correctness import stability
from pyshepard.registry.validation.integrity.jsonguard import read_limited, sha256_hex
from pyshepard.registry.validation.results import CheckResult

NAME = "correctness.patches"
MAX_FAILURES_LISTED = 50


def run(ctx: EntryContext) -> None:
    """Plan the patch evaluation; `evaluate_inline` or the runner carries it out."""
    if ctx.model_format != "pyhf-patchset":
        ctx.recorder.skip(NAME, "correctness", "not a patchset")
        return
    patchset: PyhfPatchSet = ctx.patchset
    background = ctx.companions["patch-of"]
    if ctx.model_path is None or ctx.sha256 is None:
        ctx.recorder.skip(NAME, "correctness", "no patchset file")
        return
    names = patchset.names
    ctx.patch_plan = PatchPlan(
        patchset_path=ctx.model_path,
        patchset_sha256=ctx.sha256,
        background_path=background.path,
        background_sha256=background.sha256,
        names=names,
        fit_names=sample_for_fits(names, ctx.config.patch_fits),
    )


def sample_for_fits(names: list[str], limit: int) -> list[str]:
    if limit < 0 or limit >= len(names):
        return list(names)
    if limit == 0:
        return []
    if limit == 1:
        return [names[0]]
    step = (len(names) - 1) / (limit - 1)
    return list(dict.fromkeys(names[round(i * step)] for i in range(limit)))


def _read_verified(path: Path, sha256: str, limit: int) -> Any:
    data = read_limited(path, limit)
    if sha256_hex(data) != sha256:
        raise ValueError(f"{path.name} changed since its integrity checks")
    return json.loads(data)


def evaluate_chunk(
    plan: PatchPlan,
    names: list[str],
    config: ValidationConfig,
    on_patch: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate the named patches; the files are re-read and must still match their checksums
    (their guarded parse and schema validation happened once, in the entry's integrity step)."""
    background = _read_verified(plan.background_path, plan.background_sha256, config.max_file_bytes)
    patchset = PyhfPatchSet(
        background, _read_verified(plan.patchset_path, plan.patchset_sha256, config.max_file_bytes)
    )
    fit_names = set(plan.fit_names)
    results = []
    for name in names:
        result = _evaluate_one(patchset, name, with_fit=name in fit_names)
        results.append(result)
        if on_patch is not None:
            on_patch(result)
    return results


def _evaluate_one(patchset: PyhfPatchSet, name: str, *, with_fit: bool) -> dict[str, Any]:
    start = time.perf_counter()
    result: dict[str, Any] = {"name": name, "values": patchset.values(name)}
    try:
        problems = _problems(patchset, name, with_fit=with_fit, result=result)
    except MemoryError:
        problems = ["memory limit exceeded"]
    except Exception as error:  # an engine error fails this patch, not the others
        problems = [f"{type(error).__name__}: {error}"]
    result["status"] = "failed" if problems else "passed"
    result["problems"] = problems
    result["duration_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return result


def _problems(
    patchset: PyhfPatchSet, name: str, *, with_fit: bool, result: dict[str, Any]
) -> list[str]:
    document, problems = patchset.patched(name)
    if problems:
        return problems
    model = PyhfEngine().load(document, validate=False)
    findings = stability.examine(model)
    result["logpdf_init"] = findings.logpdf_init
    result["poi"] = model.poi
    problems = list(findings.problems)
    if with_fit:
        outcome = model.fit()
        result["fit_twice_nll"] = outcome.twice_nll if math.isfinite(outcome.twice_nll) else None
        reason = fit_check.problem(outcome)
        if reason:
            problems.append(reason)
    return problems


def aggregate(plan: PatchPlan, results: list[dict[str, Any]], wall_ms: float) -> CheckResult:
    """One check for all patches; its duration is the evaluation time summed over patches (the
    wall time of the parallel phase, queueing included, is in the details)."""
    failed = [r for r in results if r["status"] != "passed"]
    fitted = [r["name"] for r in results if "fit_twice_nll" in r]
    details: dict[str, Any] = {
        "patches": len(plan.names),
        "evaluated": len(results),
        "wall_ms": round(wall_ms, 3),
        "failed": len(failed),
        "fitted": fitted,
        "failures": [
            {"name": r["name"], "problems": r["problems"][:5]} for r in failed[:MAX_FAILURES_LISTED]
        ],
        "per_patch": [
            {
                "name": r["name"],
                "status": r["status"],
                "logpdf_init": r.get("logpdf_init"),
                "duration_ms": r.get("duration_ms"),
            }
            for r in results
        ],
    }
    missing = len(plan.names) - len(results)
    if failed or missing:
        first = "; ".join(f"{r['name']}: {r['problems'][0]}" for r in failed[:3] if r["problems"])
        message = f"{len(failed) + missing} of {len(plan.names)} patches fail" + (
            f": {first}" if first else ""
        )
        status = "failed"
    else:
        message = (
            f"{len(results)}/{len(plan.names)} patches pass (schema at patched paths, build, "
            f"finite logpdf at init and ±1 sigma, no negative yields; MLE fit on {len(fitted)})"
        )
        status = "passed"
    return CheckResult(
        name=NAME,
        step="correctness",
        status=status,
        duration_ms=round(sum(r.get("duration_ms") or 0.0 for r in results), 3),
        message=message,
        details=details,
    )


def evaluate_inline(ctx: EntryContext) -> None:
    """Evaluate the planned patches in this process (no runner)."""
    if ctx.patch_plan is None:
        return
    start = time.perf_counter()
    results = evaluate_chunk(ctx.patch_plan, ctx.patch_plan.names, ctx.config)
    ctx.recorder.add(aggregate(ctx.patch_plan, results, (time.perf_counter() - start) * 1000))
