"""`integrity.size`: the model file exists where `file_location` says and is within the size
limit; an oversized file is rejected from its `stat`, never read."""

from __future__ import annotations

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity.jsonguard import check_size
from pyshepard.registry.validation.layout import LocationError
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.size"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        location = ctx.entry_value("file_location")
        if not isinstance(location, str) or not location:
            raise CheckSkipped("entry.json names no file_location")
        try:
            path = ctx.source.resolve(location)
        except LocationError as error:
            raise CheckFailed(str(error)) from error
        size = check_size(path, ctx.config.max_file_bytes)
        ctx.model_path = path
        outcome.message = f"{size} bytes (limit {ctx.config.max_file_bytes})"
        outcome.details = {"size": size, "limit": ctx.config.max_file_bytes, "file": path.name}
