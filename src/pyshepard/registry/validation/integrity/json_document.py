"""`integrity.json`: the model file is JSON only: not binary, UTF-8, nested no deeper than the
limit (checked on the bytes before parsing), no NaN/Infinity, no duplicate keys."""

from __future__ import annotations

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity.jsonguard import parse_json
from pyshepard.registry.validation.results import CheckSkipped

NAME = "integrity.json"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        if ctx.model_bytes is None:
            raise CheckSkipped("no readable model file")
        ctx.document, info = parse_json(ctx.model_bytes, max_depth=ctx.config.max_json_depth)
        outcome.message = f"valid JSON, nesting depth {info['depth']}"
        outcome.details = info | {"depth_limit": ctx.config.max_json_depth}
