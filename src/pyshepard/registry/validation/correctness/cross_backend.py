"""`correctness.cross_backend`: pyhf's numpy backend and a second installed pyhf backend (jax,
pytorch or tensorflow) agree at 64-bit on the log-likelihood at the initial point and ±1 sigma
shifts; reported with the largest relative difference."""

from __future__ import annotations

from pyshepard.registry.engines.pyhf_engine import PyhfEngine, available_backends
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.correctness.points import relative_difference, shift_points
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "correctness.cross_backend"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "correctness") as outcome:
        if ctx.model is None or ctx.model.engine_name != "pyhf":
            raise CheckSkipped("only pyhf models have several tensor backends")
        backends = available_backends()
        if not backends:
            raise CheckSkipped(
                "skipped: no second backend (none of jax, pytorch, tensorflow is installed); "
                "evaluated with numpy only"
            )
        backend = backends[0]
        document = ctx.document
        if ctx.model_format == "pyhf-patchset":
            document = ctx.companions["patch-of"].document
        other = PyhfEngine().load(document, backend=backend, precision="64b", validate=False)
        points = shift_points(ctx.model, limit=ctx.config.cross_engine_max_points)
        reference = ctx.model.logpdf_many([p.values for p in points])
        compared = other.logpdf_many([p.values for p in points])
        differences = [relative_difference(a, b) for a, b in zip(reference, compared, strict=True)]
        worst = max(range(len(points)), key=lambda i: differences[i])
        outcome.details = {
            "backends": ["numpy", backend],
            "points": len(points),
            "max_relative_difference": differences[worst],
            "worst_point": points[worst].label,
            "rtol": ctx.config.cross_engine_rtol,
        }
        if differences[worst] > ctx.config.cross_engine_rtol:
            raise CheckFailed(
                f"numpy and {backend} differ by {differences[worst]:.3g} (relative) at "
                f"{points[worst].label}, over {ctx.config.cross_engine_rtol:g}",
                outcome.details,
            )
        outcome.message = (
            f"numpy vs {backend}: max relative difference {differences[worst]:.3g} "
            f"over {len(points)} points"
        )
