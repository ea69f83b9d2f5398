from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.audit import EntityColumns
from pyshepard.core.db import Base


class Container(EntityColumns, Base):
    """Every data container kind in one table; kind-specific payloads live in their own tables."""

    __tablename__ = "containers"

    # upstream ContainerType: FILE | TIMESERIES | STRUCTUREDDATA | SPATIALDATA
    type: Mapped[str] = mapped_column(String(16), index=True)
    # upstream's Mongo bucket/collection name for FILE and STRUCTUREDDATA containers
    oid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
