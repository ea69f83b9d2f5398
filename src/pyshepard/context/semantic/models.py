"""Semantic repositories and the annotations that point at their terms."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pyshepard.core.audit import EntityColumns
from pyshepard.core.db import Base, BigId


class SemanticRepository(EntityColumns, Base):
    """Upstream's SemanticRepository node: a named endpoint of a type (only SPARQL works)."""

    __tablename__ = "semantic_repositories"

    type: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(Text)


class SemanticAnnotation(Base):
    """A (property, value) pair of IRIs with the labels found for them.

    It annotates either an entity of the shared id space (collection, data object, reference:
    `entity_id`, no foreign key as the id may name any of those tables) or a timeseries channel
    (`timeseries_id`, deleted with the channel).
    """

    __tablename__ = "semantic_annotations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entity_id: Mapped[int | None] = mapped_column(BigInteger, index=True, default=None)
    timeseries_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("timeseries.id", ondelete="CASCADE"), index=True, default=None
    )
    property_name: Mapped[str] = mapped_column(Text)
    property_iri: Mapped[str] = mapped_column(Text)
    value_name: Mapped[str] = mapped_column(Text)
    value_iri: Mapped[str] = mapped_column(Text)
    property_repository_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("semantic_repositories.id")
    )
    value_repository_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("semantic_repositories.id")
    )

    __table_args__ = (
        CheckConstraint(
            "(entity_id IS NULL) <> (timeseries_id IS NULL)", name="one_annotated_thing"
        ),
    )
