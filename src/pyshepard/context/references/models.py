"""All reference kinds in one table, so the generic `/references` endpoints are one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.audit import EntityColumns
from pyshepard.core.db import Base, JsonDoc


class Reference(EntityColumns, Base):
    __tablename__ = "references"

    data_object_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("data_objects.id", ondelete="CASCADE"), index=True
    )
    # upstream class name: URIReference, CollectionReference, FileReference, ...
    type: Mapped[str] = mapped_column(String(64), index=True)
    relationship: Mapped[str | None] = mapped_column(Text, default=None)
    uri: Mapped[str | None] = mapped_column(Text, default=None)
    referenced_collection_id: Mapped[int | None] = mapped_column(
        BigInteger, index=True, default=None
    )
    referenced_data_object_id: Mapped[int | None] = mapped_column(
        BigInteger, index=True, default=None
    )
    container_id: Mapped[int | None] = mapped_column(BigInteger, index=True, default=None)
    # kind-specific payload: file/structured oids, timeseries list and range, spatial query
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
