"""`correctness.fit`: the maximum-likelihood fit to the observed data converges to a finite
-2 ln L."""

from __future__ import annotations

import math

from pyshepard.registry.engines import FitResult
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "correctness.fit"


def problem(result: FitResult) -> str | None:
    if not result.converged:
        return f"maximum-likelihood fit did not converge: {result.message}"
    if not math.isfinite(result.twice_nll):
        return f"maximum-likelihood fit ended at -2 ln L = {result.twice_nll}"
    return None


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "correctness") as outcome:
        if ctx.model is None:
            raise CheckSkipped("no model")
        result = ctx.model.fit()
        poi = ctx.model.poi
        outcome.details = {
            "converged": result.converged,
            "twice_nll": result.twice_nll,
            "iterations": result.iterations,
            "optimizer_message": result.message,
            "poi": poi,
            "poi_hat": result.values.get(poi) if poi else None,
        }
        reason = problem(result)
        if reason:
            raise CheckFailed(reason, outcome.details)
        poi_text = f", {poi} = {result.values[poi]:.4g}" if poi and poi in result.values else ""
        outcome.message = f"converged: -2 ln L = {result.twice_nll:.6g}{poi_text}"
