"""model registry: models, versions, validation runs, reviews, webhooks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 03:59:05.083236
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

import pyshepard.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_models",
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("domain", sa.String(length=128), nullable=False),
        sa.Column("collaboration", sa.String(length=512), nullable=False),
        sa.Column("collaboration_key", sa.String(length=512), nullable=False),
        sa.Column("doi", sa.String(length=512), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "links",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("latest_version", sa.String(length=255), nullable=False),
        sa.Column("approved_version", sa.String(length=255), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_registry_models")),
        sa.UniqueConstraint(
            "name_key",
            "collaboration_key",
            name=op.f("uq_registry_models_name_key_collaboration_key"),
        ),
    )
    with op.batch_alter_table("registry_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_models_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_registry_models_owner"), ["owner"], unique=False)
        batch_op.create_index("ix_registry_models_status", ["status"], unique=False)

    op.create_table(
        "registry_webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column(
            "events",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_webhooks")),
    )
    op.create_table(
        "registry_model_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_key", sa.String(length=255), nullable=False),
        sa.Column("checksum", sa.String(length=80), nullable=False),
        sa.Column("canonical_checksum", sa.String(length=80), nullable=True),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column(
            "summary",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "keywords",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("reference_points_name", sa.String(length=255), nullable=True),
        sa.Column("reference_points_key", sa.String(length=255), nullable=True),
        sa.Column(
            "companions",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "entry",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("validation_status", sa.String(length=32), nullable=False),
        sa.Column("submitted_by", sa.String(length=255), nullable=False),
        sa.Column("submission_date", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_updated", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registry_models.model_id"],
            name=op.f("fk_registry_model_versions_model_id_registry_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_model_versions")),
        sa.UniqueConstraint(
            "model_id", "version", name=op.f("uq_registry_model_versions_model_id_version")
        ),
    )
    with op.batch_alter_table("registry_model_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_model_versions_file_key"), ["file_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_model_versions_model_id"), ["model_id"], unique=False
        )

    op.create_table(
        "registry_reviews",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=255), nullable=False),
        sa.Column("at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_model_versions.id"],
            name=op.f("fk_registry_reviews_version_id_registry_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reviews")),
    )
    with op.batch_alter_table("registry_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_reviews_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "registry_validation_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "engines",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "report",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "artefacts",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["registry_model_versions.id"],
            name=op.f("fk_registry_validation_runs_version_id_registry_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_validation_runs")),
    )
    with op.batch_alter_table("registry_validation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_validation_runs_version_created",
            ["version_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_validation_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_validation_runs_version_created")

    op.drop_table("registry_validation_runs")
    with op.batch_alter_table("registry_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_reviews_version_id"))

    op.drop_table("registry_reviews")
    with op.batch_alter_table("registry_model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_model_versions_model_id"))
        batch_op.drop_index(batch_op.f("ix_registry_model_versions_file_key"))

    op.drop_table("registry_model_versions")
    op.drop_table("registry_webhooks")
    with op.batch_alter_table("registry_models", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_models_status")
        batch_op.drop_index(batch_op.f("ix_registry_models_owner"))
        batch_op.drop_index(batch_op.f("ix_registry_models_domain"))

    op.drop_table("registry_models")
