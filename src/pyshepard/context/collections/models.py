from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.audit import EntityColumns
from pyshepard.core.db import Base, JsonDoc


class Collection(EntityColumns, Base):
    __tablename__ = "collections"

    description: Mapped[str | None] = mapped_column(Text, default=None)
    attributes: Mapped[dict[str, str]] = mapped_column(JsonDoc, default=dict)
    default_file_container_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
