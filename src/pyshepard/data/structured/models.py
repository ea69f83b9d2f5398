"""Structured-data documents: one row per JSON document, JSONB on PostgreSQL, JSON1 on SQLite."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.db import Base, BigId, JsonDoc, UTCDateTime


class StructuredDocument(Base):
    __tablename__ = "structured_data"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    container_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("containers.id", ondelete="CASCADE")
    )
    # 24 hex digits, shaped like upstream's Mongo ObjectIds
    oid: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # PostgreSQL: the document's JSON text as received, to read it back with its keys in order
    # (jsonb, which every filter runs on, keeps none); NULL on SQLite, whose JSON1 text does
    body: Mapped[str | None] = mapped_column(Text, default=None)

    def content(self) -> dict[str, Any]:
        """The document, its keys in the order they were sent."""
        if self.body is None:
            return self.document
        ordered: dict[str, Any] = json.loads(self.body)
        return ordered

    __table_args__ = (Index("ix_structured_data_container_id_id", "container_id", "id"),)
