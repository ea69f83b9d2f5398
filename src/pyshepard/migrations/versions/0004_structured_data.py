"""structured data documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

import pyshepard.core.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structured_data",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("container_id", sa.BigInteger(), nullable=False),
        sa.Column("oid", sa.String(length=24), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "document",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["containers.id"],
            name=op.f("fk_structured_data_container_id_containers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structured_data")),
        sa.UniqueConstraint("oid", name=op.f("uq_structured_data_oid")),
    )
    with op.batch_alter_table("structured_data", schema=None) as batch_op:
        batch_op.create_index(
            "ix_structured_data_container_id_id", ["container_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("structured_data", schema=None) as batch_op:
        batch_op.drop_index("ix_structured_data_container_id_id")

    op.drop_table("structured_data")
