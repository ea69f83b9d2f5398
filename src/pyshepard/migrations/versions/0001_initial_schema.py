"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:42:13.665360
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateSequence, DropSequence

import pyshepard.core.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CreateSequence(sa.Sequence("shepard_entity_id_seq", start=1)))
    op.create_table(
        "collections",
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("default_file_container_id", sa.BigInteger(), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_deleted"), ["deleted"], unique=False)

    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=128), nullable=False),
        sa.Column(
            "payload",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=128), nullable=True),
        sa.Column("locked_until", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "result",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_run_after"), ["run_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)

    op.create_table(
        "permissions",
        sa.Column("entity_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("permission_type", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_permissions")),
    )
    with op.batch_alter_table("permissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permissions_owner"), ["owner"], unique=False)

    op.create_table(
        "shepard_entity_ids",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shepard_entity_ids")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "signing_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "user_groups",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_groups")),
    )
    with op.batch_alter_table("user_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_groups_deleted"), ["deleted"], unique=False)

    op.create_table(
        "users",
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_users")),
    )
    op.create_table(
        "api_keys",
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("belongs_to", sa.String(length=255), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["belongs_to"],
            ["users.username"],
            name=op.f("fk_api_keys_belongs_to_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_belongs_to"), ["belongs_to"], unique=False)

    op.create_table(
        "data_objects",
        sa.Column("collection_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_data_objects_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["data_objects.id"],
            name=op.f("fk_data_objects_parent_id_data_objects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_objects")),
    )
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_objects_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_data_objects_deleted"), ["deleted"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_objects_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "permission_grants",
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["permissions.entity_id"],
            name=op.f("fk_permission_grants_entity_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "role", "username", name=op.f("pk_permission_grants")),
    )
    with op.batch_alter_table("permission_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permission_grants_username"), ["username"], unique=False
        )

    op.create_table(
        "permission_group_grants",
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["permissions.entity_id"],
            name=op.f("fk_permission_group_grants_entity_id_permissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "entity_id", "role", "group_id", name=op.f("pk_permission_group_grants")
        ),
    )
    with op.batch_alter_table("permission_group_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permission_group_grants_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=False),
        sa.Column("subscribed_url", sa.Text(), nullable=False),
        sa.Column("request_method", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", pyshepard.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.username"],
            name=op.f("fk_subscriptions_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_created_by"), ["created_by"], unique=False
        )

    op.create_table(
        "user_group_members",
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["user_groups.id"],
            name=op.f("fk_user_group_members_group_id_user_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["username"],
            ["users.username"],
            name=op.f("fk_user_group_members_username_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "username", name=op.f("pk_user_group_members")),
    )
    with op.batch_alter_table("user_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_group_members_username"), ["username"], unique=False
        )

    op.create_table(
        "data_object_links",
        sa.Column("predecessor_id", sa.BigInteger(), nullable=False),
        sa.Column("successor_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["data_objects.id"],
            name=op.f("fk_data_object_links_predecessor_id_data_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["data_objects.id"],
            name=op.f("fk_data_object_links_successor_id_data_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "predecessor_id", "successor_id", name=op.f("pk_data_object_links")
        ),
    )
    with op.batch_alter_table("data_object_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_object_links_successor_id"), ["successor_id"], unique=False
        )

    op.create_table(
        "references",
        sa.Column("data_object_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("relationship", sa.Text(), nullable=True),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("referenced_collection_id", sa.BigInteger(), nullable=True),
        sa.Column("referenced_data_object_id", sa.BigInteger(), nullable=True),
        sa.Column("container_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "details",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
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
        sa.ForeignKeyConstraint(
            ["data_object_id"],
            ["data_objects.id"],
            name=op.f("fk_references_data_object_id_data_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_references")),
    )
    with op.batch_alter_table("references", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_references_container_id"), ["container_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_references_data_object_id"), ["data_object_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_references_deleted"), ["deleted"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_references_referenced_collection_id"),
            ["referenced_collection_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_references_referenced_data_object_id"),
            ["referenced_data_object_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_references_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("references", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_references_type"))
        batch_op.drop_index(batch_op.f("ix_references_referenced_data_object_id"))
        batch_op.drop_index(batch_op.f("ix_references_referenced_collection_id"))
        batch_op.drop_index(batch_op.f("ix_references_deleted"))
        batch_op.drop_index(batch_op.f("ix_references_data_object_id"))
        batch_op.drop_index(batch_op.f("ix_references_container_id"))

    op.drop_table("references")
    with op.batch_alter_table("data_object_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_object_links_successor_id"))

    op.drop_table("data_object_links")
    with op.batch_alter_table("user_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_group_members_username"))

    op.drop_table("user_group_members")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_created_by"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("permission_group_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permission_group_grants_group_id"))

    op.drop_table("permission_group_grants")
    with op.batch_alter_table("permission_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permission_grants_username"))

    op.drop_table("permission_grants")
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_objects_parent_id"))
        batch_op.drop_index(batch_op.f("ix_data_objects_deleted"))
        batch_op.drop_index(batch_op.f("ix_data_objects_collection_id"))

    op.drop_table("data_objects")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_belongs_to"))

    op.drop_table("api_keys")
    op.drop_table("users")
    with op.batch_alter_table("user_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_groups_deleted"))

    op.drop_table("user_groups")
    op.drop_table("signing_keys")
    op.drop_table("shepard_entity_ids")
    with op.batch_alter_table("permissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permissions_owner"))

    op.drop_table("permissions")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_run_after"))
        batch_op.drop_index(batch_op.f("ix_jobs_kind"))

    op.drop_table("jobs")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_deleted"))

    op.drop_table("collections")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DropSequence(sa.Sequence("shepard_entity_id_seq")))
