from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.audit import EntityColumns
from pyshepard.core.db import Base, JsonDoc


class DataObject(EntityColumns, Base):
    __tablename__ = "data_objects"

    collection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text, default=None)
    attributes: Mapped[dict[str, str]] = mapped_column(JsonDoc, default=dict)
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("data_objects.id", ondelete="SET NULL"), index=True, default=None
    )


class DataObjectLink(Base):
    """predecessor → successor edge of the data-object DAG."""

    __tablename__ = "data_object_links"

    predecessor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("data_objects.id", ondelete="CASCADE"), primary_key=True
    )
    successor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("data_objects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
