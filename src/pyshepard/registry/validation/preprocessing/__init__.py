"""Step 3 of the pipeline: pre-processing, one module per product."""

from __future__ import annotations

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.preprocessing import (
    identity,
    keywords,
    links,
    summary,
    visualisations,
)

NAMES = (summary.NAME, identity.NAME, keywords.NAME, links.NAME, visualisations.NAME)


def run_all(ctx: EntryContext) -> None:
    if ctx.document is None or ctx.model_format is None or not ctx.schema_valid:
        for name in NAMES:
            ctx.recorder.skip(name, "preprocessing", "skipped: the model did not pass integrity")
        return
    summary.run(ctx)
    identity.run(ctx)
    keywords.run(ctx)
    links.run(ctx)
    visualisations.run(ctx)
