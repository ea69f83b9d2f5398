"""`integrity.schema`: the model validates against its engine's schema (pyhf's shipped JSON
schemas plus duplicate-name rules; pyhs3's workspace model for HS3)."""

from __future__ import annotations

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.schema"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        if ctx.engine is None or ctx.model_format is None:
            raise CheckSkipped("no engine for this file")
        problems = ctx.engine.schema_problems(ctx.document, ctx.model_format)
        outcome.details = {"engine": ctx.engine.name, "format": ctx.model_format}
        if problems:
            raise CheckFailed(
                f"{ctx.model_format} schema: " + "; ".join(problems),
                {"problems": problems, "engine": ctx.engine.name},
            )
        ctx.schema_valid = True
        outcome.message = (
            f"valid {ctx.model_format} ({ctx.engine.name} {ctx.engines[ctx.engine.name]})"
        )
