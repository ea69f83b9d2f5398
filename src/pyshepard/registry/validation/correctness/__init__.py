"""Step 2 of the pipeline: correctness checks, one module each (the model is built first)."""

from __future__ import annotations

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.correctness import (
    build,
    cross_backend,
    cross_engine,
    fit,
    patches,
    reference_points,
    stability,
)

NAMES = (
    build.NAME,
    reference_points.NAME,
    stability.NAME,
    fit.NAME,
    cross_backend.NAME,
    cross_engine.NAME,
    patches.NAME,
)


def run_all(ctx: EntryContext) -> None:
    ready = (
        ctx.schema_valid
        and ctx.engine is not None
        and ctx.model_format in {"pyhf-workspace", "pyhf-patchset", "hs3"}
        and not ctx.recorder.failed("integrity.linked_files")
    )
    if not ready:
        for name in NAMES:
            ctx.recorder.skip(name, "correctness", "skipped: the model did not pass integrity")
        return
    build.run(ctx)
    if ctx.model is None:
        for name in NAMES[1:]:
            ctx.recorder.skip(name, "correctness", "skipped: the model could not be built")
        return
    reference_points.run(ctx)
    stability.run(ctx)
    fit.run(ctx)
    cross_backend.run(ctx)
    cross_engine.run(ctx)
    patches.run(ctx)
