"""timeseries channels and points

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00.000000

Points live in one narrow table per value type, keyed (timeseries_id, ts). On PostgreSQL the
point tables become TimescaleDB hypertables (1-day chunks, as upstream) when that extension
can be created; otherwise they stay plain tables, whose primary key is the index every query
uses. On SQLite they are WITHOUT ROWID tables, clustered by that key.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

POINT_TABLES = {
    "timeseries_points_double": sa.Double(),
    "timeseries_points_integer": sa.BigInteger(),
    "timeseries_points_string": sa.Text(),
    "timeseries_points_boolean": sa.Boolean(),
}
DAY_NS = 86_400_000_000_000


def upgrade() -> None:
    op.create_table(
        "timeseries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("container_id", sa.BigInteger(), nullable=False),
        sa.Column("measurement", sa.Text(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("symbolic_name", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("value_type", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["containers.id"],
            name=op.f("fk_timeseries_container_id_containers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeseries")),
        sa.UniqueConstraint(
            "container_id",
            "measurement",
            "device",
            "location",
            "symbolic_name",
            "field",
            name="uq_timeseries_channel",
        ),
    )
    for name, value_type in POINT_TABLES.items():
        op.create_table(
            name,
            sa.Column("timeseries_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("ts", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("value", value_type, nullable=False),
            sa.PrimaryKeyConstraint("timeseries_id", "ts", name=op.f(f"pk_{name}")),
            sqlite_with_rowid=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        _make_hypertables()


def _make_hypertables() -> None:
    connection = op.get_bind()
    available = connection.scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'")
    )
    if not available:
        log.info("timescaledb not available: timeseries points stay in plain tables")
        return
    savepoint = connection.begin_nested()
    try:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        for name in POINT_TABLES:
            connection.execute(
                sa.text(
                    f"SELECT create_hypertable('{name}', 'ts', chunk_time_interval => {DAY_NS})"
                )
            )
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        log.warning("timescaledb present but unusable (%s): plain tables", exc.orig)
    else:
        savepoint.commit()


def downgrade() -> None:
    for name in POINT_TABLES:
        op.drop_table(name)
    op.drop_table("timeseries")
