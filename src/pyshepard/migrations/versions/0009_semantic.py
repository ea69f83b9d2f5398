"""semantic repositories and annotations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pyshepard.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "semantic_repositories",
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("updated_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semantic_repositories")),
    )
    with op.batch_alter_table("semantic_repositories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_semantic_repositories_deleted"), ["deleted"], unique=False
        )

    op.create_table(
        "semantic_annotations",
        sa.Column("id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("timeseries_id", sa.Integer(), nullable=True),
        sa.Column("property_name", sa.Text(), nullable=False),
        sa.Column("property_iri", sa.Text(), nullable=False),
        sa.Column("value_name", sa.Text(), nullable=False),
        sa.Column("value_iri", sa.Text(), nullable=False),
        sa.Column("property_repository_id", sa.BigInteger(), nullable=False),
        sa.Column("value_repository_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(entity_id IS NULL) <> (timeseries_id IS NULL)",
            name=op.f("ck_semantic_annotations_one_annotated_thing"),
        ),
        sa.ForeignKeyConstraint(
            ["property_repository_id"],
            ["semantic_repositories.id"],
            name=op.f("fk_semantic_annotations_property_repository_id_semantic_repositories"),
        ),
        sa.ForeignKeyConstraint(
            ["timeseries_id"],
            ["timeseries.id"],
            name=op.f("fk_semantic_annotations_timeseries_id_timeseries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["value_repository_id"],
            ["semantic_repositories.id"],
            name=op.f("fk_semantic_annotations_value_repository_id_semantic_repositories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semantic_annotations")),
    )
    with op.batch_alter_table("semantic_annotations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_semantic_annotations_entity_id"), ["entity_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_semantic_annotations_timeseries_id"), ["timeseries_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("semantic_annotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_semantic_annotations_timeseries_id"))
        batch_op.drop_index(batch_op.f("ix_semantic_annotations_entity_id"))

    op.drop_table("semantic_annotations")
    with op.batch_alter_table("semantic_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_semantic_repositories_deleted"))

    op.drop_table("semantic_repositories")
