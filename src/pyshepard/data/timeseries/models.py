"""Timeseries channels and their points: one narrow table per value type, keyed (channel, ts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from pyshepard.core.db import Base


class Channel(Base):
    """Upstream's `timeseries` row: a 5-tuple in a container, its value type fixed on creation."""

    __tablename__ = "timeseries"

    # int32 on the wire, as upstream's Postgres identity column
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    container_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("containers.id", ondelete="CASCADE")
    )
    measurement: Mapped[str] = mapped_column(Text)
    device: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    symbolic_name: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(Text)
    # Boolean | Integer | Double | String
    value_type: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        UniqueConstraint(
            "container_id",
            "measurement",
            "device",
            "location",
            "symbolic_name",
            "field",
            name="uq_timeseries_channel",
        ),
    )


def _points(name: str, value_type: TypeEngine[Any]) -> Table:
    # No foreign key to `timeseries`: a per-row check would slow bulk ingest; the service deletes
    # a channel's points with the channel. WITHOUT ROWID on SQLite clusters rows by the key.
    return Table(
        name,
        Base.metadata,
        Column("timeseries_id", Integer, primary_key=True, autoincrement=False),
        Column("ts", BigInteger, primary_key=True, autoincrement=False),
        Column("value", value_type, nullable=False),
        sqlite_with_rowid=False,
    )


POINT_TABLES: dict[str, Table] = {
    "Double": _points("timeseries_points_double", Double()),
    "Integer": _points("timeseries_points_integer", BigInteger()),
    "String": _points("timeseries_points_string", Text()),
    "Boolean": _points("timeseries_points_boolean", Boolean()),
}
