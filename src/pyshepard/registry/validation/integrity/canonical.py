"""`integrity.canonical_checksum`: sha256 of the canonical JSON (sorted keys, compact separators,
UTF-8), so re-formatting a file keeps its identity; it must match the entry's
`canonical_checksum` when one is declared. (pyhf's patchset digests use pyhf's own formatting
and are verified by `integrity.linked_files`.)"""

from __future__ import annotations

from pyshepard.registry.entry import sha256_checksum
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity.jsonguard import canonical_bytes, sha256_hex
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.canonical_checksum"


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        if ctx.document is None:
            raise CheckSkipped("model file is not JSON")
        ctx.canonical_sha256 = sha256_hex(canonical_bytes(ctx.document))
        actual = sha256_checksum(ctx.canonical_sha256)
        declared = ctx.entry_value("canonical_checksum")
        outcome.details = {"canonical_checksum": actual, "declared": declared}
        if declared is not None and str(declared).lower() != actual:
            raise CheckFailed(
                f"canonical checksum mismatch: entry declares {declared}, content is {actual}"
            )
        outcome.message = f"canonical {actual}"
