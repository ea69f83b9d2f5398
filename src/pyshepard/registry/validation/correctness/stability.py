"""`correctness.stability`: the log-likelihood of the observed data is finite at the initial
parameters and at -1/+1 sigma of every free parameter, and no bin's total expected yield is negative
at any of those points. sigma is the constraint width for constrained parameters and 10% of the
bound range otherwise; shifted values are clipped into the parameter bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pyshepard.registry.engines import LoadedModel
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.correctness.points import shift_points
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "correctness.stability"
MAX_LISTED = 20


@dataclass
class Findings:
    points: int = 0
    problems: list[str] = field(default_factory=list)
    logpdf_range: tuple[float, float] | None = None
    yields_checked: bool = False
    logpdf_init: float | None = None

    def details(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "logpdf_init": self.logpdf_init,
            "logpdf_min": self.logpdf_range[0] if self.logpdf_range else None,
            "logpdf_max": self.logpdf_range[1] if self.logpdf_range else None,
            "yields_checked": self.yields_checked,
            "problems": self.problems[:MAX_LISTED],
            "problem_count": len(self.problems),
        }


def examine(model: LoadedModel) -> Findings:
    """Evaluate every shift point; used for whole models and for each patch of a patchset."""
    points = shift_points(model)
    findings = Findings(points=len(points))
    values, totals = model.evaluate_points([point.values for point in points])
    findings.logpdf_init = model.logpdf({})
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        findings.logpdf_range = (min(finite), max(finite))
    for point, value in zip(points, values, strict=True):
        if not math.isfinite(value):
            findings.problems.append(f"logpdf is {value} at {point.label}")
    if totals is not None:
        findings.yields_checked = True
        for point, bins in zip(points, totals, strict=True):
            negative = [i for i, count in enumerate(bins) if count < 0]
            if negative:
                findings.problems.append(
                    f"negative expected yield in bin(s) {negative[:5]} at {point.label} "
                    f"(min {min(bins[i] for i in negative):.4g})"
                )
    return findings


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "correctness") as outcome:
        if ctx.model is None:
            raise CheckSkipped("no model")
        findings = examine(ctx.model)
        outcome.details = findings.details()
        if findings.problems:
            listed = "; ".join(findings.problems[:5])
            raise CheckFailed(f"{len(findings.problems)} instabilities: {listed}", outcome.details)
        free = (findings.points - 1) // 2
        yields = "; no negative expected yields" if findings.yields_checked else ""
        outcome.message = (
            f"logpdf finite at init and ±1 sigma of {free} free parameters "
            f"({findings.points} points){yields}"
        )
