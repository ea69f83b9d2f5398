"""`preprocessing.model_id`: keep the entry's UUID or assign one (to be written back to
entry.json; a new version of a model keeps its concept's id)."""

from __future__ import annotations

import uuid

from pyshepard.registry.validation.context import EntryContext

NAME = "preprocessing.model_id"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "preprocessing") as outcome:
        if ctx.entry is not None and ctx.entry.model_id is not None:
            ctx.model_id = str(ctx.entry.model_id)
            outcome.message = f"kept {ctx.model_id}"
        else:
            ctx.model_id = str(uuid.uuid4())
            outcome.message = f"assigned {ctx.model_id} (add it to entry.json)"
        outcome.details = {"model_id": ctx.model_id}
