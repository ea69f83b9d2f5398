"""lab journal entries

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 04:50:27.998699
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pyshepard.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lab_journal_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("data_object_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("updated_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_object_id"],
            ["data_objects.id"],
            name=op.f("fk_lab_journal_entries_data_object_id_data_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_journal_entries")),
    )
    with op.batch_alter_table("lab_journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lab_journal_entries_data_object_id"), ["data_object_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lab_journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_journal_entries_data_object_id"))

    op.drop_table("lab_journal_entries")
