"""Wire models of `/api/models`: the entry (seed field names, `registry.entry.Entry`) plus
server additions, runs, reviews and webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pyshepard.registry.entry import Doi, Entry, EntryLink, EntryMetadata, NonEmpty

ENTRY_EXAMPLE: dict[str, Any] = {
    "model_id": "5b0c6c1e-7c55-4c43-9a43-4b7d1c1c8a10",
    "name": "2-bin 1-channel example",
    "doi": "10.17182/hepdata.90607.v3",
    "version": "1.0.0",
    "domain": "particle_physics",
    "collaboration": "DEMOS examples",
    "file_location": "https://registry.example.org/api/models/5b0c…/file?version=1.0.0",
    "checksum": "sha256:" + "0" * 64,
    "reference_points": "https://registry.example.org/api/models/5b0c…/file?version=1.0.0"
    "&part=reference_points",
    "metadata": {"tags": ["example"], "search_keywords": ["shapesys"], "citations": []},
    "validation_status": "approved",
    "submission_date": "2026-01-15T10:00:00Z",
    "last_updated": "2026-01-16T09:00:00Z",
    "format": "pyhf-workspace",
    "versions": ["1.0.0"],
    "owner": "alice",
}

SUBMIT_EXAMPLE: dict[str, Any] = {
    "name": "2-bin 1-channel example",
    "version": "1.0.0",
    "domain": "particle_physics",
    "collaboration": "DEMOS examples",
    "metadata": {"tags": ["example"], "search_keywords": [], "citations": []},
}


class ReviewRecord(BaseModel):
    version: str
    decision: Literal["approve", "reject"]
    reason: str
    reviewer: str
    at: dt.datetime


class ModelEntry(Entry):
    """The registry entry as the server shows it: `file_location` and `reference_points` are
    download URLs of this server; `validation` is a digest of the latest run."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [ENTRY_EXAMPLE]})

    owner: str
    status: str = Field(description="validation_status of the model's latest version")
    latest_version: str
    approved_version: str | None = None
    reviews: list[ReviewRecord] = Field(default_factory=list)


class SubmittedEntry(BaseModel):
    """The `entry` form field of a submission: entry.json fields; `model_id`, `file_location`
    and `checksum` are optional (the server computes the checksum; a given one must match)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [SUBMIT_EXAMPLE]})

    model_id: str | None = None
    name: NonEmpty
    doi: Doi | None = None
    version: str
    domain: NonEmpty
    collaboration: NonEmpty
    file_location: str | None = None
    checksum: str | None = None
    reference_points: str | None = None
    metadata: EntryMetadata = Field(default_factory=EntryMetadata)
    links: list[EntryLink] = Field(default_factory=list)
    format: Literal["pyhf-workspace", "pyhf-patchset", "hs3"] | None = None
    canonical_checksum: str | None = None
    # accepted and ignored: the server owns these
    validation_status: str | None = None
    submission_date: str | None = None
    last_updated: str | None = None
    summary: dict[str, Any] | None = None
    versions: list[str] | None = None
    validation: dict[str, Any] | None = None


class MetadataUpdate(BaseModel):
    """`PUT /api/models/{id}`: concept metadata only (absent fields stay as they are)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"doi": "10.5281/zenodo.123456", "metadata": {"tags": ["atlas"]}}]
        },
    )

    name: NonEmpty | None = None
    doi: Doi | None = None
    domain: NonEmpty | None = None
    metadata: EntryMetadata | None = None
    links: list[EntryLink] | None = None


class VersionInfo(BaseModel):
    version: str
    validation_status: str
    checksum: str
    canonical_checksum: str | None
    format: str | None
    size: int
    submission_date: dt.datetime
    last_updated: dt.datetime
    submitted_by: str


class RunStarted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"run_id": "9d0c9b0e-0c61-4a37-8c4f-0d5f1f7e2c11", "status": "queued"}]
        }
    )

    run_id: str
    status: str
    version: str | None = None
    model_id: str | None = None


class RunInfo(BaseModel):
    run_id: str
    version: str
    trigger: str
    status: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    engines: dict[str, str]
    artefacts: list[str]


class ReviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision": "approve", "reason": "documented, cited, licence ok"}]
        },
    )

    decision: Literal["approve", "reject"]
    reason: NonEmpty = Field(max_length=10_000)


class Artefact(BaseModel):
    name: str
    media_type: str
    size: int
    url: str


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"url": "https://frontend.example.org/hooks/deploy", "secret": "s3cr3t"}]
        },
    )

    url: NonEmpty = Field(max_length=2048)
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=255,
        description="HMAC-SHA256 key; generated (and shown once) when absent",
    )


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    created_by: str
    created_at: dt.datetime
    secret: str | None = Field(default=None, description="shown only in the create response")


class RevalidateResult(BaseModel):
    runs: list[RunStarted]
