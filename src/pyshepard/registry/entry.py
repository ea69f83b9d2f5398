"""The registry entry wire model (seed WP2.2 §1 field names plus design §4 additions)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
CHECKSUM_PATTERN = r"^sha256:[0-9a-f]{64}$"
DOI_PATTERN = r"^10\.\d{4,9}/\S+$"

SemVer = Annotated[str, StringConstraints(pattern=SEMVER_PATTERN)]
Checksum = Annotated[str, StringConstraints(pattern=CHECKSUM_PATTERN)]
Doi = Annotated[str, StringConstraints(pattern=DOI_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
EntryDate = dt.date | dt.datetime

ModelFormat = Literal["pyhf-workspace", "pyhf-patchset", "hs3"]
LinkRel = Literal[
    "hepdata",
    "zenodo",
    "inspire",
    "arxiv",
    "doi",
    "supersedes",
    "derived-from",
    "patch-of",
    "hs3-twin",
]
FILE_LINK_RELS: frozenset[str] = frozenset({"patch-of", "hs3-twin"})


class ValidationStatus(StrEnum):
    SUBMITTED = "submitted"
    VALIDATING = "validating"
    FAILED = "failed"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    DEPRECATED = "deprecated"


def is_semver(value: str) -> bool:
    return re.fullmatch(SEMVER_PATTERN, value) is not None


def sha256_checksum(hex_digest: str) -> str:
    return f"sha256:{hex_digest}"


class EntryMetadata(BaseModel):
    tags: list[str] = Field(default_factory=list)
    search_keywords: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)


class EntryLink(BaseModel):
    """A typed link: a DOI/record (hepdata, zenodo, inspire, arxiv, doi), a relation to another
    entry (supersedes, derived-from), or a companion file evaluated with the model (patch-of: the
    background-only workspace a patchset applies to; hs3-twin: the same model in HS3)."""

    rel: LinkRel
    href: NonEmpty
    doi: Doi | None = None
    checksum: Checksum | None = None
    parameter_map: dict[str, str] | None = None
    likelihood: str | None = None


class ChannelSummary(BaseModel):
    name: str
    bins: int
    samples: list[str] = Field(default_factory=list)


class ModelSummary(BaseModel):
    channels: list[ChannelSummary] = Field(default_factory=list)
    bins: int = 0
    samples: list[str] = Field(default_factory=list)
    modifiers: dict[str, int] = Field(default_factory=dict)
    parameters: int = 0
    poi: str | None = None
    measurements: list[str] = Field(default_factory=list)
    patches: int | None = None
    distributions: dict[str, int] = Field(default_factory=dict)


class Entry(BaseModel):
    """A registry entry; unknown keys are ignored here and reported by the entry check."""

    model_config = ConfigDict(extra="ignore")

    model_id: uuid.UUID | None = None
    name: NonEmpty
    doi: Doi | None = None
    version: SemVer
    domain: NonEmpty
    collaboration: NonEmpty
    file_location: NonEmpty
    checksum: Checksum
    reference_points: str | None = None
    metadata: EntryMetadata = Field(default_factory=EntryMetadata)
    validation_status: ValidationStatus = ValidationStatus.SUBMITTED
    submission_date: EntryDate | None = None
    last_updated: EntryDate | None = None
    format: ModelFormat | None = None
    canonical_checksum: Checksum | None = None
    summary: ModelSummary | None = None
    links: list[EntryLink] = Field(default_factory=list)
    versions: list[SemVer] = Field(default_factory=list)
    validation: dict[str, Any] | None = None

    def file_links(self) -> list[EntryLink]:
        return [link for link in self.links if link.rel in FILE_LINK_RELS]

    def link(self, rel: LinkRel) -> EntryLink | None:
        return next((link for link in self.links if link.rel == rel), None)


ENTRY_FIELDS: frozenset[str] = frozenset(Entry.model_fields)
