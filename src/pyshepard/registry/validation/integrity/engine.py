"""`integrity.engine`: the engines this entry needs are installed; their versions are recorded."""

from __future__ import annotations

from pyshepard.registry.engines import ENGINE_FOR_FORMAT, EngineUnavailable, engine_named
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.engine"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        if ctx.model_format is None:
            raise CheckSkipped("model format unknown")
        needed = [ENGINE_FOR_FORMAT[ctx.model_format]]
        rels = {
            link.get("rel") for link in ctx.entry_value("links") or [] if isinstance(link, dict)
        }
        if "hs3-twin" in rels:
            needed.append("pyhs3")
        missing = []
        for name in dict.fromkeys(needed):
            engine = engine_named(name)
            try:
                ctx.engines[name] = engine.version()
            except EngineUnavailable as error:
                missing.append(str(error))
        ctx.engine = engine_named(needed[0]) if needed[0] in ctx.engines else None
        outcome.details = {"engines": dict(ctx.engines)}
        if missing:
            raise CheckFailed("; ".join(missing), {"engines": dict(ctx.engines)})
        outcome.message = ", ".join(f"{name} {version}" for name, version in ctx.engines.items())
