"""Registry tables: a model (concept) with immutable versions, validation runs, reviews and
webhooks. Every blob column holds a BlobStore key (sha256, content-addressed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import Base, BigId, JsonDoc, UTCDateTime


class RegistryModel(Base):
    """A model concept; `status` mirrors its latest version, `approved_version` is the newest
    approved one (what anonymous callers see)."""

    __tablename__ = "registry_models"
    __table_args__ = (
        UniqueConstraint("name_key", "collaboration_key"),
        Index("ix_registry_models_status", "status"),
    )

    model_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    name_key: Mapped[str] = mapped_column(String(512))  # casefolded, for the concept lookup
    domain: Mapped[str] = mapped_column(String(128), index=True)
    collaboration: Mapped[str] = mapped_column(String(512))
    collaboration_key: Mapped[str] = mapped_column(String(512))
    doi: Mapped[str | None] = mapped_column(String(512))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDoc)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(32))
    latest_version: Mapped[str] = mapped_column(String(255))
    approved_version: Mapped[str | None] = mapped_column(String(255))
    # lower-cased name, keywords, tags, collaboration, DOI and summary facts, for search
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegistryModelVersion(Base):
    """One immutable version: the model file and its companions as blobs, plus what the
    pipeline extracted from them."""

    __tablename__ = "registry_model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_id: Mapped[str] = mapped_column(
        ForeignKey("registry_models.model_id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    file_key: Mapped[str] = mapped_column(String(255), index=True)
    checksum: Mapped[str] = mapped_column(String(80))
    canonical_checksum: Mapped[str | None] = mapped_column(String(80))
    format: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    keywords: Mapped[list[str]] = mapped_column(JsonDoc)
    reference_points_name: Mapped[str | None] = mapped_column(String(255))
    reference_points_key: Mapped[str | None] = mapped_column(String(255))
    # [{href, key, checksum, size}] for patch-of / hs3-twin files
    companions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    # the submitted entry.json fields of this version (links, metadata, dates, ...)
    entry: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    validation_status: Mapped[str] = mapped_column(String(32))
    submitted_by: Mapped[str] = mapped_column(String(255))
    submission_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime())


class ValidationRun(Base):
    """One pipeline run over a version; every run is kept (history, re-validation)."""

    __tablename__ = "registry_validation_runs"
    __table_args__ = (
        Index("ix_registry_validation_runs_version_created", "version_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("registry_model_versions.id", ondelete="CASCADE")
    )
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))  # queued | running | passed | failed
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    engines: Mapped[dict[str, str]] = mapped_column(JsonDoc)
    report: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # {name: {key, media_type, size}}
    artefacts: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class Review(Base):
    __tablename__ = "registry_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("registry_model_versions.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegistryWebhook(Base):
    """A receiver of `model.published` events; bodies are signed with its secret."""

    __tablename__ = "registry_webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(255))
    events: Mapped[list[str]] = mapped_column(JsonDoc)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
