"""`integrity.format`: what the JSON is (pyhf workspace, pyhf patchset, HS3) and that it matches
the entry's declared `format`. A bare pyhf model spec (channels only) is recognised so the schema
check can still name its defects, but it is not a registrable format (it carries no data)."""

from __future__ import annotations

from typing import Any

from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "integrity.format"
REGISTRABLE = ("pyhf-workspace", "pyhf-patchset", "hs3")


def detect(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    keys = set(document)
    metadata = document.get("metadata")
    if "patches" in keys and "metadata" in keys:
        return "pyhf-patchset"
    if "channels" in keys and keys & {"observations", "measurements"}:
        return "pyhf-workspace"
    if "channels" in keys:
        return "pyhf-model"
    if (isinstance(metadata, dict) and "hs3_version" in metadata) or "distributions" in keys:
        return "hs3"
    return None


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "integrity") as outcome:
        if ctx.document is None:
            raise CheckSkipped("model file is not JSON")
        detected = detect(ctx.document)
        declared = ctx.entry_value("format")
        outcome.details = {"detected": detected, "declared": declared}
        if detected is None:
            kind = type(ctx.document).__name__
            raise CheckFailed(
                f"unrecognised model format (a JSON {kind} that is neither a pyhf workspace, "
                "a pyhf patchset nor an HS3 file)"
            )
        ctx.model_format = detected
        if detected not in REGISTRABLE:
            raise CheckFailed(
                "a bare pyhf model specification (channels only, no observations or "
                f"measurements) is not registrable; expected one of {', '.join(REGISTRABLE)}"
            )
        if declared is not None and declared != detected:
            raise CheckFailed(f"entry declares format '{declared}' but the file is '{detected}'")
        outcome.message = detected
