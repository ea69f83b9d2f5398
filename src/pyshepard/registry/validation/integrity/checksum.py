"""`integrity.checksum`: sha256 of the stored bytes equals the entry's declared `checksum`."""

from __future__ import annotations

from pyshepard.registry.entry import sha256_checksum
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity.jsonguard import read_limited, sha256_hex
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.checksum"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        if ctx.model_path is None:
            raise CheckSkipped("no readable model file")
        ctx.model_bytes = read_limited(ctx.model_path, ctx.config.max_file_bytes)
        ctx.sha256 = sha256_hex(ctx.model_bytes)
        actual = sha256_checksum(ctx.sha256)
        declared = ctx.entry_value("checksum")
        outcome.details = {"declared": declared, "actual": actual}
        if not isinstance(declared, str) or not declared:
            raise CheckFailed(f"entry declares no checksum; the file's is {actual}")
        if declared.lower() != actual:
            raise CheckFailed(f"checksum mismatch: entry declares {declared}, file is {actual}")
        outcome.message = f"sha256 matches ({ctx.sha256[:12]}…)"
