"""Step 1 of the pipeline: integrity checks, one module each, run in `CHECKS` order."""

from __future__ import annotations

from collections.abc import Callable

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity import (
    canonical,
    checksum,
    engine,
    entry_metadata,
    json_document,
    linked_files,
    model_format,
    schema,
    size,
)

CHECKS: tuple[Callable[[EntryContext], None], ...] = (
    entry_metadata.run,
    size.run,
    checksum.run,
    json_document.run,
    canonical.run,
    model_format.run,
    engine.run,
    schema.run,
    linked_files.run,
)


def run_all(ctx: EntryContext) -> None:
    for check in CHECKS:
        check(ctx)
