"""containers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:27:23.405049
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pyshepard.core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "containers",
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("oid", sa.String(length=64), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("updated_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers")),
        sa.UniqueConstraint("oid", name=op.f("uq_containers_oid")),
    )
    with op.batch_alter_table("containers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_containers_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_containers_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("containers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_containers_type"))
        batch_op.drop_index(batch_op.f("ix_containers_deleted"))

    op.drop_table("containers")
