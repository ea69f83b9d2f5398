"""Task functions the sandboxed workers run (referenced as `module:function` strings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.context import PatchPlan
from pyshepard.registry.validation.correctness import patches
from pyshepard.registry.validation.layout import EntrySource
from pyshepard.registry.validation.pipeline import Emit, EntryOutcome, run_entry

ENTRY = f"{__name__}:validate_entry"
PATCH_CHUNK = f"{__name__}:evaluate_patch_chunk"


def validate_entry(
    source: EntrySource, config: ValidationConfig, artifacts_root: Path | None, *, emit: Emit
) -> EntryOutcome:
    return run_entry(source, config, artifacts_root=artifacts_root, emit=emit, inline_patches=False)


def evaluate_patch_chunk(
    plan: PatchPlan, names: list[str], config: ValidationConfig, *, emit: Emit
) -> list[dict[str, Any]]:
    return patches.evaluate_chunk(plan, names, config, on_patch=lambda r: emit("patch", r["name"]))
