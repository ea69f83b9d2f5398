"""The state one entry's checks read and fill in, in pipeline order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyshepard.registry.engines import Engine, LoadedModel
from pyshepard.registry.entry import Entry, EntryLink, ModelSummary
from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.layout import EntrySource
from pyshepard.registry.validation.results import Recorder


@dataclass
class Companion:
    """A file an entry links to and the pipeline reads (patch-of, hs3-twin)."""

    link: EntryLink
    path: Path
    document: Any
    sha256: str


@dataclass
class PatchPlan:
    """The patches a patchset entry asks the runner to evaluate in parallel."""

    patchset_path: Path
    patchset_sha256: str
    background_path: Path
    background_sha256: str
    names: list[str]
    fit_names: list[str]


@dataclass
class EntryContext:
    source: EntrySource
    config: ValidationConfig
    recorder: Recorder
    raw_entry: dict[str, Any] | None = None
    entry: Entry | None = None
    model_path: Path | None = None
    model_bytes: bytes | None = None
    document: Any = None
    sha256: str | None = None
    canonical_sha256: str | None = None
    model_format: str | None = None
    engine: Engine | None = None
    engines: dict[str, str] = field(default_factory=dict)
    schema_valid: bool = False
    companions: dict[str, Companion] = field(default_factory=dict)
    model: LoadedModel | None = None
    patchset: Any = None
    patch_plan: PatchPlan | None = None
    summary: ModelSummary | None = None
    links: list[EntryLink] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    model_id: str | None = None
    artifacts: list[str] = field(default_factory=list)
    artifacts_dir: Path | None = None

    def entry_value(self, key: str) -> Any:
        return (self.raw_entry or {}).get(key)
