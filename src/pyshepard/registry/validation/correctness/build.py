"""`correctness.build`: the engine builds the model (for a patchset: the background-only
workspace; each patch is built in `correctness.patches`)."""

from __future__ import annotations

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "correctness.build"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "correctness") as outcome:
        if ctx.engine is None:
            raise CheckSkipped("no engine")
        document = ctx.document
        if ctx.model_format == "pyhf-patchset":
            document = ctx.companions["patch-of"].document
        try:
            ctx.model = ctx.engine.load(document)
        except Exception as error:
            raise CheckFailed(f"{ctx.engine.name} cannot build the model: {error}") from error
        free = sum(1 for p in ctx.model.parameters if not p.fixed)
        outcome.message = (
            f"built with {ctx.engine.name}: {len(ctx.model.parameters)} parameters "
            f"({free} free), POI {ctx.model.poi or 'none'}"
        )
        outcome.details = {"engine": ctx.engine.name, **ctx.model.describe()}
